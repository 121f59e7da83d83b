package e2e

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/hydra/hydratest"
)

// Every query type that gives numbers answers an alert request with frames Grafana's
// alerting can read (alertSeries fails the test where it could not), through the launched
// plugin: the series or rows it names, each with a number.
func TestEveryNumericQueryTypeIsAlertable(t *testing.T) {
	srv := hydratest.New()
	t.Cleanup(srv.Close)
	builds := hydratest.GenerateJob(srv, hydratest.GenOptions{N: 30, FailFraction: 0.1})
	others := hydratest.GenerateJob(srv, hydratest.GenOptions{Job: "docs", N: 2, FirstID: 500, FirstEvalID: 500})
	agg := hydratest.Build{ID: 1000, Project: "bench", Jobset: "main", Job: "release", Finished: true,
		Timestamp: hydratest.DefaultGenEnd.Unix(), StartTime: hydratest.DefaultGenEnd.Unix(), StopTime: hydratest.DefaultGenEnd.Unix() + 5,
		NixName: "release", System: "x86_64-linux", Constituents: []int64{builds[29].ID, others[1].ID}}
	srv.AddBuild(agg)
	// as in a real Hydra, the newest evaluation holds the current build of every job
	srv.AddEval(hydratest.Eval{ID: 900, Project: "bench", Jobset: "main", Timestamp: hydratest.DefaultGenEnd.Unix() + 60,
		HasNewBuilds: true, Builds: []int64{builds[29].ID, others[1].ID, agg.ID}})
	p := launch(t, srv.URL, map[string]any{"source": "hydra"}, nil)
	job := map[string]any{"project": "bench", "jobset": "main", "job": "bench"}
	with := func(extra map[string]any) map[string]any {
		q := map[string]any{}
		for k, v := range job {
			q[k] = v
		}
		for k, v := range extra {
			q[k] = v
		}
		return q
	}
	for _, tc := range []struct {
		name   string
		query  map[string]any
		series []string // the label sets alerting sees
	}{
		{"artifact", with(map[string]any{"queryType": "artifact", "product": "bench.json", "path": "results.throughput"}),
			[]string{"series=results.throughput"}},
		{"metric", with(map[string]any{"queryType": "metric", "metric": "time"}), []string{"series=time"}},
		{"artifact with regression", with(map[string]any{"queryType": "artifact", "product": "bench.json", "path": "results.throughput",
			"regression": true, "better": "higher"}), []string{"field=regression, series=results.throughput"}},
		{"metric with regression", with(map[string]any{"queryType": "metric", "metric": "time", "regression": true}),
			[]string{"field=regression, series=time"}},
		{"builds", with(map[string]any{"queryType": "builds"}),
			[]string{"field=duration, job=bench:main:bench", "field=statusCode, job=bench:main:bench"}},
		{"jobs", map[string]any{"queryType": "jobs", "project": "bench", "jobset": "main"}, []string{"job=bench", "job=docs", "job=release"}},
		{"aggregate", map[string]any{"queryType": "aggregate", "project": "bench", "jobset": "main", "job": "release"}, []string{"job=bench", "job=docs"}},
		{"compare metrics", with(map[string]any{"queryType": "compare", "base": itoa(builds[20].ID)}),
			[]string{"name=maxresident", "name=time"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			model, _ := json.Marshal(tc.query)
			res := p.send(t, &backend.QueryDataRequest{
				PluginContext: p.pluginContext(),
				Headers:       map[string]string{backend.FromAlertHeaderName: "true"},
				Queries: []backend.DataQuery{{RefID: "A", JSON: model, QueryType: tc.query["queryType"].(string),
					TimeRange: backend.TimeRange{From: from, To: to}, Interval: time.Minute, MaxDataPoints: 43200}},
			})
			r := res.Responses["A"]
			if r.Error != nil {
				t.Fatalf("alert request: %v", r.Error)
			}
			got := alertSeries(t, r.Frames)
			for _, want := range tc.series {
				vals, ok := got[want]
				if !ok {
					t.Fatalf("no series %q among %v", want, keys(got))
				}
				if !hasNumber(vals) {
					t.Errorf("series %q has no number", want)
				}
			}
		})
	}
}

func itoa(id int64) string { b, _ := json.Marshal(id); return string(b) }

func keys(m map[string][]*float64) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func hasNumber(vals []*float64) bool {
	for _, v := range vals {
		if v != nil {
			return true
		}
	}
	return false
}
