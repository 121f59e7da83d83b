package hydratest

import (
	"html"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

const evalsPerPage = 20 // fixed in Jobset.pm evals_GET

// splitAction splits the segments after a chain's captures into action and args.
func splitAction(segs []string) (string, []string) {
	if len(segs) == 0 {
		return "", nil
	}
	return segs[0], segs[1:]
}

// renameLocation is where Hydra's 301 for a renamed jobset points:
// uri_for($c->action, \@captures, $c->req->params) keeps the captures (with
// the new jobset name), the action's path and the query, but drops the
// action's arguments (e.g. the NAME of /metric/NAME).
func renameLocation(r *http.Request, prefix []string, action string) string {
	loc := escapeSegs(prefix...)
	if action != "" {
		loc += "/" + pathEscape(action)
	}
	if r.URL.RawQuery != "" {
		loc += "?" + r.URL.RawQuery
	}
	return loc
}

// serveJobset answers /jobset/P/J[/action...].
func (s *Server) serveJobset(w http.ResponseWriter, r *http.Request, segs []string) {
	if !routable(w, r, segs, 2) {
		return
	}
	project, name := segs[0], segs[1]
	action, args := splitAction(segs[2:])
	s.mu.RLock()
	_, projectOK := s.projects[project]
	j, renamed := s.lookupJobset(project, name)
	var jv map[string]any
	if j != nil {
		jv = jobsetToJSON(j)
	}
	s.mu.RUnlock()
	switch {
	case !projectOK:
		fail(w, r, http.StatusNotFound, "Project ‘"+project+"’ doesn't exist.")
		return
	case j == nil && renamed != "":
		s.redirect(w, http.StatusMovedPermanently, renameLocation(r, []string{"jobset", project, renamed}, action))
		return
	case j == nil:
		fail(w, r, http.StatusNotFound, "Jobset ‘"+name+"’ doesn't exist.")
		return
	}
	k := jsKey{project, name}
	switch {
	case (action == "" || action == "errors") && len(args) == 0:
		respond(w, r, "Jobset "+project+":"+name, jv)
	case action == "evals" && len(args) == 0:
		s.serveEvals(w, r, k)
	case action == "latest-eval":
		s.serveLatestEval(w, r, k, args)
	case action == "jobs-tab" && len(args) == 0:
		s.serveJobsTab(w, r, k)
	case action == "all" && len(args) == 0:
		s.mu.RLock()
		ids := append([]int64(nil), s.jobsetBuilds[k]...)
		s.mu.RUnlock()
		s.serveAllHTML(w, r, "Jobset "+project+":"+name, ids)
	case action == "latest" || action == "latest-for":
		s.mu.RLock()
		ids := append([]int64(nil), s.jobsetBuilds[k]...)
		s.mu.RUnlock()
		s.latestRedirect(w, r, ids, action, args)
	default:
		fail(w, r, http.StatusNotFound, "Page not found.")
	}
}

// perlInt parses like Perl's int(): leading digits, 0 when there are none.
func perlInt(s string) int {
	n := 0
	for _, c := range strings.TrimSpace(s) {
		if c < '0' || c > '9' || n > 1e8 {
			break
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// serveEvals answers /jobset/P/J/evals?page=N: 20 per page, id DESC, hasnewbuilds=1 only.
func (s *Server) serveEvals(w http.ResponseWriter, r *http.Request, k jsKey) {
	page := perlInt(r.URL.Query().Get("page"))
	if page < 1 {
		page = 1
	}
	s.mu.RLock()
	ids := s.jobsetEvals[k]
	total := len(ids)
	list := []evalJSON{}
	for i := total - 1 - (page-1)*evalsPerPage; i >= 0 && len(list) < evalsPerPage; i-- {
		list = append(list, evalToJSON(s.evals[ids[i]]))
	}
	s.mu.RUnlock()
	last := (total + evalsPerPage - 1) / evalsPerPage
	v := map[string]any{"evals": list, "first": "?page=1", "last": "?page=" + strconv.Itoa(last)}
	if page > 1 {
		v["previous"] = "?page=" + strconv.Itoa(page-1)
	}
	if page < last {
		v["next"] = "?page=" + strconv.Itoa(page+1)
	}
	respond(w, r, "Evaluations of "+k.project+":"+k.jobset, v)
}

// serveLatestEval redirects to the newest hasnewbuilds=1 eval without unfinished builds.
func (s *Server) serveLatestEval(w http.ResponseWriter, r *http.Request, k jsKey, args []string) {
	s.mu.RLock()
	var found int64
	ids := s.jobsetEvals[k]
	for i := len(ids) - 1; i >= 0 && found == 0; i-- {
		done := true
		for _, b := range s.evals[ids[i]].Builds {
			if st, ok := s.builds[b]; ok && !st.b.Finished {
				done = false
				break
			}
		}
		if done {
			found = ids[i]
		}
	}
	s.mu.RUnlock()
	if found == 0 {
		fail(w, r, http.StatusNotFound, "No evaluation found.")
		return
	}
	loc := "/eval/" + strconv.FormatInt(found, 10)
	if len(args) > 0 {
		loc += escapeSegs(args...)
	}
	if r.URL.RawQuery != "" {
		loc += "?" + r.URL.RawQuery
	}
	s.redirect(w, http.StatusFound, loc)
}

// serveJobsTab answers the HTML-only jobs tab: jobs of the latest 20 evals.
func (s *Server) serveJobsTab(w http.ResponseWriter, r *http.Request, k jsKey) {
	filter := strings.ToLower(r.URL.Query().Get("filter"))
	jobs := map[string]bool{}
	s.mu.RLock()
	ids := s.jobsetEvals[k]
	for i := len(ids) - 1; i >= 0 && i >= len(ids)-evalsPerPage; i-- {
		for _, b := range s.evals[ids[i]].Builds {
			if st, ok := s.builds[b]; ok && strings.Contains(strings.ToLower(st.b.Job), filter) {
				jobs[st.b.Job] = true
			}
		}
	}
	s.mu.RUnlock()
	names := make([]string, 0, len(jobs))
	for j := range jobs {
		names = append(names, j)
	}
	sort.Strings(names)
	if filter == "" && len(names) > 250 {
		names = names[:250]
	}
	var b strings.Builder
	b.WriteString("<table class=\"table\">\n")
	for _, j := range names {
		href := escapeSegs("job", k.project, k.jobset, j)
		b.WriteString("<tr><th><a href=\"" + html.EscapeString(href) + "\">" + html.EscapeString(j) + "</a></th></tr>\n")
	}
	b.WriteString("</table>")
	writeHTML(w, http.StatusOK, "Jobs", b.String())
}

// serveEval answers /eval/ID[/builds | /job/JOB[/rest]].
func (s *Server) serveEval(w http.ResponseWriter, r *http.Request, segs []string) {
	if !routable(w, r, segs, 1) {
		return
	}
	id, err := strconv.ParseInt(segs[0], 10, 64)
	action, args := splitAction(segs[1:])
	s.mu.RLock()
	e, ok := s.evals[id]
	var ev evalJSON
	var body []byte
	var target int64
	if ok && err == nil {
		switch action {
		case "":
			ev = evalToJSON(e)
		case "builds":
			members := append([]int64(nil), e.Builds...)
			sort.Slice(members, func(i, j int) bool { return members[i] < members[j] })
			body = s.buildsJSONLocked(members)
		case "job":
			if len(args) > 0 {
				for _, b := range e.Builds {
					if st, ok := s.builds[b]; ok && st.b.Job == args[0] {
						target = b
						break
					}
				}
			}
		}
	}
	s.mu.RUnlock()
	if !ok || err != nil {
		fail(w, r, http.StatusNotFound, "Evaluation "+segs[0]+" doesn't exist.")
		return
	}
	switch {
	case action == "" && len(args) == 0:
		respond(w, r, "Evaluation "+segs[0], ev)
	case action == "builds" && len(args) == 0:
		if ct := negotiate(r); ct != "" {
			writeRaw(w, http.StatusOK, ct, body)
		} else {
			writeHTML(w, http.StatusOK, "Builds of evaluation "+segs[0], "")
		}
	case action == "job" && target != 0:
		s.redirect(w, http.StatusFound, "/build/"+strconv.FormatInt(target, 10)+escapeRest(args[1:]))
	case action == "job":
		fail(w, r, http.StatusNotFound, "This evaluation has no job with the specified name.")
	default:
		fail(w, r, http.StatusNotFound, "Page not found.")
	}
}

// escapeRest renders trailing path arguments, or "" when there are none.
func escapeRest(args []string) string {
	if len(args) == 0 {
		return ""
	}
	return escapeSegs(args...)
}
