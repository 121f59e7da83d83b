package hydra_test

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/hydra/hydratest"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/testutil"
)

// The Hydra source's benchmarks, each beside its limit or its alternative in the same run:
//
//	BenchmarkHydra/n=N/L=Lms/KIND/CASE
//
// N builds of one job (hydratest.GenerateJob: one eval per build, a bench.json product, two
// metrics), the fake Hydra answering every request after L, KIND artifact or metric, and CASE:
//
//	sequential   the baseline: a plain client, one request at a time (bench_seq_test.go)
//	cold         the engine and Source from empty caches; reports the limit and the baseline
//	cold-capped  cold with the panel's Max data points at N/20: what pushdown saves
//	warm         the same query again, everything cached
//
// Under -short only n=100 at 0 ms runs, so CI checks every query in a few seconds.
var (
	benchSizes     = []int{100, 1000, 10_000}
	benchLatencies = []time.Duration{0, 20 * time.Millisecond}
)

// benchJob generates n builds of bench:main:bench, 30 minutes apart so that 10,000 of them
// lie inside the queries' one-year time range.
func benchJob(srv *hydratest.Server, n int) {
	hydratest.GenerateJob(srv, hydratest.GenOptions{N: n, Interval: 30 * time.Minute})
}

// benchConcurrency is the design's default C: requests in flight at once.
const benchConcurrency = 8

func BenchmarkHydra(b *testing.B) {
	for _, n := range benchSizes {
		if testing.Short() && n != benchSizes[0] {
			continue
		}
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			for _, lat := range benchLatencies {
				if testing.Short() && lat != 0 {
					continue
				}
				b.Run(fmt.Sprintf("L=%dms", lat.Milliseconds()), func(b *testing.B) {
					for _, k := range []benchKind{artifactKind, metricKind} {
						b.Run(k.name, func(b *testing.B) { benchCases(b, k, n, lat) })
					}
				})
			}
		})
	}
}

// benchCases runs the cases of one kind, size and latency; the sequential baseline first,
// so that the cold case can report its ratio to it.
func benchCases(b *testing.B, k benchKind, n int, lat time.Duration) {
	var base time.Duration // the sequential baseline's time per query, once measured
	b.Run("sequential", func(b *testing.B) { base = benchSequential(b, k, n, lat) })
	b.Run("cold", func(b *testing.B) { benchCold(b, k, n, lat, 0, base) })
	b.Run("cold-capped", func(b *testing.B) { benchCold(b, k, n, lat, max(1, n/20), 0) })
	b.Run("warm", func(b *testing.B) { benchWarm(b, k, n, lat) })
}

// benchKind is a query type under test.
type benchKind struct {
	name  string
	query func(n int) map[string]any
}

var (
	artifactKind = benchKind{"artifact", seriesOf}
	metricKind   = benchKind{"metric", func(n int) map[string]any {
		return testutil.Job(map[string]any{"queryType": "metric", "metric": "time", "limit": n})
	}}
)

// seriesOf is the throughput series over the newest n builds.
func seriesOf(n int) map[string]any {
	q := testutil.Job(throughput)
	q["limit"] = n
	return q
}

// benchCold measures the query over n builds from empty caches, each iteration on a fresh
// fake Hydra (set up outside the timer). maxPoints > 0 sets the panel's Max data points.
// It reports the requests made, by kind, and for artifacts at L > 0 the limit
// (1 + ceil(points/C)) x L; base > 0 is the sequential baseline's time, for the ratio.
func benchCold(b *testing.B, k benchKind, n int, lat time.Duration, maxPoints int, base time.Duration) {
	want := n
	if maxPoints > 0 {
		want = maxPoints
	}
	var elapsed time.Duration
	var tally requestTally
	for range b.N {
		b.StopTimer()
		e := newEnv(b, envOpts{concurrency: benchConcurrency, timeout: time.Minute})
		benchJob(e.srv, n)
		e.srv.SetLatency(lat)
		q := k.query(n)
		b.StartTimer()
		start := time.Now()
		r := e.runPoints(q, int64(maxPoints))
		elapsed += time.Since(start)
		b.StopTimer()
		if r.Error != nil || len(r.Frames) == 0 || r.Frames[0].Rows() != want {
			b.Fatalf("cold %s query over %d builds: %v, want %d points", k.name, n, describe(r), want)
		}
		tally.add(e.srv.Requests())
		e.srv.Close()
	}
	per := elapsed / time.Duration(b.N)
	tally.report(b)
	if k.name == "artifact" && lat > 0 {
		limit := time.Duration(1+math.Ceil(float64(want)/benchConcurrency)) * lat
		b.ReportMetric(float64(limit.Milliseconds()), "limit-ms")
		b.ReportMetric(float64(per)/float64(limit), "x-limit")
	}
	if base > 0 {
		b.ReportMetric(float64(base)/1e6, "baseline-ms")
		b.ReportMetric(float64(per)/float64(base), "x-baseline")
	}
}

// benchWarm measures the query over n builds when every build was fetched before; the
// listing is still in its 15-second cache, so a warm query makes no request and the
// latency, set after the first query, costs nothing unless one is made.
func benchWarm(b *testing.B, k benchKind, n int, lat time.Duration) {
	e := newEnv(b, envOpts{concurrency: benchConcurrency, timeout: time.Minute})
	benchJob(e.srv, n)
	q := k.query(n)
	if r := e.run(q); r.Error != nil {
		b.Fatal(r.Error)
	}
	e.srv.SetLatency(lat)
	e.srv.ResetRequests()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if r := e.run(q); r.Error != nil || r.Frames[0].Rows() != n {
			b.Fatalf("warm %s query over %d builds: %v, want %d points", k.name, n, describe(r), n)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(e.srv.TotalRequests())/float64(b.N), "requests/op")
}
