package query

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/cache"
)

// originsSource counts the builds whose origins are asked for.
type originsSource struct {
	Source
	asked []int64
}

func (s *originsSource) Origins(_ context.Context, _ JobRef, builds []Build) (map[int64]Origin, error) {
	out := map[int64]Origin{}
	for _, b := range builds {
		s.asked = append(s.asked, b.ID)
		out[b.ID] = Origin{Eval: b.ID, Revision: "r"}
	}
	return out, nil
}

func TestOriginsAreLookedUpForTheNewestBuildsOnly(t *testing.T) {
	src := &originsSource{}
	e := &Engine{src: src}
	n := MaxOrigins + 500
	builds := make([]Build, n)
	for i := range builds {
		builds[i] = Build{ID: int64(i + 1), Timestamp: time.Unix(int64(i), 0)}
	}
	fc := &frameCtx{}
	e.origins(context.Background(), JobRef{}, builds, len(builds))(fc)
	if len(src.asked) != MaxOrigins {
		t.Fatalf("asked for %d builds' origins, want %d", len(src.asked), MaxOrigins)
	}
	for _, id := range src.asked {
		if id <= 500 {
			t.Fatalf("build %d is among the oldest 500 but its origin was asked for", id)
		}
	}
	if len(fc.notices) != 1 || fc.notices[0].Severity != data.NoticeSeverityInfo {
		t.Fatalf("want one notice about the bound, got %+v", fc.notices)
	}
}

func TestMaxDataPointsCutsTheSeriesWithANotice(t *testing.T) {
	e := NewEngine(newMemSource(1000), cache.New(16<<20), Options{})
	for _, body := range []string{
		`{"queryType":"artifact","job":"bench","product":"bench.json","path":"results.throughput","limit":500}`,
		`{"queryType":"metric","job":"bench","metric":"time","limit":500}`,
	} {
		r := e.Query(context.Background(), backend.DataQuery{RefID: "A", JSON: []byte(body), MaxDataPoints: 100,
			TimeRange: backend.TimeRange{From: time.Unix(1_600_000_000, 0), To: time.Unix(1_800_000_000, 0)}}, false)
		if r.Error != nil || len(r.Frames) != 1 {
			t.Fatalf("%s: %v", body, r.Error)
		}
		f := r.Frames[0]
		if n, _ := f.RowLen(); n != 100 {
			t.Fatalf("%s: %d points, want the panel's 100", body, n)
		}
		if newest := f.Fields[0].At(99).(time.Time); !newest.Equal(time.Unix(1_700_000_000, 0).Add(1000 * time.Minute)) {
			t.Fatalf("%s: the newest point is %s: the cut must keep the newest builds", body, newest)
		}
		if f.Meta == nil || len(f.Meta.Notices) != 1 || !strings.Contains(f.Meta.Notices[0].Text, "Max data points") {
			t.Fatalf("%s: notices %+v", body, f.Meta)
		}
	}
}
