package hydradb_test

import (
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/testutil"
	"net/http"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/cache"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/hydra"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/hydra/hydratest"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

// TestSameAnswersAsHTTPSource runs the same queries against one Hydra through its HTTP API
// (pkg/hydra over the fake) and through its database: every frame must hold the same data.
// Only what says where the data came from (ExecutedQueryString, links) may differ.
func TestSameAnswersAsHTTPSource(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.generate(hydratest.GenOptions{N: 30, FailFraction: 0.2, GCFraction: 0.2})
	e.generate(hydratest.GenOptions{Job: "other", N: 3, FirstID: 100, FirstEvalID: 100})
	c, err := hydra.New(hydra.Options{BaseURL: e.srv.URL, HTTP: &http.Client{}, MaxConcurrency: 8, Timeout: 10 * time.Second,
		MaxBytes: 1 << 20, UserAgent: "nixci-artifacts-datasource/test"})
	if err != nil {
		t.Fatal(err)
	}
	ch := cache.New(64 << 20)
	httpEngine := query.NewEngine(hydra.NewSource(c, ch, 15*time.Second), ch, query.Options{FullJob: true})

	end := hydratest.DefaultGenEnd
	cases := []struct {
		name     string
		q        map[string]any
		from, to time.Time
	}{
		{"artifact", testutil.Job(map[string]any{"queryType": "artifact", "product": "bench.json", "path": "results.throughput"}), rangeFrom, rangeTo},
		{"artifact array", testutil.Job(map[string]any{"queryType": "artifact", "product": "bench.json", "path": "benchmarks.#.mean"}), rangeFrom, rangeTo},
		{"artifact past window", testutil.Job(map[string]any{"queryType": "artifact", "product": "bench.json", "path": "results", "limit": 4}),
			end.Add(-20 * time.Hour), end.Add(-5 * time.Hour)},
		{"artifact stoptime", testutil.Job(map[string]any{"queryType": "artifact", "product": "bench.json", "path": "results.latency_ms",
			"timeField": "stoptime", "limit": 10}), rangeFrom, rangeTo},
		{"metric", testutil.Job(map[string]any{"queryType": "metric", "metric": "time"}), rangeFrom, rangeTo},
		{"metric glob limit", testutil.Job(map[string]any{"queryType": "metric", "metric": "*", "limit": 5}), rangeFrom, rangeTo},
		{"metric stoptime", testutil.Job(map[string]any{"queryType": "metric", "metric": "maxresident", "timeField": "stoptime"}), rangeFrom, rangeTo},
		{"builds", testutil.Job(map[string]any{"queryType": "builds"}), rangeFrom, rangeTo},
		{"builds stoptime", testutil.Job(map[string]any{"queryType": "builds", "timeField": "stoptime", "limit": 8}), rangeFrom, rangeTo},
		{"evals", map[string]any{"queryType": "evals", "project": "bench", "jobset": "main", "limit": 25}, rangeFrom, rangeTo},
		{"jobs", map[string]any{"queryType": "jobs", "project": "bench", "jobset": "main"}, rangeFrom, rangeTo},
		{"no such jobset", map[string]any{"queryType": "builds", "project": "bench", "jobset": "nope", "job": "bench"}, rangeFrom, rangeTo},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want := runOn(httpEngine, tc.q, tc.from, tc.to)
			got := runOn(e.engine, tc.q, tc.from, tc.to)
			sameData(t, want, got)
		})
	}
}

// sameData compares two responses without what names their source.
func sameData(t *testing.T, want, got backend.DataResponse) {
	t.Helper()
	if (want.Error == nil) != (got.Error == nil) || (want.Error != nil && want.Error.Error() != got.Error.Error()) {
		t.Fatalf("errors differ: HTTP %v, database %v", want.Error, got.Error)
	}
	if len(want.Frames) != len(got.Frames) {
		t.Fatalf("HTTP gave %d frames, the database %d", len(want.Frames), len(got.Frames))
	}
	for i := range want.Frames {
		w, g := want.Frames[i], got.Frames[i]
		var wn, gn []string
		if w.Meta != nil && g.Meta != nil {
			for _, n := range w.Meta.Notices {
				wn = append(wn, n.Text)
			}
			for _, n := range g.Meta.Notices {
				gn = append(gn, n.Text)
			}
		}
		w.Meta, g.Meta = nil, nil
		for _, f := range append(w.Fields, g.Fields...) {
			f.Config = nil
		}
		if a, b := table(w), table(g); a != b {
			t.Fatalf("frame %d differs.\nHTTP:\n%s\ndatabase:\n%s", i, a, b)
		}
		if len(wn) != len(gn) {
			t.Fatalf("notices differ: HTTP %q, database %q", wn, gn)
		}
		for j := range wn {
			if wn[j] != gn[j] {
				t.Fatalf("notices differ: HTTP %q, database %q", wn, gn)
			}
		}
	}
}
