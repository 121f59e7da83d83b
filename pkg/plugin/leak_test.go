package plugin

import (
	"context"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"go.uber.org/goleak"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/hydra/hydratest"
)

// TestDisposedHydraInstanceLeavesNoGoroutines runs every query type through an instance of
// the hydra source, one of them cancelled while Hydra is slow, plus the health check, then
// disposes the instance: no goroutine of the plugin, the engine, the cache or the HTTP
// client may outlive it.
func TestDisposedHydraInstanceLeavesNoGoroutines(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent()) // goroutines of earlier tests are theirs
	srv := hydratest.New()
	defer srv.Close()
	hydratest.GenerateJob(srv, hydratest.GenOptions{N: 40})

	inst, err := New(context.Background(), backend.DataSourceInstanceSettings{ID: 1, UID: "u", URL: srv.URL,
		JSONData: []byte(`{"maxConcurrency":4}`)})
	if err != nil {
		t.Fatal(err)
	}
	d := inst.(*Datasource)
	job := `"project":"bench","jobset":"main","job":"bench"`
	res, err := d.QueryData(context.Background(), &backend.QueryDataRequest{Queries: []backend.DataQuery{
		dataQuery("A", `{"queryType":"artifact",`+job+`,"product":"bench.json","path":"results.throughput"}`),
		dataQuery("B", `{"queryType":"metric",`+job+`,"metric":"time"}`),
		dataQuery("C", `{"queryType":"builds",`+job+`}`),
		dataQuery("D", `{"queryType":"evals","project":"bench","jobset":"main"}`),
	}})
	if err != nil {
		t.Fatal(err)
	}
	for ref, r := range res.Responses {
		if r.Error != nil {
			t.Fatalf("%s: %v", ref, r.Error)
		}
	}
	if h, _ := d.CheckHealth(context.Background(), &backend.CheckHealthRequest{}); h.Status != backend.HealthStatusOk {
		t.Fatalf("health: %+v", h)
	}

	// A query of other builds, cancelled while Hydra takes its time to answer.
	hydratest.GenerateJob(srv, hydratest.GenOptions{Job: "slow", N: 100, FirstID: 1000})
	srv.SetLatency(time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	res, err = d.QueryData(ctx, &backend.QueryDataRequest{Queries: []backend.DataQuery{
		dataQuery("S", `{"queryType":"artifact","project":"bench","jobset":"main","job":"slow","product":"bench.json","path":"results.throughput"}`),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Responses["S"].Error == nil {
		t.Fatal("the query cancelled while Hydra was slow answered without an error")
	}

	d.Dispose()
	srv.Close() // ends the fake's handlers and closes its side of the connections
}
