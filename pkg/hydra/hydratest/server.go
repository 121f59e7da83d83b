// Package hydratest is a fake Hydra (NixOS CI) HTTP server for tests and
// benchmarks. It reproduces Hydra's routes, JSON shapes and quirks as
// documented in /work/shared/reference/hydra.md and Hydra's controllers:
// HTML unless JSON is negotiated, 0/1 integers, null buildstatus until
// finished, 20-per-page evals, redirects, private mode and login.
//
// All methods are safe for concurrent use, also while requests are served.
package hydratest

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Server is a running fake Hydra.
type Server struct {
	URL string // base URL, no trailing slash

	ts *httptest.Server

	mu           sync.RWMutex
	projects     map[string]*Project
	jobsets      map[jsKey]*Jobset
	builds       map[int64]*buildState
	evals        map[int64]*Eval
	memberOf     map[int64][]int64 // build id -> ascending ids of evals (hasnewbuilds=1) containing it
	allBuilds    []int64           // ascending
	jobBuilds    map[jobKey][]int64
	jobsetBuilds map[jsKey][]int64
	jobsetEvals  map[jsKey][]int64 // ascending ids of evals with hasnewbuilds=1
	renames      map[jsKey]string

	latency   atomic.Int64
	intercept atomic.Pointer[func(http.ResponseWriter, *http.Request) bool]

	authMu   sync.Mutex
	private  bool
	users    map[string]string // username -> password
	sessions map[string]string // session id -> username

	countMu sync.Mutex
	counts  map[string]int
	total   int
}

type buildState struct {
	b    Build
	json atomic.Pointer[[]byte] // cached /build/ID JSON; nil when stale
}

// New starts a fake Hydra on a local port; call Close to stop it.
func New() *Server {
	s := &Server{
		projects:     map[string]*Project{},
		jobsets:      map[jsKey]*Jobset{},
		builds:       map[int64]*buildState{},
		evals:        map[int64]*Eval{},
		memberOf:     map[int64][]int64{},
		jobBuilds:    map[jobKey][]int64{},
		jobsetBuilds: map[jsKey][]int64{},
		jobsetEvals:  map[jsKey][]int64{},
		renames:      map[jsKey]string{},
		users:        map[string]string{},
		sessions:     map[string]string{},
		counts:       map[string]int{},
	}
	s.ts = httptest.NewServer(s)
	s.URL = s.ts.URL
	return s
}

// Close stops the server and closes its client connections.
func (s *Server) Close() { s.ts.Close() }

// Client returns an http.Client for the server that does not follow redirects.
func (s *Server) Client() *http.Client {
	c := *s.ts.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

// SetLatency makes every request wait d before it is answered (0 disables).
// The wait ends early, without an answer, when the request is cancelled.
func (s *Server) SetLatency(d time.Duration) { s.latency.Store(int64(d)) }

// Intercept installs fn, called for every request after counting and latency;
// if it returns true the request counts as handled. nil removes the hook.
func (s *Server) Intercept(fn func(http.ResponseWriter, *http.Request) bool) {
	if fn == nil {
		s.intercept.Store(nil)
		return
	}
	s.intercept.Store(&fn)
}

// Requests returns how many times each "METHOD path?query" was requested.
func (s *Server) Requests() map[string]int {
	s.countMu.Lock()
	defer s.countMu.Unlock()
	out := make(map[string]int, len(s.counts))
	for k, v := range s.counts {
		out[k] = v
	}
	return out
}

// TotalRequests returns the number of requests received.
func (s *Server) TotalRequests() int {
	s.countMu.Lock()
	defer s.countMu.Unlock()
	return s.total
}

// ResetRequests clears the request counters.
func (s *Server) ResetRequests() {
	s.countMu.Lock()
	defer s.countMu.Unlock()
	s.counts = map[string]int{}
	s.total = 0
}

// RequestKey returns the key Requests uses for a request of method to target
// (a path with optional query, e.g. "/build/1?x=y").
func RequestKey(method, target string) string { return method + " " + target }

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.countMu.Lock()
	s.counts[RequestKey(r.Method, r.URL.RequestURI())]++
	s.total++
	s.countMu.Unlock()

	if d := time.Duration(s.latency.Load()); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	if fn := s.intercept.Load(); fn != nil && (*fn)(w, r) {
		return
	}
	w.Header().Set("Vary", "Accept")

	path := r.URL.Path
	if s.isPrivate() && !noLoginNeeded(path) && s.sessionUser(r) == "" {
		fail(w, r, http.StatusForbidden, "This page requires you to sign in.")
		return
	}
	if r.Method == http.MethodPost && !s.sameOrigin(r) {
		// Root::begin calls error() without a status, which Root::end turns into 500.
		fail(w, r, http.StatusInternalServerError, "POST requests should come from ‘"+s.URL+"/’.")
		return
	}
	s.route(w, r)
}

// noLoginNeeded lists the paths Root::noLoginNeeded lets through in private mode.
func noLoginNeeded(path string) bool {
	p := strings.TrimPrefix(path, "/")
	switch p {
	case "login", "logo", "api/push-github", "api/push-gitea", "github-login", "github-redirect":
		return true
	}
	return strings.HasPrefix(p, "static/") || strings.HasPrefix(p, "oidc-redirect/") ||
		strings.HasPrefix(p, "oidc-callback/")
}

// route dispatches on the first path segment.
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	segs := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch segs[0] {
	case "":
		if len(segs) == 1 {
			s.serveIndex(w, r)
			return
		}
	case "project":
		if len(segs) == 2 {
			s.serveProject(w, r, segs[1])
			return
		}
	case "api":
		s.serveAPI(w, r, segs[1:])
		return
	case "jobset":
		s.serveJobset(w, r, segs[1:])
		return
	case "job":
		s.serveJob(w, r, segs[1:])
		return
	case "eval":
		s.serveEval(w, r, segs[1:])
		return
	case "build":
		s.serveBuild(w, r, segs[1:])
		return
	case "login":
		s.serveLogin(w, r)
		return
	case "logout":
		s.serveLogout(w, r)
		return
	case "current-user":
		s.serveCurrentUser(w, r)
		return
	case "static":
		writeRaw(w, http.StatusOK, "text/css", []byte("/* static */\n"))
		return
	}
	fail(w, r, http.StatusNotFound, "Page not found.")
}
