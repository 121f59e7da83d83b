package hydratest

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

const jsonCT = "application/json"

// do sends a request without following redirects; hdr is "Name: value" pairs.
func do(t testing.TB, s *Server, method, path string, body io.Reader, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hdr {
		k, v, _ := strings.Cut(h, ": ")
		req.Header.Add(k, v)
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, data
}

func get(t testing.TB, s *Server, path string, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	return do(t, s, http.MethodGet, path, nil, hdr...)
}

// getJSON GETs path with Accept: application/json and decodes the answer.
func getJSON(t testing.TB, s *Server, path string, v any) *http.Response {
	t.Helper()
	resp, data := get(t, s, path, "Accept: application/json")
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("GET %s: %d %q: %v", path, resp.StatusCode, data, err)
	}
	return resp
}

func wantStatus(t testing.TB, resp *http.Response, want int) {
	t.Helper()
	if resp.StatusCode != want {
		t.Fatalf("%s %s: status %d, want %d", resp.Request.Method, resp.Request.URL, resp.StatusCode, want)
	}
}

// newTestServer has project p / jobset j with job "app": builds 1..3 finished
// (2 failed), build 4 queued, and evals 10 (builds 1,2) and 11 (3,4).
func newTestServer(t testing.TB) *Server {
	s := New()
	t.Cleanup(s.Close)
	s.AddJobset(Jobset{Project: "p", Name: "j", NixExprInput: "src", NixExprPath: "release.nix", Enabled: 1,
		Inputs: map[string]JobsetInput{"src": {Type: "git", Value: "https://example.org/p.git"}}})
	for i, st := range []int{0, 1, 0} {
		id := int64(i + 1)
		s.AddBuild(Build{ID: id, Project: "p", Jobset: "j", Job: "app", Finished: true, Status: st,
			Timestamp: 1000 * id, StartTime: 1000*id + 10, StopTime: 1000*id + 70, NixName: "app-1",
			System: "x86_64-linux", DrvPath: "/nix/store/d-app.drv",
			Outputs: map[string]string{"out": "/nix/store/o-app"},
			Metrics: map[string]Metric{"time": {Value: float64(id) + 0.5, Unit: "s", AsString: id == 2},
				"ratio": {Raw: "NaN"}}})
	}
	s.AddBuild(Build{ID: 4, Project: "p", Jobset: "j", Job: "app", Timestamp: 4000, System: "aarch64-linux"})
	s.AddEval(Eval{ID: 10, Project: "p", Jobset: "j", Timestamp: 1000, HasNewBuilds: true, Builds: []int64{1, 2},
		Inputs: map[string]EvalInput{"src": {Type: "git", URI: "https://example.org/p.git", Revision: strings.Repeat("a", 40)}}})
	s.AddEval(Eval{ID: 11, Project: "p", Jobset: "j", Timestamp: 3000, HasNewBuilds: true, Builds: []int64{3, 4}})
	return s
}

func TestNegotiation(t *testing.T) {
	s := newTestServer(t)
	isJSON := func(resp *http.Response) bool { return strings.HasPrefix(resp.Header.Get("Content-Type"), jsonCT) }
	cases := []struct {
		path string
		hdr  []string
		json bool
	}{
		{"/build/1", nil, false},
		{"/build/1", []string{"Accept: application/json"}, true},
		{"/build/1?content-type=application/json", nil, true},
		{"/build/1", []string{"Content-Type: application/json"}, true},
		{"/build/1", []string{"Accept: */*"}, false},
		{"/build/1", []string{"Accept: text/html, application/json"}, false},
		{"/build/1", []string{"Accept: text/html;q=0.5, application/json;q=0.9"}, true},
		{"/api/latestbuilds?nr=1", nil, true},
		{"/job/p/j/app/all", []string{"Accept: application/json"}, false},
		{"/job/p/j/app", []string{"Accept: application/json"}, false},
		{"/jobset/p/j/jobs-tab", []string{"Accept: application/json"}, false},
		{"/job/p/j/app/metric-tab", []string{"Accept: application/json"}, false},
		{"/job/p/j/app/metric/time", nil, false},
		{"/job/p/j/app/metric/time", []string{"Accept: application/json"}, true},
	}
	for _, c := range cases {
		resp, body := get(t, s, c.path, c.hdr...)
		wantStatus(t, resp, 200)
		if isJSON(resp) != c.json {
			t.Errorf("GET %s %v: Content-Type %q, want JSON=%v", c.path, c.hdr, resp.Header.Get("Content-Type"), c.json)
		}
		if !c.json && !strings.HasPrefix(string(body), "<!DOCTYPE html>") {
			t.Errorf("GET %s: body %.40q is not an HTML page", c.path, body)
		}
		if resp.Header.Get("Vary") != "Accept" {
			t.Errorf("GET %s: Vary %q", c.path, resp.Header.Get("Vary"))
		}
	}
	resp, _ := get(t, s, "/build/1", "Accept: text/x-json")
	if ct := resp.Header.Get("Content-Type"); ct != "text/x-json" {
		t.Errorf("text/x-json answered as %q", ct)
	}
	// Errors: JSON for JSON requests, HTML otherwise.
	var e map[string]string
	resp = getJSON(t, s, "/build/99", &e)
	wantStatus(t, resp, 404)
	if e["error"] != "Build with ID 99 doesn't exist." {
		t.Errorf("error %q", e["error"])
	}
	resp, body := get(t, s, "/build/99")
	wantStatus(t, resp, 404)
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(string(body), "Build with ID 99") {
		t.Errorf("HTML 404: %q %q", resp.Header.Get("Content-Type"), body)
	}
}

func TestBuildJSONTypes(t *testing.T) {
	s := newTestServer(t)
	var b map[string]json.RawMessage
	getJSON(t, s, "/build/4", &b)
	for k, want := range map[string]string{"finished": "0", "buildstatus": "null", "starttime": "null",
		"stoptime": "null", "priority": "100", "releasename": "null", "jobsetevals": "[11]", "buildproducts": "{}"} {
		if string(b[k]) != want {
			t.Errorf("/build/4 %s = %s, want %s", k, b[k], want)
		}
	}
	getJSON(t, s, "/build/2", &b)
	for k, want := range map[string]string{"finished": "1", "buildstatus": "1", "starttime": "2010",
		"jobsetevals": "[10]", "buildoutputs": `{"out":{"path":"/nix/store/o-app"}}`,
		"buildmetrics": `{"ratio":{"value":"NaN","unit":null},"time":{"value":"2.5","unit":"s"}}`} {
		if string(b[k]) != want {
			t.Errorf("/build/2 %s = %s, want %s", k, b[k], want)
		}
	}
	getJSON(t, s, "/build/3", &b)
	if got := string(b["buildmetrics"]); !strings.Contains(got, `"time":{"value":3.5,"unit":"s"}`) {
		t.Errorf("numeric metric: %s", got)
	}
	var list []map[string]any
	getJSON(t, s, "/eval/11/builds", &list)
	if len(list) != 2 || list[0]["id"].(float64) != 3 || list[1]["id"].(float64) != 4 {
		t.Errorf("/eval/11/builds: %v", list)
	}
	var c []map[string]any
	s.AddBuild(Build{ID: 9, Project: "p", Jobset: "j", Job: "agg", Finished: true, Constituents: []int64{3, 1}})
	getJSON(t, s, "/build/9/constituents", &c)
	if len(c) != 2 || c[0]["id"].(float64) != 1 {
		t.Errorf("constituents: %v", c)
	}
}

func TestLatestBuilds(t *testing.T) {
	s := newTestServer(t)
	s.AddBuild(Build{ID: 5, Project: "p", Jobset: "k", Job: "other", Finished: true, System: "aarch64-linux"})
	var list []map[string]any
	resp := getJSON(t, s, "/api/latestbuilds?nr=10", &list)
	wantStatus(t, resp, 200)
	var ids []float64
	for _, b := range list {
		ids = append(ids, b["id"].(float64))
		if _, ok := b["starttime"]; ok {
			t.Errorf("latestbuilds item has starttime: %v", b)
		}
	}
	if !reflect.DeepEqual(ids, []float64{5, 3, 2, 1}) { // 4 is unfinished
		t.Errorf("latestbuilds ids %v", ids)
	}
	for q, want := range map[string]int{"nr=2": 2, "nr=10&project=p&jobset=j": 3, "nr=10&job=other": 1,
		"nr=10&system=aarch64-linux": 1, "nr=10&project=nope": 0} {
		getJSON(t, s, "/api/latestbuilds?"+q, &list)
		if len(list) != want {
			t.Errorf("latestbuilds?%s: %d items, want %d", q, len(list), want)
		}
	}
	for _, q := range []string{"", "?nr=abc"} {
		var e map[string]string
		resp, body := get(t, s, "/api/latestbuilds"+q) // /api errors are JSON whatever was asked
		if resp.StatusCode != 500 || json.Unmarshal(body, &e) != nil || e["error"] == "" {
			t.Errorf("latestbuilds%s: %d %s", q, resp.StatusCode, body)
		}
	}
	var js []map[string]any
	getJSON(t, s, "/api/jobsets?project=p", &js)
	if len(js) != 2 || js[0]["name"] != "j" || js[0]["nrtotal"].(float64) != 2 ||
		js[0]["nrscheduled"].(float64) != 1 || js[0]["haserrormsg"] != false {
		t.Errorf("/api/jobsets: %v", js)
	}
}

func TestJobRoutes(t *testing.T) {
	s := newTestServer(t)
	var pts []map[string]json.RawMessage
	getJSON(t, s, "/job/p/j/app/metric/time", &pts)
	var vals []string
	for _, p := range pts {
		vals = append(vals, string(p["value"]))
	}
	if !reflect.DeepEqual(vals, []string{"1.5", `"2.5"`, "3.5"}) {
		t.Errorf("metric values %v", vals)
	}
	var bt []map[string]int64
	getJSON(t, s, "/job/p/j/app/build-times", &bt)
	if len(bt) != 2 || bt[0]["id"] != 1 || bt[1]["id"] != 3 || bt[1]["value"] != 60 {
		t.Errorf("build-times %v", bt)
	}
	resp, _ := get(t, s, "/job/p/j/app/latest/download/1/x.json?a=b")
	wantStatus(t, resp, 302)
	if loc := resp.Header.Get("Location"); loc != s.URL+"/build/3/download/1/x.json" {
		t.Errorf("latest Location %q", loc)
	}
	resp, _ = get(t, s, "/job/p/j/app/latest-for/aarch64-linux")
	wantStatus(t, resp, 404)
	resp, _ = get(t, s, "/job/p/j/nosuchjob/latest")
	wantStatus(t, resp, 404)
	resp, _ = get(t, s, "/jobset/p/j/latest-eval")
	wantStatus(t, resp, 302)
	if loc := resp.Header.Get("Location"); loc != s.URL+"/eval/10" { // eval 11 has queued build 4
		t.Errorf("latest-eval Location %q", loc)
	}
	resp, body := get(t, s, "/job/p/j/app/prometheus", "Accept: application/json")
	wantStatus(t, resp, 200)
	if !strings.Contains(string(body), `hydra_job_completion_time{project="p",jobset="j",job="app"} 3070`) {
		t.Errorf("prometheus: %s", body)
	}
}

func TestRename(t *testing.T) {
	s := newTestServer(t)
	s.RenameJobset("p", "j", "main")
	for path, want := range map[string]string{
		"/jobset/p/j":                    "/jobset/p/main",
		"/jobset/p/j/evals?page=2":       "/jobset/p/main/evals?page=2",
		"/job/p/j/app/latest/download/1": "/job/p/main/app/latest",
		"/job/p/j/app/metric/time":       "/job/p/main/app/metric",
	} {
		resp, _ := get(t, s, path, "Accept: application/json")
		wantStatus(t, resp, 301)
		if loc := resp.Header.Get("Location"); loc != s.URL+want {
			t.Errorf("%s: Location %q, want %q", path, loc, want)
		}
	}
	var b map[string]any
	getJSON(t, s, "/build/1", &b)
	var pts []map[string]any
	getJSON(t, s, "/job/p/main/app/metric/time", &pts)
	if b["jobset"] != "main" || len(pts) != 3 {
		t.Errorf("renamed jobset: build %v, %d points", b["jobset"], len(pts))
	}
	resp, _ := get(t, s, "/jobset/p/nope")
	wantStatus(t, resp, 404)
}

func TestCountingLatencyIntercept(t *testing.T) {
	s := newTestServer(t)
	get(t, s, "/build/1?x=1")
	get(t, s, "/build/1?x=1")
	do(t, s, http.MethodPost, "/login", nil)
	if n := s.Requests()["GET /build/1?x=1"]; n != 2 || s.TotalRequests() != 3 || s.Requests()["POST /login"] != 1 {
		t.Errorf("counts %v total %d", s.Requests(), s.TotalRequests())
	}
	s.ResetRequests()
	if s.TotalRequests() != 0 || len(s.Requests()) != 0 {
		t.Errorf("reset: %v", s.Requests())
	}

	s.SetLatency(60 * time.Millisecond)
	start := time.Now()
	get(t, s, "/build/1")
	if d := time.Since(start); d < 60*time.Millisecond {
		t.Errorf("latency not applied: %v", d)
	}
	s.SetLatency(5 * time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/build/1", nil)
	start = time.Now()
	if _, err := s.Client().Do(req); !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 2*time.Second {
		t.Errorf("cancelled request: %v after %v", err, time.Since(start))
	}
	s.SetLatency(0)

	s.Intercept(func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path == "/build/2" {
			http.Error(w, "boom", http.StatusServiceUnavailable)
			return true
		}
		return false
	})
	resp, _ := get(t, s, "/build/2")
	wantStatus(t, resp, 503)
	resp, _ = get(t, s, "/build/1")
	wantStatus(t, resp, 200)
	s.Intercept(nil)
	resp, _ = get(t, s, "/build/2")
	wantStatus(t, resp, 200)
}

func TestConcurrentUse(t *testing.T) {
	s := newTestServer(t)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				id := int64(100 + g*100 + i)
				s.AddBuild(Build{ID: id, Project: "p", Jobset: "j", Job: "app", Finished: true})
				s.AddEval(Eval{ID: id, Project: "p", Jobset: "j", HasNewBuilds: true, Builds: []int64{id, 1}})
				var v any
				getJSON(t, s, "/build/1", &v)
				getJSON(t, s, "/jobset/p/j/evals", &v)
				getJSON(t, s, "/api/latestbuilds?nr=5", &v)
			}
		}(g)
	}
	wg.Wait()
	var b struct{ JobsetEvals []int64 }
	getJSON(t, s, "/build/1", &b)
	if len(b.JobsetEvals) != 161 {
		t.Errorf("build 1 in %d evals, want 161", len(b.JobsetEvals))
	}
}
