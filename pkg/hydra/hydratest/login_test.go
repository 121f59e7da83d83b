package hydratest

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

func login(t *testing.T, s *Server, user, pass string, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"username": user, "password": pass})
	hdr = append([]string{"Content-Type: application/json", "Accept: application/json"}, hdr...)
	return do(t, s, http.MethodPost, "/login", strings.NewReader(string(body)), hdr...)
}

func sessionCookie(resp *http.Response) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == SessionCookie {
			return c
		}
	}
	return nil
}

func TestPrivateModeAndLogin(t *testing.T) {
	s := newTestServer(t)
	s.SetPrivate("alice", "s3cret")
	origin := "Origin: " + s.URL

	// Every page needs a session, whether JSON or not; /static/ does not.
	var e map[string]string
	resp := getJSON(t, s, "/build/1", &e)
	if resp.StatusCode != 403 || e["error"] != "This page requires you to sign in." {
		t.Fatalf("anonymous: %d %v", resp.StatusCode, e)
	}
	resp = getJSON(t, s, "/api/latestbuilds?nr=1", &e)
	wantStatus(t, resp, 403)
	resp, _ = get(t, s, "/")
	wantStatus(t, resp, 403)
	resp, _ = get(t, s, "/static/css/hydra.css")
	wantStatus(t, resp, 200)

	// The anti-XSRF rule: no Origin/Referer, or a foreign one, fails (Hydra's error() => 500).
	for _, hdr := range [][]string{nil, {"Origin: http://evil.example"}, {"Referer: http://evil.example/login"}} {
		resp, body := login(t, s, "alice", "s3cret", hdr...)
		if resp.StatusCode != 500 || !strings.Contains(string(body), "POST requests should come from") ||
			sessionCookie(resp) != nil {
			t.Errorf("login with %v: %d %s", hdr, resp.StatusCode, body)
		}
	}
	resp, _ = login(t, s, "alice", "wrong", origin)
	wantStatus(t, resp, 403)
	resp, _ = login(t, s, "", "x", origin)
	wantStatus(t, resp, 400)

	resp, body := login(t, s, "alice", "s3cret", "Referer: "+s.URL+"/login")
	wantStatus(t, resp, 302)
	resp, body = login(t, s, "alice", "s3cret", origin)
	wantStatus(t, resp, 302)
	c := sessionCookie(resp)
	if c == nil || !c.HttpOnly || c.Path != "/" || len(c.Value) < 20 ||
		resp.Header.Get("Location") != s.URL+"/current-user" || !strings.Contains(string(body), `"username":"alice"`) {
		t.Fatalf("login: %v %q %s", c, resp.Header.Get("Location"), body)
	}
	cookie := "Cookie: " + SessionCookie + "=" + c.Value
	resp, _ = get(t, s, "/build/1", "Accept: application/json", cookie)
	wantStatus(t, resp, 200)
	resp, body = get(t, s, "/current-user", "Accept: application/json", cookie)
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"alice"`) {
		t.Errorf("current-user: %d %s", resp.StatusCode, body)
	}
	if s.Sessions() != 2 {
		t.Errorf("%d sessions, want 2", s.Sessions())
	}

	s.ExpireSessions()
	resp, _ = get(t, s, "/build/1", "Accept: application/json", cookie)
	wantStatus(t, resp, 403)
	resp, _ = login(t, s, "alice", "s3cret", origin)
	wantStatus(t, resp, 302)
	resp, _ = get(t, s, "/build/1", "Accept: application/json", "Cookie: "+SessionCookie+"="+sessionCookie(resp).Value)
	wantStatus(t, resp, 200)
}

func TestLoginPublic(t *testing.T) {
	s := newTestServer(t)
	resp, _ := get(t, s, "/build/1", "Accept: application/json")
	wantStatus(t, resp, 200)
	resp, _ = login(t, s, "bob", "pw", "Origin: "+s.URL)
	wantStatus(t, resp, 403) // no such user
	s.AddUser("bob", "pw")
	resp, _ = login(t, s, "bob", "pw", "Origin: "+s.URL)
	wantStatus(t, resp, 302)
	resp, _ = get(t, s, "/login")
	wantStatus(t, resp, 405)
}
