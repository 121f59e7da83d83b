package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/hydra/hydratest"
)

// history is a fake Hydra holding jobs of n builds each, one build an hour up to
// hydratest.DefaultGenEnd, and the time range that covers them.
type history struct {
	srv      *hydratest.Server
	jobs     []job
	from, to time.Time
	n        int
}

// job names one job of a history as a query names it.
type job struct{ project, jobset, name string }

// newHistory generates jobs jobs of n builds each. With sharedJobset they are jobs of one
// jobset whose every evaluation builds all of them, as a jobset's jobs are; otherwise each
// job is alone in its own jobset.
func newHistory(tb testing.TB, jobs, n int, sharedJobset bool) *history {
	tb.Helper()
	srv := hydratest.New()
	tb.Cleanup(srv.Close)
	h := &history{srv: srv, n: n, from: hydratest.DefaultGenEnd.Add(-time.Duration(n+24) * time.Hour),
		to: hydratest.DefaultGenEnd.Add(time.Hour)}
	members := make([][]int64, n) // sharedJobset: the builds of every job at step i
	for j := range jobs {
		o := hydratest.GenOptions{Project: "bench", Jobset: fmt.Sprintf("js%02d", j), Job: "bench", N: n, FirstID: int64(j*n + 1)}
		if sharedJobset {
			o.Jobset, o.Job, o.FirstEvalID = "main", fmt.Sprintf("job%02d", j), 1
		}
		for i, b := range hydratest.GenerateJob(srv, o) {
			members[i] = append(members[i], b.ID)
		}
		h.jobs = append(h.jobs, job{o.Project, o.Jobset, o.Job})
	}
	if sharedJobset && jobs > 1 {
		// GenerateJob gave each step's evaluation to the last job only: list them all in it.
		for i, ids := range members {
			first, _ := srv.Build(ids[0])
			srv.AddEval(hydratest.Eval{ID: int64(i + 1), Project: "bench", Jobset: "main", Timestamp: first.Timestamp,
				CheckoutTime: 1, EvalTime: 5, HasNewBuilds: true, Builds: ids, Inputs: map[string]hydratest.EvalInput{
					"src": {Type: "git", URI: "https://example.org/bench.git", Revision: fmt.Sprintf("%040x", i+1)}}})
		}
	}
	return h
}

// artifactQuery is the throughput series of the job over every build of the history.
func (h *history) artifactQuery(j job) map[string]any {
	return map[string]any{"queryType": "artifact", "project": j.project, "jobset": j.jobset, "job": j.name,
		"product": "bench.json", "path": "results.throughput", "limit": h.n}
}

// metricQuery is the build-time metric of the job over every build of the history.
func (h *history) metricQuery(j job) map[string]any {
	return map[string]any{"queryType": "metric", "project": j.project, "jobset": j.jobset, "job": j.name,
		"metric": "time", "limit": h.n}
}

// panel sends q as its own QueryData call, as Grafana does for each panel, with Max data
// points at least the query's limit. It is safe to call from many goroutines.
func (p *pluginConn) panel(ctx context.Context, q map[string]any, from, to time.Time) (backend.DataResponse, error) {
	raw, _ := json.Marshal(q)
	points := int64(1000)
	if l, ok := q["limit"].(int); ok && int64(l) > points {
		points = int64(l)
	}
	qt, _ := q["queryType"].(string)
	req := &backend.QueryDataRequest{PluginContext: p.pluginContext(), Headers: map[string]string{},
		Queries: []backend.DataQuery{{RefID: "A", QueryType: qt, JSON: raw, MaxDataPoints: points, Interval: time.Minute,
			TimeRange: backend.TimeRange{From: from, To: to}}}}
	res, err := p.data.QueryData(ctx, backend.ToProto().QueryDataRequest(req))
	if err != nil {
		return backend.DataResponse{}, fmt.Errorf("QueryData over gRPC: %w", err)
	}
	out, err := backend.FromProto().QueryDataResponse(res)
	if err != nil {
		return backend.DataResponse{}, fmt.Errorf("decoding QueryData response: %w", err)
	}
	r := out.Responses["A"]
	return r, r.Error
}

// wantRows fails unless r is one frame of rows rows.
func wantRows(r backend.DataResponse, rows int) error {
	if len(r.Frames) != 1 || r.Frames[0].Rows() != rows {
		got := -1
		if len(r.Frames) > 0 {
			got = r.Frames[0].Rows()
		}
		return fmt.Errorf("want one frame of %d rows, got %d frames (first: %d rows)", rows, len(r.Frames), got)
	}
	return nil
}

// panelsRun is what running panels concurrently gave.
type panelsRun struct {
	wall time.Duration
	done []time.Duration // when each panel's answer arrived, sorted
}

// runPanels sends every query at once, each as its own QueryData call, and checks that each
// answer has rows rows.
func (h *history) runPanels(p *pluginConn, queries []map[string]any, rows int) (panelsRun, error) {
	var run panelsRun
	var mu sync.Mutex
	var first error
	var wg sync.WaitGroup
	start := time.Now()
	for _, q := range queries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := p.panel(context.Background(), q, h.from, h.to)
			if err == nil {
				err = wantRows(r, rows)
			}
			mu.Lock()
			defer mu.Unlock()
			run.done = append(run.done, time.Since(start))
			if err != nil && first == nil {
				first = fmt.Errorf("panel %v: %w", q["job"], err)
			}
		}()
	}
	wg.Wait()
	run.wall = time.Since(start)
	sort.Slice(run.done, func(i, j int) bool { return run.done[i] < run.done[j] })
	return run, first
}

// repeated lists the requests the fake Hydra answered more than once, and counts how many
// answers were beyond the first of each.
func repeated(srv *hydratest.Server) (keys []string, extra int) {
	for k, n := range srv.Requests() {
		if n > 1 {
			keys = append(keys, fmt.Sprintf("%s (x%d)", k, n))
			extra += n - 1
		}
	}
	sort.Strings(keys)
	return keys, extra
}

// concurrencyLimit is the least time n requests can take with c in flight and each taking l,
// plus one round for the listing that must come first: (1 + ceil(n/c)) x l.
func concurrencyLimit(n, c int, l time.Duration) time.Duration {
	return time.Duration(1+math.Ceil(float64(n)/float64(c))) * l
}

// TestPanelsOfOneJobFetchEachBuildOnce sends many panels of the same job at once to a
// cold plugin: singleflight and the shared cache must fetch every route from Hydra once.
func TestPanelsOfOneJobFetchEachBuildOnce(t *testing.T) {
	panels, n, latency := 50, 1000, 20*time.Millisecond
	if testing.Short() {
		panels, n, latency = 10, 50, 5*time.Millisecond
	}
	h := newHistory(t, 1, n, false)
	h.srv.SetLatency(latency)
	p := launch(t, h.srv.URL, map[string]any{"source": "hydra"}, nil)
	queries := make([]map[string]any, panels)
	for i := range queries {
		queries[i] = h.artifactQuery(h.jobs[0])
	}
	if _, err := h.runPanels(p, queries, n); err != nil {
		t.Fatal(err)
	}
	if r, _ := repeated(h.srv); len(r) > 0 {
		t.Fatalf("%d panels of one job asked Hydra for the same thing more than once: %v", panels, r)
	}
	if got := h.srv.Requests()[hydratest.RequestKey("GET", "/build/1/download/bench.json")]; got != 1 {
		t.Fatalf("build 1's product was downloaded %d times, want once", got)
	}
}

// TestPanelsOfManyJobsFetchEachBuildOnce sends panels of different jobs at once: no build,
// listing or page of evaluations is fetched twice, whether the jobs are alone in their
// jobsets or all in one (where each job walks the jobset's evaluations in its turn and
// finds the pages the first walk kept).
func TestPanelsOfManyJobsFetchEachBuildOnce(t *testing.T) {
	jobs, n, latency := 50, 20, 5*time.Millisecond
	if testing.Short() {
		jobs, n = 10, 10
	}
	for _, shared := range []bool{false, true} {
		t.Run(fmt.Sprintf("shared-jobset=%v", shared), func(t *testing.T) {
			h := newHistory(t, jobs, n, shared)
			h.srv.SetLatency(latency)
			p := launch(t, h.srv.URL, map[string]any{"source": "hydra"}, nil)
			var queries []map[string]any
			for _, j := range h.jobs {
				queries = append(queries, h.artifactQuery(j))
			}
			if _, err := h.runPanels(p, queries, n); err != nil {
				t.Fatal(err)
			}
			for k, times := range h.srv.Requests() {
				if times > 1 {
					t.Errorf("%d panels of different jobs asked Hydra for %s %d times", jobs, k, times)
				}
			}
		})
	}
}
