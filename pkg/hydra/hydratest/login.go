package hydratest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"mime"
	"net/http"
	"strings"
	"time"
)

// SessionCookie is the name of Hydra's session cookie.
const SessionCookie = "hydra_session"

// SetPrivate turns on private mode (hydra.conf private = 1) and adds the user:
// every route except /login and /static/ then needs a session cookie.
func (s *Server) SetPrivate(user, password string) {
	s.authMu.Lock()
	defer s.authMu.Unlock()
	s.private = true
	s.users[user] = password
}

// AddUser adds a user who can log in, without turning on private mode.
func (s *Server) AddUser(user, password string) {
	s.authMu.Lock()
	defer s.authMu.Unlock()
	s.users[user] = password
}

// ExpireSessions forgets every session, so clients must log in again.
func (s *Server) ExpireSessions() {
	s.authMu.Lock()
	defer s.authMu.Unlock()
	s.sessions = map[string]string{}
}

// Sessions returns the number of live sessions.
func (s *Server) Sessions() int {
	s.authMu.Lock()
	defer s.authMu.Unlock()
	return len(s.sessions)
}

func (s *Server) isPrivate() bool {
	s.authMu.Lock()
	defer s.authMu.Unlock()
	return s.private
}

// sessionUser returns the user of the request's session cookie, or "".
func (s *Server) sessionUser(r *http.Request) string {
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return ""
	}
	s.authMu.Lock()
	defer s.authMu.Unlock()
	return s.sessions[c.Value]
}

// sameOrigin is Root::begin's anti-XSRF rule for POSTs: the Referer (else
// the Origin) plus "/" must start with the base URL plus "/".
func (s *Server) sameOrigin(r *http.Request) bool {
	ref := ""
	if v := r.Header.Values("Referer"); len(v) > 0 {
		ref = v[0]
	} else if v := r.Header.Values("Origin"); len(v) > 0 {
		ref = v[0]
	}
	return strings.HasPrefix(ref+"/", s.URL+"/")
}

type userJSON struct {
	Username     string   `json:"username"`
	FullName     string   `json:"fullname"`
	EmailAddress string   `json:"emailaddress"`
	UserRoles    []string `json:"userroles"`
}

// serveLogin answers POST /login with {"username","password"} (JSON or form):
// 302 to /current-user with a session cookie, 403 on bad credentials.
func (s *Server) serveLogin(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		fail(w, r, http.StatusMethodNotAllowed, "Method "+r.Method+" not implemented for "+r.URL.Path)
		return
	}
	var creds struct{ Username, Password string }
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "application/json" || mt == "text/x-json" {
		if err := json.NewDecoder(r.Body).Decode(&creds); err != nil {
			fail(w, r, http.StatusBadRequest, "Content-Type "+mt+" had a problem with your request.")
			return
		}
	} else {
		creds.Username, creds.Password = r.FormValue("username"), r.FormValue("password")
	}
	switch {
	case creds.Username == "":
		fail(w, r, http.StatusBadRequest, "You must specify a user name.")
		return
	case creds.Password == "":
		fail(w, r, http.StatusBadRequest, "You must specify a password.")
		return
	}
	s.authMu.Lock()
	pw, ok := s.users[creds.Username]
	ok = ok && pw == creds.Password
	var id string
	if ok {
		var raw [20]byte
		_, _ = rand.Read(raw[:])
		id = hex.EncodeToString(raw[:])
		s.sessions[id] = creds.Username
	}
	s.authMu.Unlock()
	if !ok {
		fail(w, r, http.StatusForbidden, "Bad username or password.")
		return
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: id, Path: "/", HttpOnly: true,
		Expires: time.Now().Add(7 * 24 * time.Hour)})
	w.Header().Set("Location", s.URL+"/current-user")
	if ct := negotiate(r); ct != "" {
		writeJSONType(w, http.StatusFound, ct, userJSON{creds.Username, creds.Username, "", []string{}})
		return
	}
	w.WriteHeader(http.StatusFound)
}

// serveLogout answers POST /logout: the session is dropped, 204.
func (s *Server) serveLogout(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		fail(w, r, http.StatusMethodNotAllowed, "Method "+r.Method+" not implemented for "+r.URL.Path)
		return
	}
	if c, err := r.Cookie(SessionCookie); err == nil {
		s.authMu.Lock()
		delete(s.sessions, c.Value)
		s.authMu.Unlock()
	}
	w.WriteHeader(http.StatusNoContent)
}

// serveCurrentUser answers GET /current-user with the signed-in user.
func (s *Server) serveCurrentUser(w http.ResponseWriter, r *http.Request) {
	if !isRead(r) {
		notAllowed(w, r)
		return
	}
	u := s.sessionUser(r)
	if u == "" {
		fail(w, r, http.StatusForbidden, "This page requires you to sign in.")
		return
	}
	respond(w, r, "User "+u, userJSON{u, u, "", []string{}})
}
