package hydratest

import (
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// serveJob answers /job/P/J/JOB[/action...]. Like Job.pm it checks the
// jobset (301 when renamed) but not whether the job has any build.
func (s *Server) serveJob(w http.ResponseWriter, r *http.Request, segs []string) {
	if !routable(w, r, segs, 3) {
		return
	}
	project, jobset, job := segs[0], segs[1], segs[2]
	action, args := splitAction(segs[3:])
	s.mu.RLock()
	j, renamed := s.lookupJobset(project, jobset)
	ids := append([]int64(nil), s.jobBuilds[jobKey{project, jobset, job}]...) // ascending snapshot
	s.mu.RUnlock()
	if j == nil {
		if renamed != "" {
			s.redirect(w, http.StatusMovedPermanently, renameLocation(r, []string{"job", project, renamed, job}, action))
			return
		}
		fail(w, r, http.StatusNotFound, "Jobset ‘"+jobset+"’ doesn't exist.")
		return
	}
	title := "Job " + project + ":" + jobset + ":" + job
	switch {
	case action == "" && len(args) == 0:
		s.serveAllHTML(w, r, title, ids) // overview: HTML only
	case action == "all" && len(args) == 0:
		s.serveAllHTML(w, r, title, ids) // HTML only (issue #1036)
	case action == "latest" || action == "latest-for":
		s.latestRedirect(w, r, ids, action, args)
	case action == "metric" && len(args) == 1:
		s.serveMetric(w, r, title, ids, args[0])
	case action == "build-times" && len(args) == 0:
		s.serveSeries(w, r, title, ids, func(b *Build) (int64, bool) {
			return b.StopTime - b.StartTime, true
		})
	case action == "closure-sizes" && len(args) == 0:
		s.serveSeries(w, r, title, ids, func(b *Build) (int64, bool) { return b.ClosureSize, b.ClosureSize != 0 })
	case action == "output-sizes" && len(args) == 0:
		s.serveSeries(w, r, title, ids, func(b *Build) (int64, bool) { return b.Size, b.Size != 0 })
	case action == "metric-tab" && len(args) == 0:
		s.serveMetricTab(w, r, project, jobset, job, ids)
	case (action == "prometheus" || action == "shield") && len(args) == 0:
		s.serveJobStatus(w, r, project, jobset, job, ids, action)
	default:
		fail(w, r, http.StatusNotFound, "Page not found.")
	}
}

// latestRedirect answers latest[/rest] and latest-for/SYSTEM[/rest]: 302 to
// the newest (highest id) build with finished=1, buildstatus=0.
func (s *Server) latestRedirect(w http.ResponseWriter, r *http.Request, ids []int64, action string, rest []string) {
	system := ""
	if action == "latest-for" {
		if len(rest) == 0 {
			fail(w, r, http.StatusNotFound, "You need to specify a platform type in the URL.")
			return
		}
		system, rest = rest[0], rest[1:]
	}
	var found int64
	s.mu.RLock()
	for i := len(ids) - 1; i >= 0; i-- {
		b := &s.builds[ids[i]].b
		if b.Finished && b.Status == 0 && (system == "" || b.System == system) {
			found = b.ID
			break
		}
	}
	s.mu.RUnlock()
	if found == 0 {
		fail(w, r, http.StatusNotFound, "There is no successful build to redirect to.")
		return
	}
	s.redirect(w, http.StatusFound, "/build/"+strconv.FormatInt(found, 10)+escapeRest(rest))
}

// serveAllHTML answers HTML-only build lists: 20 per page by stoptime DESC.
func (s *Server) serveAllHTML(w http.ResponseWriter, r *http.Request, title string, ids []int64) {
	page := perlInt(r.URL.Query().Get("page"))
	if page < 1 {
		page = 1
	}
	s.mu.RLock()
	list := make([]Build, 0, len(ids))
	for _, id := range ids {
		if b := s.builds[id].b; b.Finished {
			list = append(list, b)
		}
	}
	s.mu.RUnlock()
	sort.SliceStable(list, func(i, j int) bool { return list[i].StopTime > list[j].StopTime })
	var sb strings.Builder
	sb.WriteString("<table class=\"table\">\n")
	for i := (page - 1) * 20; i < len(list) && i < page*20; i++ {
		b := &list[i]
		fmt.Fprintf(&sb, "<tr><td><a href=\"/build/%d\">%d</a></td><td>%s</td><td>%d</td></tr>\n",
			b.ID, b.ID, html.EscapeString(b.NixName), b.Status)
	}
	sb.WriteString("</table>")
	writeHTML(w, http.StatusOK, title, sb.String())
}

type metricPoint struct {
	ID        int64           `json:"id"`
	Timestamp int64           `json:"timestamp"`
	Value     json.RawMessage `json:"value"`
	Unit      *string         `json:"unit"`
}

// serveMetric answers /job/.../metric/NAME: every build of the job having the
// metric, ordered by timestamp, no paging. JSON only when negotiated.
func (s *Server) serveMetric(w http.ResponseWriter, r *http.Request, title string, ids []int64, name string) {
	ct := negotiate(r)
	if ct == "" {
		writeHTML(w, http.StatusOK, title+": "+name, "<div id=\"placeholder\"></div>")
		return
	}
	list := []metricPoint{}
	s.mu.RLock()
	for _, id := range ids {
		b := &s.builds[id].b
		if m, ok := b.Metrics[name]; ok {
			list = append(list, metricPoint{b.ID, b.Timestamp, metricValue(m), strOrNull(m.Unit)})
		}
	}
	s.mu.RUnlock()
	sort.SliceStable(list, func(i, j int) bool { return list[i].Timestamp < list[j].Timestamp })
	writeJSONType(w, http.StatusOK, ct, list)
}

type seriesPoint struct {
	ID        int64 `json:"id"`
	Timestamp int64 `json:"timestamp"`
	Value     int64 `json:"value"`
}

// serveSeries answers build-times / closure-sizes / output-sizes: successful
// builds (finished=1, buildstatus=0) ordered by id.
func (s *Server) serveSeries(w http.ResponseWriter, r *http.Request, title string, ids []int64, val func(*Build) (int64, bool)) {
	list := []seriesPoint{}
	s.mu.RLock()
	for _, id := range ids {
		b := &s.builds[id].b
		if !b.Finished || b.Status != 0 {
			continue
		}
		if v, ok := val(b); ok {
			list = append(list, seriesPoint{b.ID, b.Timestamp, v})
		}
	}
	s.mu.RUnlock()
	respond(w, r, title, list)
}

// serveMetricTab answers the HTML-only metrics tab listing distinct metric names.
func (s *Server) serveMetricTab(w http.ResponseWriter, r *http.Request, project, jobset, job string, ids []int64) {
	names := map[string]bool{}
	s.mu.RLock()
	for _, id := range ids {
		for n := range s.builds[id].b.Metrics {
			names[n] = true
		}
	}
	s.mu.RUnlock()
	sorted := make([]string, 0, len(names))
	for n := range names {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	var sb strings.Builder
	for _, n := range sorted {
		href := escapeSegs("job", project, jobset, job, "metric", n)
		sb.WriteString("<h3><a href=\"" + html.EscapeString(href) + "\">" + html.EscapeString(n) + "</a></h3>\n")
	}
	writeHTML(w, http.StatusOK, "Metrics", sb.String())
}

// serveJobStatus answers /prometheus and /shield from the newest finished build.
func (s *Server) serveJobStatus(w http.ResponseWriter, r *http.Request, project, jobset, job string, ids []int64, action string) {
	var last *Build
	s.mu.RLock()
	for i := len(ids) - 1; i >= 0; i-- {
		if b := s.builds[ids[i]].b; b.Finished {
			last = &b
			break
		}
	}
	s.mu.RUnlock()
	if last == nil {
		if action == "shield" {
			fail(w, r, http.StatusNotFound, "No latest build for job ‘"+job+"’.")
		} else { // Job.pm dereferences the missing build and dies
			fail(w, r, http.StatusInternalServerError, "Can't call method \"stoptime\" on an undefined value")
		}
		return
	}
	if action == "shield" {
		color, msg := "red", "failing"
		switch last.Status {
		case 0:
			color, msg = "green", "passing"
		case 4:
			color, msg = "yellow", "cancelled"
		}
		writeJSONType(w, http.StatusOK, "application/json", map[string]any{
			"schemaVersion": 1, "label": "hydra build", "color": color, "message": msg})
		return
	}
	labels := fmt.Sprintf("{project=%q,jobset=%q,job=%q}", project, jobset, job)
	text := "# HELP hydra_job_completion_time The most recent job's completion time\n" +
		"# TYPE hydra_job_completion_time counter\n" +
		"hydra_job_completion_time" + labels + " " + strconv.FormatInt(last.StopTime, 10) + "\n" +
		"# HELP hydra_job_failed Record if the most recent version of this job failed (1 means failed)\n" +
		"# TYPE hydra_job_failed gauge\n" +
		"hydra_job_failed" + labels + " " + strconv.Itoa(b2i(last.Status > 0)) + "\n"
	writeRaw(w, http.StatusOK, "text/plain; charset=utf-8", []byte(text))
}
