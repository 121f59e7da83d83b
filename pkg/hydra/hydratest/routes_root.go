package hydratest

import (
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
)

// serveIndex answers GET /: all projects, enabled first, then by name.
func (s *Server) serveIndex(w http.ResponseWriter, r *http.Request) {
	if !isRead(r) {
		notAllowed(w, r)
		return
	}
	s.mu.RLock()
	list := make([]projectJSON, 0, len(s.projects))
	for _, p := range s.projects {
		list = append(list, s.projectToJSONLocked(p))
	}
	s.mu.RUnlock()
	sort.Slice(list, func(i, j int) bool {
		if list[i].Enabled != list[j].Enabled {
			return list[i].Enabled
		}
		return list[i].Name < list[j].Name
	})
	respond(w, r, "Overview", list)
}

// serveProject answers GET /project/P.
func (s *Server) serveProject(w http.ResponseWriter, r *http.Request, name string) {
	if !isRead(r) {
		notAllowed(w, r)
		return
	}
	s.mu.RLock()
	p, ok := s.projects[name]
	var v projectJSON
	if ok {
		v = s.projectToJSONLocked(p)
	}
	s.mu.RUnlock()
	if !ok {
		fail(w, r, http.StatusNotFound, "Project ‘"+name+"’ doesn't exist.")
		return
	}
	respond(w, r, "Project "+name, v)
}

// serveAPI answers /api/*, which always answers JSON (or text) whatever was asked.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request, segs []string) {
	if len(segs) != 1 {
		failJSON(w, http.StatusNotFound, "Page not found.")
		return
	}
	switch segs[0] {
	case "latestbuilds":
		s.apiBuildList(w, r, true)
	case "queue":
		s.apiBuildList(w, r, false)
	case "jobsets":
		s.apiJobsets(w, r)
	case "nrqueue":
		s.mu.RLock()
		n := 0
		for _, st := range s.builds {
			if !st.b.Finished {
				n++
			}
		}
		s.mu.RUnlock()
		writeRaw(w, http.StatusOK, "application/json", []byte(strconv.Itoa(n)))
	default:
		failJSON(w, http.StatusNotFound, "Page not found.")
	}
}

type buildHash struct {
	ID          int64  `json:"id"`
	Project     string `json:"project"`
	Jobset      string `json:"jobset"`
	Job         string `json:"job"`
	System      string `json:"system"`
	NixName     string `json:"nixname"`
	Finished    int    `json:"finished"`
	Timestamp   int64  `json:"timestamp"`
	BuildStatus *int   `json:"buildstatus,omitempty"`
	Priority    *int   `json:"priority,omitempty"`
}

func buildToHash(b *Build) buildHash {
	h := buildHash{ID: b.ID, Project: b.Project, Jobset: b.Jobset, Job: b.Job, System: b.System,
		NixName: b.NixName, Finished: b2i(b.Finished), Timestamp: b.Timestamp}
	if b.Finished {
		st := b.Status
		h.BuildStatus = &st
	} else {
		p := orDefault(b.Priority, 100)
		h.Priority = &p
	}
	return h
}

// apiBuildList answers /api/latestbuilds (finished builds, id DESC) and
// /api/queue (unfinished builds, priority DESC then id). nr is required, with
// no upper bound; Hydra's error() without a status makes a bad nr a 500.
func (s *Server) apiBuildList(w http.ResponseWriter, r *http.Request, finished bool) {
	q := r.URL.Query()
	if !q.Has("nr") {
		failJSON(w, http.StatusInternalServerError, "Parameter not defined!")
		return
	}
	nr, err := strconv.Atoi(q.Get("nr"))
	if err != nil || nr <= 0 {
		failJSON(w, http.StatusInternalServerError, "DBIx::Class::ResultSet::all(): invalid rows ‘"+q.Get("nr")+"’")
		return
	}
	project, jobset, job, system := q.Get("project"), q.Get("jobset"), q.Get("job"), q.Get("system")
	list := []buildHash{}
	s.mu.RLock()
	if finished {
		for i := len(s.allBuilds) - 1; i >= 0 && len(list) < nr; i-- {
			b := &s.builds[s.allBuilds[i]].b
			if !b.Finished || project != "" && b.Project != project || jobset != "" && b.Jobset != jobset ||
				job != "" && b.Job != job || system != "" && b.System != system {
				continue
			}
			list = append(list, buildToHash(b))
		}
	} else {
		var queued []*Build
		for _, id := range s.allBuilds {
			if b := &s.builds[id].b; !b.Finished {
				queued = append(queued, b)
			}
		}
		sort.SliceStable(queued, func(i, j int) bool {
			return orDefault(queued[i].Priority, 100) > orDefault(queued[j].Priority, 100)
		})
		for _, b := range queued {
			if len(list) == nr {
				break
			}
			list = append(list, buildToHash(b))
		}
	}
	s.mu.RUnlock()
	body, _ := json.Marshal(list)
	writeRaw(w, http.StatusOK, "application/json", body)
}

type jobsetHash struct {
	Project         string  `json:"project"`
	Name            string  `json:"name"`
	NrScheduled     int     `json:"nrscheduled"`
	NrSucceeded     int     `json:"nrsucceeded"`
	NrFailed        int     `json:"nrfailed"`
	NrTotal         int     `json:"nrtotal"`
	LastCheckedTime *int64  `json:"lastcheckedtime"`
	StartTime       *int64  `json:"starttime"`
	CheckInterval   int     `json:"checkinterval"`
	TriggerTime     *int64  `json:"triggertime"`
	FetchErrorMsg   *string `json:"fetcherrormsg"`
	ErrorTime       *int64  `json:"errortime"`
	HasErrorMsg     bool    `json:"haserrormsg"`
}

// apiJobsets answers /api/jobsets?project=P. Counts are over the jobset's
// current builds (the members of its newest eval). Hidden jobsets are left
// out unless the signed-in user owns the project.
func (s *Server) apiJobsets(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if !q.Has("project") {
		failJSON(w, http.StatusInternalServerError, "Parameter 'project' not defined!")
		return
	}
	name := q.Get("project")
	user := s.sessionUser(r)
	s.mu.RLock()
	p, ok := s.projects[name]
	list := []jobsetHash{}
	if ok {
		for k, j := range s.jobsets {
			if k.project != name || j.Hidden && (user == "" || user != p.Owner) {
				continue
			}
			h := jobsetHash{Project: j.Project, Name: j.Name, LastCheckedTime: intOrNull(j.LastCheckedTime),
				StartTime: intOrNull(j.StartTime), CheckInterval: orDefault(j.CheckInterval, 300),
				TriggerTime: intOrNull(j.TriggerTime), FetchErrorMsg: strOrNull(j.FetchErrorMsg),
				ErrorTime: intOrNull(j.ErrorTime), HasErrorMsg: j.ErrorMsg != ""}
			if evs := s.jobsetEvals[k]; len(evs) > 0 {
				for _, id := range s.evals[evs[len(evs)-1]].Builds {
					st, ok := s.builds[id]
					if !ok {
						continue
					}
					h.NrTotal++
					switch {
					case !st.b.Finished:
						h.NrScheduled++
					case st.b.Status == 0:
						h.NrSucceeded++
					default:
						h.NrFailed++
					}
				}
			}
			list = append(list, h)
		}
	}
	s.mu.RUnlock()
	if !ok {
		failJSON(w, http.StatusNotFound, "Project "+name+" doesn't exist.")
		return
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
	body, _ := json.Marshal(list)
	writeRaw(w, http.StatusOK, "application/json", body)
}
