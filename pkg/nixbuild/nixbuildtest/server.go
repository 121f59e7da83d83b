// Package nixbuildtest is a fake nixbuild.net API for tests: GET /builds with its filters
// (derivation_path, tags, create_time_from/to, status, limit), newest first, behind a
// bearer token, counting requests.
package nixbuildtest

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Server is the fake API; URL is its base URL.
type Server struct {
	*httptest.Server
	Token       string // may read builds
	NoReadToken string // a valid token without build:read: 403

	mu       sync.Mutex
	builds   []Build
	maxLimit int
	requests []string
	fault    func(w http.ResponseWriter, r *http.Request) bool
}

// New starts a fake whose token is token; another token gets 401.
func New(token string) *Server {
	s := &Server{Token: token, NoReadToken: "no-read-" + token}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Add stores builds; the answers are sorted newest first whatever the order added.
func (s *Server) Add(bs ...Build) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.builds = append(s.builds, bs...)
	slices.SortStableFunc(s.builds, func(a, b Build) int {
		if c := b.CreateTime.Compare(a.CreateTime); c != 0 {
			return c
		}
		return cmp.Compare(b.BuildID, a.BuildID)
	})
}

// SetMaxLimit caps how many builds one answer holds, whatever limit asks; 0: no cap.
func (s *Server) SetMaxLimit(n int) { s.mu.Lock(); s.maxLimit = n; s.mu.Unlock() }

// SetFault lets f answer requests first; it returns true when it has answered.
func (s *Server) SetFault(f func(w http.ResponseWriter, r *http.Request) bool) {
	s.mu.Lock()
	s.fault = f
	s.mu.Unlock()
}

// Requests lists the request URIs (path and query) received so far, in order.
func (s *Server) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.requests...)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests = append(s.requests, r.URL.RequestURI())
	fault := s.fault
	s.mu.Unlock()
	if fault != nil && fault(w, r) {
		return
	}
	switch token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); {
	case token == "" || (token != s.Token && token != s.NoReadToken):
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid or missing authorization token"})
		return
	case token == s.NoReadToken:
		writeJSON(w, http.StatusForbidden, map[string]string{"error": "permission build:read required"})
		return
	}
	if r.Method != http.MethodGet || r.URL.Path != "/builds" {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "not found"})
		return
	}
	f, err := parseFilter(r)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	s.mu.Lock()
	out := []Build{}
	for _, b := range s.builds {
		if f.limit >= 0 && len(out) >= f.limit || s.maxLimit > 0 && len(out) >= s.maxLimit {
			break
		}
		if f.match(&b) {
			out = append(out, b)
		}
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

// filter is a parsed GET /builds query.
type filter struct {
	drvPath  string
	tags     map[string]string
	from, to time.Time
	statuses []string
	limit    int // -1: none
}

func parseFilter(r *http.Request) (filter, error) {
	q := r.URL.Query()
	f := filter{drvPath: q.Get("derivation_path"), limit: -1}
	if t := q.Get("tags"); t != "" {
		f.tags = map[string]string{}
		for _, pair := range strings.Split(t, ",") {
			k, v, ok := strings.Cut(pair, ":")
			if !ok {
				return f, fmt.Errorf("tags: %q is not TAG:VALUE", pair)
			}
			f.tags[k] = v
		}
	}
	var err error
	if f.from, err = parseTime(q.Get("create_time_from")); err != nil {
		return f, fmt.Errorf("create_time_from: %v", err)
	}
	if f.to, err = parseTime(q.Get("create_time_to")); err != nil {
		return f, fmt.Errorf("create_time_to: %v", err)
	}
	if st := q.Get("status"); st != "" {
		f.statuses = strings.Split(st, ",")
	}
	if l := q.Get("limit"); l != "" {
		if f.limit, err = strconv.Atoi(l); err != nil || f.limit < 0 {
			return f, fmt.Errorf("limit: %q is not a non-negative integer", l)
		}
	}
	return f, nil
}

func (f *filter) match(b *Build) bool {
	if f.drvPath != "" && b.DerivationPath != f.drvPath ||
		!f.from.IsZero() && b.CreateTime.Before(f.from) || !f.to.IsZero() && !b.CreateTime.Before(f.to) ||
		len(f.statuses) > 0 && !slices.Contains(f.statuses, b.StatusWord()) {
		return false
	}
	for k, v := range f.tags {
		if b.Tags[k] != v {
			return false
		}
	}
	return true
}

// parseTime reads an ISO 8601 date or date/time; "" is the zero time.
func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	return time.Parse(time.DateOnly, s)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
