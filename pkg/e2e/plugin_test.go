package e2e

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/hydra/hydratest"
)

var (
	from = hydratest.DefaultGenEnd.Add(-30 * 24 * time.Hour)
	to   = hydratest.DefaultGenEnd.Add(time.Hour)
)

func fakeHydra(t *testing.T) *hydratest.Server {
	srv := hydratest.New()
	t.Cleanup(srv.Close)
	hydratest.GenerateJob(srv, hydratest.GenOptions{N: 30, FailFraction: 0.1})
	return srv
}

func TestPluginOverGRPC(t *testing.T) {
	srv := fakeHydra(t)
	p := launch(t, srv.URL, map[string]any{"source": "hydra", "maxConcurrency": 4}, nil)

	h := p.checkHealth(t)
	if h.Status != backend.HealthStatusOk || !strings.Contains(h.Message, "Connected to Hydra") {
		t.Fatalf("health: %v %q", h.Status, h.Message)
	}

	job := func(extra map[string]any) map[string]any {
		q := map[string]any{"project": "bench", "jobset": "main", "job": "bench"}
		for k, v := range extra {
			q[k] = v
		}
		return q
	}
	res := p.queryData(t, from, to, map[string]map[string]any{
		"artifact": job(map[string]any{"queryType": "artifact", "product": "bench.json", "path": "results.throughput"}),
		"metric":   job(map[string]any{"queryType": "metric", "metric": "time"}),
		"builds":   job(map[string]any{"queryType": "builds"}),
		"evals":    {"queryType": "evals", "project": "bench", "jobset": "main"},
		"jobs":     {"queryType": "jobs", "project": "bench", "jobset": "main"},
		"bad":      {"queryType": "nonsense"},
		"nojob":    {"queryType": "artifact", "project": "bench", "jobset": "main", "product": "bench.json", "path": "x"},
	})
	wantRows := map[string]int{"artifact": 27, "metric": 27, "builds": 30, "evals": 30, "jobs": 1}
	for ref, rows := range wantRows {
		r, ok := res.Responses[ref]
		if !ok || r.Error != nil {
			t.Fatalf("%s: missing or failed: %v", ref, r.Error)
		}
		if len(r.Frames) == 0 || r.Frames[0].Rows() != rows {
			t.Errorf("%s: want %d rows, got %v", ref, rows, r.Frames)
		}
	}
	for _, ref := range []string{"bad", "nojob"} {
		r := res.Responses[ref]
		if r.Error == nil || r.Status != backend.StatusBadRequest || r.ErrorSource != backend.ErrorSourceDownstream {
			t.Errorf("%s: want a downstream bad request, got %v / %v / %v", ref, r.Error, r.Status, r.ErrorSource)
		}
	}
	if !strings.Contains(res.Responses["nojob"].Error.Error(), "job is empty") {
		t.Errorf("the error does not say what to fix: %v", res.Responses["nojob"].Error)
	}
	a := res.Responses["artifact"].Frames[0]
	if a.Meta == nil || !strings.Contains(a.Meta.ExecutedQueryString, srv.URL+"/api/latestbuilds") {
		t.Errorf("ExecutedQueryString does not name the Hydra URL: %+v", a.Meta)
	}
	// the fake's evaluations take their source from example.org, no known forge: no commit link
	if links := a.Fields[1].Config.Links; len(links) != 2 || links[0].URL != srv.URL+"/build/${__data.fields.build}" ||
		links[1].URL != srv.URL+"/eval/${__data.fields.eval}" {
		t.Errorf("data links to the build and eval pages missing: %+v", links)
	}
}

func TestResourcesOverGRPC(t *testing.T) {
	srv := fakeHydra(t)
	p := launch(t, srv.URL, map[string]any{}, nil)
	cases := []struct{ path, want string }{
		{"projects", `"value":"bench"`},
		{"jobsets?project=bench", `"value":"main"`},
		{"jobs?project=bench&jobset=main", `"value":"bench"`},
		{"metrics?project=bench&jobset=main&job=bench", `"value":"maxresident"`},
		{"products?project=bench&jobset=main&job=bench", `"value":"bench.json"`},
		{"sample?project=bench&jobset=main&job=bench&product=bench.json&path=results.throughput", `"series":"results.throughput"`},
	}
	for _, c := range cases {
		status, body := p.callResource(t, c.path)
		if status != http.StatusOK || !strings.Contains(string(body), c.want) {
			t.Errorf("%s: %d %s", c.path, status, body)
		}
	}
	status, body := p.callResource(t, "jobsets")
	var e map[string]string
	if status != http.StatusBadRequest || json.Unmarshal(body, &e) != nil || !strings.Contains(e["error"], "project") {
		t.Errorf("missing parameter: %d %s", status, body)
	}
}

func TestHealthSaysWhatIsWrong(t *testing.T) {
	html := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte("<!DOCTYPE html><html>grafana</html>"))
	}))
	t.Cleanup(html.Close)
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()

	private := hydratest.New()
	t.Cleanup(private.Close)
	private.SetPrivate("alice", "s3cret-pw")
	hydratest.GenerateJob(private, hydratest.GenOptions{N: 3})

	cases := []struct {
		name     string
		url      string
		jsonData map[string]any
		secure   map[string]string
		status   backend.HealthStatus
		want     string
	}{
		{"not a hydra", html.URL, nil, nil, backend.HealthStatusError, "HTML page instead of JSON"},
		{"unreachable", deadURL, nil, nil, backend.HealthStatusError, "cannot reach Hydra"},
		{"bad url", "ftp://x", nil, nil, backend.HealthStatusError, "not an http(s) URL"},
		{"private without login", private.URL, nil, nil, backend.HealthStatusError, "set a user and password"},
		{"wrong password", private.URL, map[string]any{"hydraUser": "alice"}, map[string]string{"hydraPassword": "nope"},
			backend.HealthStatusError, "rejected the login"},
		{"login", private.URL, map[string]any{"hydraUser": "alice"}, map[string]string{"hydraPassword": "s3cret-pw"},
			backend.HealthStatusOk, `as "alice"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := launch(t, c.url, c.jsonData, c.secure)
			h := p.checkHealth(t)
			if h.Status != c.status || !strings.Contains(h.Message, c.want) {
				t.Fatalf("got %v %q, want %v containing %q", h.Status, h.Message, c.status, c.want)
			}
			if strings.Contains(h.Message, "s3cret-pw") || strings.Contains(h.Message, "nope") {
				t.Fatalf("a password leaked into the health message: %q", h.Message)
			}
		})
	}
}
