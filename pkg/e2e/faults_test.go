package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/hydra/hydratest"
)

func artifactQuery(jobset string) map[string]any {
	return map[string]any{"queryType": "artifact", "project": "bench", "jobset": jobset, "job": "bench",
		"product": "bench.json", "path": "results.throughput"}
}

// wantFailure checks a per-query error from downstream whose message holds phrase.
func wantFailure(t *testing.T, r backend.DataResponse, phrase string) {
	t.Helper()
	if r.Error == nil {
		t.Fatalf("want an error saying %q, got frames %v", phrase, r.Frames)
	}
	t.Logf("error (%s, %v): %v", r.ErrorSource, r.Status, r.Error)
	if !strings.Contains(strings.ToLower(r.Error.Error()), strings.ToLower(phrase)) {
		t.Errorf("the error does not say %q: %v", phrase, r.Error)
	}
	if r.ErrorSource != backend.ErrorSourceDownstream {
		t.Errorf("error source %q, want downstream", r.ErrorSource)
	}
}

// wantPoints checks an answer without error with rows points and returns its notices.
func wantPoints(t *testing.T, r backend.DataResponse, rows int) []string {
	t.Helper()
	if r.Error != nil {
		t.Fatalf("want %d points, got the error (%s) %v", rows, r.ErrorSource, r.Error)
	}
	if len(r.Frames) == 0 || r.Frames[0].Rows() != rows {
		t.Fatalf("want %d points, got %v", rows, r.Frames)
	}
	var notices []string
	for _, f := range r.Frames {
		if f.Meta != nil {
			for _, n := range f.Meta.Notices {
				notices = append(notices, n.Text)
			}
		}
	}
	return notices
}

// TestFaultsFromHydra launches one plugin and, for each fault of Hydra, checks the query's
// error or notice, then that a good query succeeds in the same plugin once it is removed.
func TestFaultsFromHydra(t *testing.T) {
	h := newFaultHydra(t)
	const builds = 5
	var huge atomic.Int64
	hugeDone := make(chan struct{})
	const maxBytes = 1 << 20
	cases := []struct {
		name    string
		fault   func(jobset string, ids []int64) func(http.ResponseWriter, *http.Request) bool
		phrase  string
		partial int // > 0: a notice saying phrase, and partial-1 points, instead of an error
	}{
		{"listing 500", func(js string, _ []int64) func(http.ResponseWriter, *http.Request) bool {
			return answer(listing(js), 500, "application/json", `{"error":"database is down"}`)
		}, "Hydra failed to answer", 0},
		{"listing 502", func(js string, _ []int64) func(http.ResponseWriter, *http.Request) bool {
			return answer(listing(js), 502, "text/html", `<html>Bad Gateway</html>`)
		}, "(502)", 0},
		{"listing 429", func(js string, _ []int64) func(http.ResponseWriter, *http.Request) bool {
			return answer(listing(js), 429, "text/plain", `slow down`)
		}, "rate-limiting", 0},
		{"listing HTML", func(js string, _ []int64) func(http.ResponseWriter, *http.Request) bool {
			return answer(listing(js), 200, "text/html; charset=utf-8", `<!DOCTYPE html><html>Hydra</html>`)
		}, "HTML page instead of JSON", 0},
		{"listing truncated JSON", func(js string, _ []int64) func(http.ResponseWriter, *http.Request) bool {
			return answer(listing(js), 200, "application/json", `[{"id":1,"project":"bench","job`)
		}, "unexpected shape", 0},
		{"listing wrong types", func(js string, _ []int64) func(http.ResponseWriter, *http.Request) bool {
			return answer(listing(js), 200, "application/json", `[{"id":"abc","timestamp":"x","finished":"yes"}]`)
		}, "unexpected shape", 0},
		{"listing redirect loop", func(js string, _ []int64) func(http.ResponseWriter, *http.Request) bool {
			return redirectLoop(listing(js))
		}, "redirect loop", 0},
		{"listing hangs", func(js string, _ []int64) func(http.ResponseWriter, *http.Request) bool {
			return hang(listing(js))
		}, "timeout", 0},
		{"product 64 MiB chunked", func(_ string, ids []int64) func(http.ResponseWriter, *http.Request) bool {
			return hugeProduct(download(ids[len(ids)-1]), &huge, hugeDone)
		}, "maxArtifactBytes", builds},
		{"product not JSON", func(_ string, ids []int64) func(http.ResponseWriter, *http.Request) bool {
			return answer(download(ids...), 200, "application/json", "this is not JSON {")
		}, "not valid JSON", 1},
		{"products garbage-collected 404 and 410", func(_ string, ids []int64) func(http.ResponseWriter, *http.Request) bool {
			gone, collected := answer(download(ids[0]), 410, "text/plain", "gone"),
				answer(download(ids[1]), 404, "application/json", `{"error":"Build 1 has been garbage-collected."}`)
			return func(w http.ResponseWriter, r *http.Request) bool { return gone(w, r) || collected(w, r) }
		}, "garbage-collected", builds - 1},
	}
	for i := range cases {
		hydratest.GenerateJob(h.Server, hydratest.GenOptions{Jobset: fmt.Sprintf("fault%d", i), N: builds,
			FirstID: int64(100 * (i + 1)), FirstEvalID: int64(100 * (i + 1))})
		hydratest.GenerateJob(h.Server, hydratest.GenOptions{Jobset: fmt.Sprintf("goodfault%d", i), N: builds,
			FirstID: int64(100*(i+1) + 50), FirstEvalID: int64(100*(i+1) + 50)})
	}
	p := launch(t, h.URL, map[string]any{"timeoutSeconds": 1, "maxArtifactBytes": maxBytes}, nil)

	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			js := fmt.Sprintf("fault%d", i)
			first := int64(100 * (i + 1))
			ids := []int64{first, first + 1, first + 2, first + 3, first + 4}
			h.set(c.fault(js, ids))
			start := time.Now()
			r := p.queryData(t, from, to, map[string]map[string]any{"A": artifactQuery(js)}).Responses["A"]
			h.set(nil)
			if took := time.Since(start); took > 20*time.Second {
				t.Errorf("the faulty query took %s", took)
			}
			if c.partial > 0 {
				notices := wantPoints(t, r, c.partial-1)
				t.Logf("notices: %q", notices)
				if !strings.Contains(strings.Join(notices, "\n"), c.phrase) {
					t.Errorf("no notice says %q: %q", c.phrase, notices)
				}
			} else {
				wantFailure(t, r, c.phrase)
			}
			// The plugin keeps serving: the same job once Hydra is well (a product it
			// already judged may be answered from its cache) and a job it never read.
			again := p.queryData(t, from, to, map[string]map[string]any{"A": artifactQuery(js), "B": artifactQuery("good" + js)})
			if c.partial == 0 {
				wantPoints(t, again.Responses["A"], builds)
			} else if a := again.Responses["A"]; a.Error != nil {
				t.Errorf("the job fails once Hydra is well: %v", a.Error)
			}
			wantPoints(t, again.Responses["B"], builds)
		})
	}
	select {
	case <-hugeDone:
	case <-time.After(10 * time.Second):
		t.Fatalf("the huge product was never served to its end or hang-up")
	}
	if n := huge.Load(); n == 0 || n > 16<<20 {
		t.Errorf("%d bytes of the 64 MiB product were sent before the plugin hung up, want far fewer", n)
	} else {
		t.Logf("the plugin hung up after %d bytes of 64 MiB", n)
	}
}

// TestFaultsExpiredSession: a private Hydra forgets the plugin's session; the plugin logs in
// again once and the query succeeds.
func TestFaultsExpiredSession(t *testing.T) {
	h := hydratest.New()
	t.Cleanup(h.Close)
	h.SetPrivate("alice", "s3cret-pw")
	hydratest.GenerateJob(h, hydratest.GenOptions{N: 5})
	hydratest.GenerateJob(h, hydratest.GenOptions{N: 5, Job: "other", FirstID: 100, FirstEvalID: 100})
	p := launch(t, h.URL, map[string]any{"hydraUser": "alice", "timeoutSeconds": 5}, map[string]string{"hydraPassword": "s3cret-pw"})
	q := map[string]map[string]any{"A": {"queryType": "builds", "project": "bench", "jobset": "main", "job": "bench"}}
	wantPoints(t, p.queryData(t, from, to, q).Responses["A"], 5)
	logins := func() int { return h.Requests()[hydratest.RequestKey("POST", "/login")] }
	before := logins()
	h.ExpireSessions()
	q["A"]["job"] = "other" // not in the plugin's cache: it must ask Hydra
	wantPoints(t, p.queryData(t, from, to, q).Responses["A"], 5)
	if n := logins() - before; n != 1 {
		t.Errorf("%d logins after the session expired, want exactly 1 (requests: %v)", n, h.Requests())
	}
}

// TestFaultsBadQueries: queries a user can get wrong fail alone, from downstream, saying
// what to fix, and a good query in the same request still answers.
func TestFaultsBadQueries(t *testing.T) {
	srv := fakeHydra(t)
	p := launch(t, srv.URL, map[string]any{"timeoutSeconds": 5}, nil)
	good := artifactQuery("main")
	with := func(k string, v any) string {
		q := map[string]any{}
		for key, val := range good {
			q[key] = val
		}
		q[k] = v
		b, _ := json.Marshal(q)
		return string(b)
	}
	goodJSON := with("queryType", "artifact")
	res := rawQuery(t, p, map[string]string{
		"good":      goodJSON,
		"malformed": `{"queryType":"artifact","project":`,
		"unknown":   with("queryType", "nonsense"),
		"nojob":     with("job", ""),
		"gjson":     with("path", "results.[throughput"),
		"hugelimit": with("limit", 1_000_000_000),
		"neglimit":  with("limit", -1),
	})
	wantPoints(t, res.Responses["good"], 27)
	for ref, phrase := range map[string]string{"malformed": "JSON", "unknown": "nonsense", "nojob": "job is empty",
		"gjson": "unclosed", "hugelimit": "out of range", "neglimit": "out of range"} {
		t.Run(ref, func(t *testing.T) { wantFailure(t, res.Responses[ref], phrase) })
	}
	// limit 0 means the default limit, not an error.
	wantPoints(t, rawQuery(t, p, map[string]string{"A": with("limit", 0)}).Responses["A"], 27)

	reversed := p.queryData(t, to, from, map[string]map[string]any{"A": good}).Responses["A"]
	wantFailure(t, reversed, "ends")
	// A century is a valid range: the build limit bounds the walk.
	start := time.Now()
	wantPoints(t, p.queryData(t, to.AddDate(-100, 0, 0), to, map[string]map[string]any{"A": good}).Responses["A"], 27)
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("a 100-year range took %s", took)
	}
	wantPoints(t, p.queryData(t, from, to, map[string]map[string]any{"A": good}).Responses["A"], 27)
}
