package query

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/cache"
)

// roomySource has one finished build whose small artifact comes in a large array, as
// io.ReadAll hands a small HTTP body over (512 bytes of array).
type roomySource struct{ build Build }

func (s roomySource) Builds(context.Context, JobRef, Window) (Listing, error) {
	return Listing{Builds: []Build{s.build}}, nil
}
func (roomySource) Complete(context.Context, []Build) error { return nil }
func (roomySource) Artifact(context.Context, Build, string) ([]byte, error) {
	return append(make([]byte, 0, 64<<10), `{"results":{"throughput":42}}`...), nil
}
func (roomySource) ArtifactURL(Build, string) string { return "memory" }
func (roomySource) Metric(context.Context, JobRef, string, Window) ([]MetricPoint, []string, error) {
	return nil, nil, nil
}
func (roomySource) MetricNames(context.Context, JobRef) ([]string, error) { return nil, nil }
func (roomySource) Origins(context.Context, JobRef, []Build) (map[int64]Origin, error) {
	return nil, nil
}
func (roomySource) BuildURLPrefix() string { return "" }

// TestRawArtifactsAreCachedWithoutSpareRoom checks that the engine caches an artifact's
// bytes, not the reader's spare array around them: 64 KB of room for a 30-byte document
// would cost the cache 64 KB per build.
func TestRawArtifactsAreCachedWithoutSpareRoom(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	src := roomySource{Build{ID: 1, Job: JobRef{Job: "bench"}, Finished: true, Timestamp: t0}}
	c := cache.New(64 << 20)
	e := NewEngine(src, c, Options{})
	raw, _ := json.Marshal(map[string]any{"queryType": "artifact", "job": "bench", "product": "bench.json", "path": "results.throughput"})
	r := e.Query(context.Background(), backend.DataQuery{RefID: "A", JSON: raw,
		TimeRange: backend.TimeRange{From: t0.Add(-time.Hour), To: t0.Add(time.Hour)}}, false)
	if r.Error != nil || len(r.Frames) != 1 || r.Frames[0].Rows() != 1 {
		t.Fatalf("query: %v %v", r.Error, r.Frames)
	}
	doc, err := e.rawArtifact(context.Background(), src.build, "bench.json")
	if err != nil || string(doc) != `{"results":{"throughput":42}}` {
		t.Fatalf("cached artifact %q, %v", doc, err)
	}
	if cap(doc) > 2*len(doc) {
		t.Fatalf("the cache keeps a %d-byte array for a %d-byte artifact", cap(doc), len(doc))
	}
	if s := c.Stats(); s.Bytes > 4<<10 {
		t.Fatalf("one build's artifact and values are accounted as %d bytes", s.Bytes)
	}
}
