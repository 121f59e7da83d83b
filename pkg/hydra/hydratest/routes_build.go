package hydratest

import (
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// pathCompRE is $pathCompRE from Hydra's CatalystUtils.pm.
var pathCompRE = regexp.MustCompile(`^[A-Za-z0-9\-+._$][A-Za-z0-9\-+._$:]*$`)

var storePathRE = regexp.MustCompile(`^/nix/store/[^/]+`)

// serveBuild answers /build/ID[/action...].
func (s *Server) serveBuild(w http.ResponseWriter, r *http.Request, segs []string) {
	if !routable(w, r, segs, 1) {
		return
	}
	if !isDigits(segs[0]) {
		fail(w, r, http.StatusInternalServerError, "Invalid build ID ‘"+segs[0]+"’.")
		return
	}
	id, _ := strconv.ParseInt(segs[0], 10, 64)
	action, args := splitAction(segs[1:])
	s.mu.RLock()
	st, ok := s.builds[id]
	var b Build
	var body []byte
	if ok {
		b = st.b
		switch {
		case action == "" && len(args) == 0:
			body = s.buildJSONLocked(st)
		case action == "constituents" && len(args) == 0:
			body = s.buildsJSONLocked(s.sortedByJobLocked(b.Constituents))
		}
	}
	s.mu.RUnlock()
	if !ok {
		fail(w, r, http.StatusNotFound, "Build with ID "+segs[0]+" doesn't exist.")
		return
	}
	switch {
	case (action == "" || action == "constituents") && len(args) == 0:
		if ct := negotiate(r); ct != "" {
			writeRaw(w, http.StatusOK, ct, body)
		} else {
			writeHTML(w, http.StatusOK, "Build "+segs[0]+" of job "+b.Project+":"+b.Jobset+":"+b.Job, "")
		}
	case action == "download":
		s.serveDownload(w, r, &b, args)
	case action == "download-by-type":
		s.serveDownloadByType(w, r, &b, args)
	case action == "output" && len(args) == 1:
		s.serveOutput(w, r, &b, args[0])
	default:
		fail(w, r, http.StatusNotFound, "Page not found.")
	}
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// sortedByJobLocked returns the existing builds among ids ordered by job, then id.
func (s *Server) sortedByJobLocked(ids []int64) []int64 {
	out := make([]int64, 0, len(ids))
	for _, id := range ids {
		if _, ok := s.builds[id]; ok {
			out = append(out, id)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := &s.builds[out[i]].b, &s.builds[out[j]].b
		if a.Job != b.Job {
			return a.Job < b.Job
		}
		return a.ID < b.ID
	})
	return out
}

// defaultURI is Build.pm defaultUriForProduct: /build/ID/download/NR[/NAME][/defaultpath][/extra].
func defaultURI(b *Build, nr int, p *Product, extra []string) string {
	segs := []string{"build", strconv.FormatInt(b.ID, 10), "download", strconv.Itoa(nr)}
	if p.Name != "" {
		segs = append(segs, p.Name)
	}
	if p.DefaultPath != "" {
		segs = append(segs, strings.Split(p.DefaultPath, "/")...)
	}
	return escapeSegs(append(segs, extra...)...)
}

// serveDownload follows Build.pm download: the product is NR (default 1) or,
// when the first element is not numeric, the product with that name.
func (s *Server) serveDownload(w http.ResponseWriter, r *http.Request, b *Build, args []string) {
	ref := "1"
	var path []string
	if len(args) > 0 {
		ref, path = args[0], args[1:]
	}
	nr := -1
	if isDigits(ref) {
		if n, err := strconv.Atoi(ref); err == nil && n >= 1 && n <= len(b.Products) {
			nr = n
		}
	} else {
		for i := range b.Products {
			if b.Products[i].Name == ref {
				nr = i + 1
				break
			}
		}
		path = append([]string{ref}, path...)
	}
	if nr < 0 {
		fail(w, r, http.StatusNotFound, "Build doesn't have a product "+ref+".")
		return
	}
	p := &b.Products[nr-1]
	if !storePathRE.MatchString(p.Path) {
		fail(w, r, http.StatusInternalServerError, "Invalid store path '"+p.Path+"'.")
		return
	}
	if len(path) == 0 && (p.Name != "" || p.DefaultPath != "") {
		s.redirect(w, http.StatusFound, defaultURI(b, nr, p, nil))
		return
	}
	if p.Name != "" {
		path = path[1:]
	}
	for _, elem := range path {
		if !pathCompRE.MatchString(elem) {
			fail(w, r, http.StatusInternalServerError, "Invalid filename '"+elem+"'.")
			return
		}
	}
	full := p.Path
	if len(path) > 0 {
		full += "/" + strings.Join(path, "/")
	}
	s.serveFile(w, r, b, p, full)
}

// serveFile follows Build.pm serveFile over the build's Files.
func (s *Server) serveFile(w http.ResponseWriter, r *http.Request, b *Build, p *Product, full string) {
	if b.GarbageCollected {
		fail(w, r, http.StatusNotFound, "File '"+full+"' does not exist.")
		return
	}
	if data, ok := b.Files[full]; ok {
		h := w.Header()
		h.Set("Content-Security-Policy", "sandbox allow-scripts")
		if b.Finished {
			h.Set("Last-Modified", httpTime(b.StopTime))
		}
		writeRaw(w, http.StatusOK, contentType(full, data), data)
		return
	}
	isDir := p.Dir && full == p.Path
	for f := range b.Files {
		if isDir {
			break
		}
		isDir = strings.HasPrefix(f, full+"/")
	}
	switch {
	case !isDir:
		fail(w, r, http.StatusNotFound, "File '"+full+"' does not exist.")
	case !strings.HasSuffix(r.URL.Path, "/"):
		// Hydra appends "/" to the whole request URI (query included).
		w.Header().Set("Location", s.URL+r.URL.RequestURI()+"/")
		w.WriteHeader(http.StatusFound)
	default:
		if _, ok := b.Files[full+"/index.html"]; ok {
			s.serveFile(w, r, b, p, full+"/index.html")
			return
		}
		fail(w, r, http.StatusInternalServerError, "Do not know how to serve path '"+full+"'.")
	}
}

// serveDownloadByType redirects to the first product with TYPE and SUBTYPE.
func (s *Server) serveDownloadByType(w http.ResponseWriter, r *http.Request, b *Build, args []string) {
	if len(args) < 2 {
		fail(w, r, http.StatusNotFound, "You need to specify a type and a subtype in the URI.")
		return
	}
	for i := range b.Products {
		if p := &b.Products[i]; p.Type == args[0] && p.Subtype == args[1] {
			s.redirect(w, http.StatusFound, defaultURI(b, i+1, p, args[2:]))
			return
		}
	}
	fail(w, r, http.StatusNotFound, "Build doesn't have a build product with type "+args[0]+"/"+args[1]+".")
}

// serveOutput answers /build/ID/output/OUT: 410 once garbage-collected, else a stub NAR.
func (s *Server) serveOutput(w http.ResponseWriter, r *http.Request, b *Build, name string) {
	if !b.Finished {
		fail(w, r, http.StatusInternalServerError, "This build is not finished yet.")
		return
	}
	path, ok := b.Outputs[name]
	switch {
	case !ok:
		fail(w, r, http.StatusNotFound, "This build has no output named ‘"+name+"’")
	case b.GarbageCollected:
		fail(w, r, http.StatusGone, "Output is no longer available.")
	default:
		w.Header().Set("Content-Disposition", "attachment; filename=\"build-"+
			strconv.FormatInt(b.ID, 10)+"-"+name+".nar.bz2\"")
		writeRaw(w, http.StatusOK, "application/x-nix-archive", []byte("fake NAR of "+path+"\n"))
	}
}
