package query

import (
	"context"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"
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
