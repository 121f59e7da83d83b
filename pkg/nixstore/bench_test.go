package nixstore

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/cache"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

// benchOutput is build i of the benchmark's job: a ~300-byte bench.json and a
// nix-support/hydra-metrics, registered i seconds after start.
func benchOutput(start time.Time, i int) output {
	doc := fmt.Sprintf(`{"name":"mybench-%d","system":"x86_64-linux","results":{"throughput":%d,"latency_ms":{"p50":%d.5,"p90":%d.9,"p99":%d.99},"errors":0,"samples":1000},"host":"builder-%02d.example.org","commit":"%040x","notes":"synthetic output of the store benchmark"}`,
		i, i, i%50, i%70, i%90, i%16, i)
	return output{name: fmt.Sprintf("mybench-%d", i), reg: start.Add(time.Duration(i) * time.Second), files: map[string]string{
		"bench.json":                doc,
		"nix-support/hydra-metrics": fmt.Sprintf("time %d.25 s\nmem %d KiB\n", i%100, 1000+i),
	}}
}

// BenchmarkStore measures the store source through the engine on a made-up store of n
// outputs of one job (mybench-*), each with a ~300-byte bench.json and hydra-metrics,
// plus as many .drv rows, querying all n builds (limit n):
//
//   - first-artifact, first-metric: a fresh source and cache: loading the index and
//     reading every build's artifact (or metric file);
//
//   - warm-artifact, warm-metric: the same query again on the same engine;
//
//   - refresh-1: one output added, then the metric query, which refreshes the index
//     (reading the one new row) and reads the new build's metrics;
//
//   - refresh-index: one output added, then the index's refresh alone and the job's
//     list extended by it.
//
//     go test -run '^$' -bench 'BenchmarkStore/n=(1000|10000)$/' -benchtime 20x -count 5 ./pkg/nixstore/
//     go test -run '^$' -bench 'BenchmarkStore/n=100000$/' -benchtime 3x -timeout 60m ./pkg/nixstore/
//
// The target is 10,000 builds: a first query under 1 s and every later one under 10 ms.
func BenchmarkStore(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) { benchStore(b, n) })
	}
}

func benchStore(b *testing.B, n int) {
	st := newSynthStore(b)
	start := time.Now().Add(-time.Duration(n)*time.Second - time.Hour).Truncate(time.Second)
	outs := make([]output, n)
	for i := range outs {
		outs[i] = benchOutput(start, i)
	}
	st.add(outs...)
	syscall.Sync() // written out, as a real store's files are, so that no writeback runs during the timing
	added := 0
	limit := min(n+1000, query.MaxLimit)
	art := map[string]any{"queryType": "artifact", "job": "mybench-*", "product": "bench.json", "path": "results.throughput", "limit": limit}
	met := map[string]any{"queryType": "metric", "job": "mybench-*", "metric": "time", "limit": limit}
	run := func(b *testing.B, e *query.Engine, q map[string]any) {
		dq := queryOf(q)
		dq.TimeRange.From = start.Add(-time.Second)
		r := e.Query(context.Background(), dq, false)
		if r.Error != nil || len(r.Frames) != 1 || r.Frames[0].Rows() != min(n+added, limit) {
			b.Fatalf("query: %v, %d frames", r.Error, len(r.Frames))
		}
	}
	engine := func(b *testing.B, every time.Duration) (*Source, *query.Engine) {
		src, err := NewSource(Options{StoreDir: st.store, StateDir: st.state, Refresh: every})
		if err != nil {
			b.Fatal(err)
		}
		return src, query.NewEngine(src, cache.New(256<<20), query.Options{FullJob: false})
	}
	first := func(q map[string]any) func(*testing.B) {
		return func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				src, e := engine(b, time.Hour)
				b.StartTimer()
				run(b, e, q)
				b.StopTimer()
				_ = src.Close()
				b.StartTimer()
			}
		}
	}
	warm := func(q map[string]any) func(*testing.B) {
		return func(b *testing.B) {
			src, e := engine(b, time.Hour)
			defer src.Close()
			run(b, e, q)
			b.ResetTimer()
			for range b.N {
				run(b, e, q)
			}
		}
	}
	b.Run("first-artifact", first(art))
	b.Run("first-metric", first(met))
	b.Run("warm-artifact", warm(art))
	b.Run("warm-metric", warm(met))
	addOne := func(b *testing.B) { // outside the timing
		b.StopTimer()
		st.add(benchOutput(start, n+added))
		added++
		b.StartTimer()
	}
	b.Run("refresh-1", func(b *testing.B) {
		src, e := engine(b, time.Nanosecond)
		defer src.Close()
		run(b, e, met)
		b.ResetTimer()
		for range b.N {
			addOne(b)
			run(b, e, met)
		}
		b.StopTimer()
		if loads := src.x.loads.Load(); loads != 1 {
			b.Fatalf("%d full loads", loads)
		}
	})
	b.Run("refresh-index", func(b *testing.B) {
		src, e := engine(b, time.Hour) // no query refreshes it: the loop does
		defer src.Close()
		run(b, e, met)
		m := newMatcher(query.JobRef{Job: "mybench-*"})
		b.ResetTimer()
		for range b.N {
			addOne(b)
			if err := src.x.refresh(context.Background()); err != nil {
				b.Fatal(err)
			}
			if l := src.x.lists.get(src.x.cur.Load(), m); len(l) != n+added {
				b.Fatalf("%d builds listed", len(l))
			}
		}
	})
}
