package query

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/cache"
)

// memSource answers from memory at once, so a benchmark over it measures the engine alone.
type memSource struct {
	builds  []Build
	origins map[int64]Origin
}

func newMemSource(n int) *memSource {
	s := &memSource{origins: map[int64]Origin{}}
	t0 := time.Unix(1_700_000_000, 0)
	for i := n; i >= 1; i-- { // newest first
		b := Build{ID: int64(i), Job: JobRef{Job: "bench"}, Finished: true, Timestamp: t0.Add(time.Duration(i) * time.Minute),
			Stop: t0.Add(time.Duration(i) * time.Minute), NixName: "bench-1"}
		s.builds = append(s.builds, b)
		s.origins[b.ID] = Origin{Eval: int64(i), Revision: fmt.Sprintf("%040d", i)}
	}
	return s
}

func (s *memSource) Builds(_ context.Context, _ JobRef, w Window) (Listing, error) {
	var out []Build
	truncated := false
	for _, b := range s.builds {
		if w.Contains(b.Timestamp) {
			if len(out) == w.Limit {
				truncated = true
				break
			}
			out = append(out, b)
		}
	}
	return Listing{Builds: out, Truncated: truncated}, nil
}
func (s *memSource) Complete(context.Context, []Build) error { return nil }
func (s *memSource) Artifact(_ context.Context, b Build, _ string) ([]byte, error) {
	return fmt.Appendf(nil, `{"results":{"throughput":%d,"latency":%d}}`, b.ID, b.ID%7), nil
}
func (s *memSource) ArtifactURL(Build, string) string { return "memory" }
func (s *memSource) Metric(_ context.Context, _ JobRef, _ string, w Window) ([]MetricPoint, []string, error) {
	var pts []MetricPoint
	for i := len(s.builds) - 1; i >= 0; i-- {
		b := s.builds[i]
		if w.Contains(b.Timestamp) {
			pts = append(pts, MetricPoint{Build: b.ID, Timestamp: b.Timestamp, Value: float64(b.ID), Unit: "s"})
		}
	}
	return pts, nil, nil
}
func (s *memSource) MetricNames(context.Context, JobRef) ([]string, error) {
	return []string{"time"}, nil
}
func (s *memSource) Origins(_ context.Context, _ JobRef, builds []Build) (map[int64]Origin, error) {
	out := make(map[int64]Origin, len(builds))
	for _, b := range builds {
		out[b.ID] = s.origins[b.ID]
	}
	return out, nil
}
func (s *memSource) BuildURLPrefix() string { return "https://hydra.test/build/" }

func benchQuery(b *testing.B, q map[string]any) {
	const n = 10_000
	e := NewEngine(newMemSource(n), cache.New(256<<20), Options{})
	q["limit"] = n
	body, _ := json.Marshal(q)
	dq := backend.DataQuery{RefID: "A", JSON: body, TimeRange: backend.TimeRange{From: time.Unix(1_600_000_000, 0), To: time.Unix(1_800_000_000, 0)}}
	if r := e.Query(context.Background(), dq, false); r.Error != nil {
		b.Fatal(r.Error)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		r := e.Query(context.Background(), dq, false)
		if r.Error != nil || len(r.Frames) == 0 {
			b.Fatal(r.Error)
		}
	}
}

// The engine's own share of a warm 10,000-build query (the source answers from memory).
func BenchmarkEngineWarmArtifact10k(b *testing.B) {
	benchQuery(b, map[string]any{"queryType": "artifact", "job": "bench", "product": "bench.json", "path": "results.throughput"})
}

func BenchmarkEngineWarmMetric10k(b *testing.B) {
	benchQuery(b, map[string]any{"queryType": "metric", "job": "bench", "metric": "time"})
}

// The regression view's share: the same warm queries with a baseline of the previous 10
// builds (a median per point), and a compare of two builds' artifacts.
func BenchmarkEngineWarmArtifactRegression10k(b *testing.B) {
	benchQuery(b, map[string]any{"queryType": "artifact", "job": "bench", "product": "bench.json", "path": "results.throughput",
		"regression": true})
}

func BenchmarkEngineWarmMetricRegression10k(b *testing.B) {
	benchQuery(b, map[string]any{"queryType": "metric", "job": "bench", "metric": "time", "regression": true})
}

func BenchmarkEngineWarmCompareArtifact(b *testing.B) {
	benchQuery(b, map[string]any{"queryType": "compare", "job": "bench", "product": "bench.json", "base": "9000"})
}
