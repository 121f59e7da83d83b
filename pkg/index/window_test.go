package index_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/index"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

// Windows cut in memory from a kept listing or series are what the windowed statements
// return: the same builds and points in the same order, the same truncation, at the edges
// of the time range (to the microsecond), with ties, globs and project or jobset given or
// not; also when only the newest few builds are kept and a window reaches past them.
func TestKeptWindowsEqualTheStatements(t *testing.T) {
	e := newEnv(t)
	e.seed()
	ctx := context.Background()
	tie := t0.Add(5*time.Hour + 30*time.Minute)
	for i, at := range []time.Time{tie, tie, tie, tie.Add(time.Microsecond), tie.Add(-time.Microsecond)} {
		r := build("bench", 20+i)
		r.Time = at
		e.write(r)
	}
	sql := e.source(index.Options{CacheBytes: -1})            // every question asked of the index
	kept := e.source(index.Options{})                         // everything kept
	few := e.source(index.Options{CacheBytes: 4 * 320 * 10})  // the newest 10 builds kept
	fewer := e.source(index.Options{CacheBytes: 4 * 64 * 10}) // the newest 2 builds, 10 points
	var times []time.Time
	must(t, e.raw.QueryRow(ctx, `SELECT array_agg(DISTINCT time ORDER BY time) FROM nixci.builds`).Scan(&times))
	wide := query.Window{From: rangeFrom, To: rangeTo, Limit: query.MaxLimit}
	var windows []query.Window
	for _, limit := range []int{1, 2, 3, 7, 100} {
		windows = append(windows, query.Window{From: rangeFrom, To: rangeTo, Limit: limit})
		for i := 0; i < len(times); i += 3 {
			for j := i; j < len(times); j += 4 {
				from, to := times[i], times[j]
				windows = append(windows,
					query.Window{From: from, To: to, Limit: limit},
					query.Window{From: from.Add(time.Nanosecond), To: to.Add(999 * time.Nanosecond), Limit: limit},
					query.Window{From: from.Add(time.Microsecond), To: to.Add(-time.Nanosecond), Limit: limit},
					query.Window{From: to.Add(time.Hour), To: from, Limit: limit}) // empty: From after To
			}
		}
	}
	jobs := []query.JobRef{{Project: "bench", Jobset: "main", Job: "bench"}, {Job: "bench"}, {Project: "bench", Job: "bench*"},
		{Jobset: "main", Job: "bench-?pu"}, {Project: "nope", Job: "bench"}, {Job: "bench_gpu"}}
	for _, job := range jobs {
		for _, src := range []*index.Source{kept, few, fewer} { // keep the widest first, as a dashboard zoomed in later
			_, err := src.Builds(ctx, job, wide)
			must(t, err)
			_, _, err = src.Metric(ctx, job, "time", wide)
			must(t, err)
		}
	}
	loads := kept.Loads()
	for _, job := range jobs {
		for _, w := range windows {
			name := fmt.Sprintf("%s %s..%s limit %d", job, w.From.Format(time.RFC3339Nano), w.To.Format(time.RFC3339Nano), w.Limit)
			want := listing(t, sql, job, w)
			for _, src := range []*index.Source{kept, few, fewer} {
				if got := listing(t, src, job, w); got != want {
					t.Fatalf("%s: kept\n%s\nwant (SQL)\n%s", name, got, want)
				}
			}
		}
	}
	if kept.Loads() != loads {
		t.Fatalf("%d statements read again for windows inside the kept ones", kept.Loads()-loads)
	}
}

// listing renders what src answers for job within w: the listing with origins, and the
// metric series.
func listing(t *testing.T, src *index.Source, job query.JobRef, w query.Window) string {
	t.Helper()
	ctx := context.Background()
	l, err := src.Builds(ctx, job, w)
	must(t, err)
	origins, err := src.Origins(ctx, job, l.Builds)
	must(t, err)
	pts, _, err := src.Metric(ctx, job, "time", w)
	must(t, err)
	s := fmt.Sprintf("truncated %v\n", l.Truncated)
	for _, b := range l.Builds {
		s += fmt.Sprintf("%+v %+v\n", b, origins[b.ID])
	}
	if len(origins) > len(l.Builds) || !reflect.DeepEqual(origins, mapOf(origins, l.Builds)) {
		s += fmt.Sprintf("origins of other builds: %v\n", origins)
	}
	return s + fmt.Sprintf("points %+v", pts)
}

// mapOf is origins restricted to builds.
func mapOf(origins map[int64]query.Origin, builds []query.Build) map[int64]query.Origin {
	out := map[int64]query.Origin{}
	for _, b := range builds {
		if o, ok := origins[b.ID]; ok {
			out[b.ID] = o
		}
	}
	return out
}
