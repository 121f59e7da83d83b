package hydratest

import (
	"encoding/json"
	"fmt"
	"html"
	"mime"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// negotiate mimics Catalyst::TraitFor::Request::REST as configured by
// Hydra's REST base controller: candidate types come from the Content-Type
// header (weight 3), a ?content-type= parameter on GET (weight 2) and the
// Accept header (by q); the first one Hydra maps (application/json,
// text/x-json, text/html) wins, and the default is text/html.
// It returns the JSON media type to answer with, or "" for HTML.
func negotiate(r *http.Request) string {
	type cand struct {
		typ string
		w   float64
	}
	var cands []cand
	seen := map[string]bool{}
	add := func(t string, w float64) {
		t = strings.ToLower(strings.TrimSpace(t))
		if t == "" || seen[t] {
			return
		}
		seen[t] = true
		cands = append(cands, cand{t, w})
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err == nil {
			add(mt, 3)
		}
	}
	if r.Method == http.MethodGet {
		if ct := r.URL.Query().Get("content-type"); ct != "" {
			add(ct, 2)
		}
	}
	counter := 0
	for _, part := range strings.Split(strings.Join(r.Header.Values("Accept"), ","), ",") {
		fields := strings.Split(part, ";")
		t := strings.TrimSpace(fields[0])
		if t == "" {
			continue
		}
		q := -1.0
		if len(fields) > 1 {
			kv := strings.SplitN(strings.TrimSpace(fields[1]), "=", 2)
			if len(kv) == 2 && strings.EqualFold(strings.TrimSpace(kv[0]), "q") {
				if v, err := strconv.ParseFloat(strings.TrimSpace(kv[1]), 64); err == nil {
					q = v
				}
			}
		}
		if q < 0 {
			counter++
			q = 1 - float64(counter)/1000
		}
		add(t, q)
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].w > cands[j].w })
	for _, c := range cands {
		switch c.typ {
		case "application/json", "text/x-json":
			return c.typ
		case "text/html":
			return ""
		}
	}
	return ""
}

// writeJSONType writes v as JSON with the given status and media type.
func writeJSONType(w http.ResponseWriter, status int, ct string, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeRaw(w, status, ct, body)
}

// writeRaw writes body with Content-Type and Content-Length.
func writeRaw(w http.ResponseWriter, status int, ct string, body []byte) {
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// writeHTML writes a small HTML page like Hydra's templates would.
func writeHTML(w http.ResponseWriter, status int, title, body string) {
	page := "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" +
		html.EscapeString(title) + "</title></head>\n<body>\n<h1>" + html.EscapeString(title) +
		"</h1>\n" + body + "\n</body></html>\n"
	writeRaw(w, status, "text/html; charset=utf-8", []byte(page))
}

// respond answers with v as JSON when the request negotiates JSON, else an HTML page.
func respond(w http.ResponseWriter, r *http.Request, title string, v any) {
	if ct := negotiate(r); ct != "" {
		writeJSONType(w, http.StatusOK, ct, v)
		return
	}
	writeHTML(w, http.StatusOK, title, "")
}

// fail answers an error like Hydra's Root::end: {"error": msg} for JSON requests, else HTML.
func fail(w http.ResponseWriter, r *http.Request, status int, msg string) {
	if ct := negotiate(r); ct != "" {
		writeJSONType(w, status, ct, map[string]string{"error": msg})
		return
	}
	writeHTML(w, status, fmt.Sprintf("%d %s", status, http.StatusText(status)),
		"<div class=\"alert alert-error\">"+html.EscapeString(msg)+"</div>")
}

// failJSON answers an error as JSON whatever was negotiated (used by /api/*).
func failJSON(w http.ResponseWriter, status int, msg string) {
	writeJSONType(w, status, "application/json", map[string]string{"error": msg})
}

// redirect answers status with an absolute Location (Catalyst's uri_for is absolute).
func (s *Server) redirect(w http.ResponseWriter, status int, path string) {
	w.Header().Set("Location", s.URL+path)
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(status)
}

// escapeSegs joins path segments, escaping each one like uri_for does.
func escapeSegs(segs ...string) string {
	var b strings.Builder
	for _, s := range segs {
		b.WriteByte('/')
		b.WriteString(pathEscape(s))
	}
	return b.String()
}

// pathEscape escapes one path segment, keeping the characters URI.pm keeps.
func pathEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			strings.IndexByte("-._~!$&'()*+,;=:@", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// notAllowed answers a method the route does not implement.
func notAllowed(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Allow", "GET, HEAD")
	fail(w, r, http.StatusMethodNotAllowed, "Method "+r.Method+" not implemented for "+r.URL.Path)
}

// isRead reports whether the request is a GET or HEAD.
func isRead(r *http.Request) bool {
	return r.Method == http.MethodGet || r.Method == http.MethodHead
}

// routable answers 404 when fewer than n path segments follow a route and 405 for anything
// but a read, and reports whether the route may go on.
func routable(w http.ResponseWriter, r *http.Request, segs []string, n int) bool {
	if len(segs) < n {
		fail(w, r, http.StatusNotFound, "Page not found.")
		return false
	}
	if !isRead(r) {
		notAllowed(w, r)
		return false
	}
	return true
}
