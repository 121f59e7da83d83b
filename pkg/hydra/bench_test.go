package hydra_test

import (
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/testutil"
	"math"
	"testing"
	"time"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/hydra/hydratest"
)

// benchLatency is the Hydra round trip the design's cold-query target is stated against.
const benchLatency = 20 * time.Millisecond

// benchCold measures an artifact series over n builds with every cache empty, and reports
// the requests made and the ratio to the limit (1 + ceil(n/c)) x latency.
func benchCold(b *testing.B, n, c int) {
	var requests, repeats int
	var elapsed time.Duration
	for range b.N {
		b.StopTimer()
		e := newEnv(b, envOpts{concurrency: c, timeout: time.Minute})
		hydratest.GenerateJob(e.srv, hydratest.GenOptions{N: n})
		e.srv.SetLatency(benchLatency)
		b.StartTimer()
		start := time.Now()
		r := e.run(seriesOf(n))
		elapsed += time.Since(start)
		b.StopTimer()
		if r.Error != nil || r.Frames[0].Rows() != n {
			b.Fatalf("query failed: %v", r.Error)
		}
		requests += e.srv.TotalRequests()
		for _, k := range e.srv.Requests() {
			if k > 1 {
				repeats++
			}
		}
		e.srv.Close()
	}
	limit := time.Duration(1+math.Ceil(float64(n)/float64(c))) * benchLatency
	per := elapsed / time.Duration(b.N)
	b.ReportMetric(float64(requests)/float64(b.N), "requests/op")
	b.ReportMetric(float64(repeats), "repeated-requests")
	b.ReportMetric(float64(limit.Milliseconds()), "limit-ms")
	b.ReportMetric(float64(per)/float64(limit), "x-limit")
}

func BenchmarkArtifactCold1000(b *testing.B) { benchCold(b, 1000, 8) }

// BenchmarkArtifactColdSequential1000 is the baseline: one request at a time.
func BenchmarkArtifactColdSequential1000(b *testing.B) { benchCold(b, 1000, 1) }

// BenchmarkArtifactWarm1000 measures a 1,000-build series when every build was fetched before.
func BenchmarkArtifactWarm1000(b *testing.B) {
	e := newEnv(b, envOpts{})
	hydratest.GenerateJob(e.srv, hydratest.GenOptions{N: 1000})
	e.srv.SetLatency(benchLatency)
	q := seriesOf(1000)
	if r := e.run(q); r.Error != nil {
		b.Fatal(r.Error)
	}
	e.srv.ResetRequests()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if r := e.run(q); r.Error != nil || r.Frames[0].Rows() != 1000 {
			b.Fatalf("warm query failed: %v", r.Error)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(e.srv.TotalRequests())/float64(b.N), "requests/op")
}

// seriesOf is the throughput series over the newest n builds.
func seriesOf(n int) map[string]any {
	q := testutil.Job(throughput)
	q["limit"] = n
	return q
}

// BenchmarkMetricCold1000 measures a metric over 1,000 builds with every cache empty:
// Hydra's metric route answers the whole history in one request.
func BenchmarkMetricCold1000(b *testing.B) {
	var requests, metricRequests int
	for range b.N {
		b.StopTimer()
		e := newEnv(b, envOpts{timeout: time.Minute})
		hydratest.GenerateJob(e.srv, hydratest.GenOptions{N: 1000})
		e.srv.SetLatency(benchLatency)
		q := testutil.Job(map[string]any{"queryType": "metric", "metric": "time", "limit": 1000})
		b.StartTimer()
		r := e.run(q)
		b.StopTimer()
		if r.Error != nil || r.Frames[0].Rows() != 1000 {
			b.Fatalf("query failed: %v", r.Error)
		}
		requests += e.srv.TotalRequests()
		metricRequests += e.srv.Requests()[hydratest.RequestKey("GET", "/job/bench/main/bench/metric/time")]
		e.srv.Close()
	}
	b.ReportMetric(float64(requests)/float64(b.N), "requests/op")
	b.ReportMetric(float64(metricRequests)/float64(b.N), "metric-requests/op")
}
