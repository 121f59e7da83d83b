package hydra_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/httpclient"
	"go.uber.org/goleak"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/cache"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/hydra"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/hydra/hydratest"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

// TestCancelledColdQueryStopsAndLeavesNoGoroutines cancels a cold artifact query over
// many builds while a slow Hydra answers its first requests: the query ends with the
// cancellation, Hydra sees no request start after it, and once the server and the idle
// connections are closed no goroutine of the engine, the cache or the walks is left.
func TestCancelledColdQueryStopsAndLeavesNoGoroutines(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent()) // goroutines of earlier tests are theirs
	const builds, latency = 400, 100 * time.Millisecond

	srv := hydratest.New()
	defer srv.Close()
	hydratest.GenerateJob(srv, hydratest.GenOptions{N: builds})
	srv.SetLatency(latency)
	hc, err := httpclient.New(httpclient.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer hc.CloseIdleConnections()
	c, err := hydra.New(hydra.Options{BaseURL: srv.URL, HTTP: hc, MaxConcurrency: 4, Timeout: time.Minute,
		MaxBytes: 1 << 20, UserAgent: "nixci-artifacts-datasource/test"})
	if err != nil {
		t.Fatal(err)
	}
	ch := cache.New(64 << 20)
	engine := query.NewEngine(hydra.NewSource(c, ch, 15*time.Second), ch, query.Options{Concurrency: 4, FullJob: true})

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { // cancel once the downloads are under way, as a closed panel would
		for srv.TotalRequests() < 6 && ctx.Err() == nil {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	raw, _ := json.Marshal(map[string]any{"project": "bench", "jobset": "main", "job": "bench",
		"queryType": "artifact", "product": "bench.json", "path": "results.throughput"})
	r := engine.Query(ctx, backend.DataQuery{RefID: "A", JSON: raw,
		TimeRange: backend.TimeRange{From: rangeFrom, To: rangeTo}}, false)
	if r.Error == nil || !strings.Contains(r.Error.Error(), "cancelled") {
		t.Fatalf("want the cancellation as the query's error, got %v (%d frames)", r.Error, len(r.Frames))
	}

	// Requests sent before the cancel may still be reaching the server for a moment;
	// after that grace, and for longer than Hydra takes to answer, none may start.
	time.Sleep(latency)
	seen := srv.TotalRequests()
	time.Sleep(3 * latency)
	if after := srv.TotalRequests(); after != seen {
		t.Fatalf("%d requests reached Hydra after the query was cancelled", after-seen)
	}
	t.Logf("Hydra saw %d requests for %d builds before the query ended", seen, builds)
	if seen > builds/10 {
		t.Fatalf("Hydra saw %d requests for %d builds: the cancelled query kept asking", seen, builds)
	}
	// The fake's handlers and the client's pooled connections are the test's, not leaks:
	// closing them ends their goroutines before VerifyNone looks.
	srv.Close()
	hc.CloseIdleConnections()
}
