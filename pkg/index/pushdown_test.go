package index_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/index"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/testutil"
)

// A panel's time range and Max data points bound what the index source reads. Of 1,000
// builds (a minute apart, beside 1,000 of another job), a range holding builds 200 to 699
// and Max data points 50 (under the query's limit of 1,000) plot builds 650 to 699:
//
//   - the listing and the metric series are cut in SQL by time and LIMIT: by the window
//     itself when the Source keeps nothing (BETWEEN the range, LIMIT 51); when it keeps
//     them, from the range's start on (b.time >= / m.time >=) with the Source's bound as
//     LIMIT, and the window is cut from the rows kept, as the executed query says;
//   - artifacts are read for those 50 builds only, none read ahead and left unasked.
func TestWindowIsPushedToTheIndex(t *testing.T) {
	e := newEnv(t)
	e.seedMany(t, "bench", 1_000, 1)
	e.seedMany(t, "other", 1_000, 1_001)
	from, to := t0.Add(200*time.Minute), t0.Add(699*time.Minute)
	stamp := func(at time.Time) string { return at.UTC().Format(time.RFC3339) }
	for _, c := range []struct {
		name  string
		opts  index.Options
		wants map[string][]string // executed query of each query type, in parts
	}{
		{"kept", index.Options{}, map[string][]string{
			"artifact": {"b.time >= $4 ORDER BY b.time DESC, b.id DESC LIMIT $5", "$4 = " + stamp(from),
				"-- then in memory: b.time BETWEEN " + stamp(from) + " AND " + stamp(to) + " LIMIT 51"},
			"metric": {"m.time >= $5 ORDER BY m.time DESC, m.build_id DESC LIMIT $6", "$5 = " + stamp(from),
				"-- then in memory: m.time BETWEEN " + stamp(from) + " AND " + stamp(to) + " LIMIT 51"}}},
		{"not kept", index.Options{CacheBytes: -1}, map[string][]string{
			"artifact": {"b.time BETWEEN $4 AND $5 ORDER BY b.time DESC, b.id DESC LIMIT $6",
				"$4 = " + stamp(from), "$5 = " + stamp(to), "$6 = 51"},
			"metric": {"m.time BETWEEN $5 AND $6 ORDER BY m.time DESC, m.build_id DESC LIMIT $7",
				"$5 = " + stamp(from), "$6 = " + stamp(to), "$7 = 51"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			src := e.source(c.opts)
			engine := engineOf(src)
			for _, q := range []map[string]any{
				testutil.Job(map[string]any{"queryType": "artifact", "product": "bench.json", "path": "results.throughput", "limit": 1_000}),
				testutil.Job(map[string]any{"queryType": "metric", "metric": "maxresident", "limit": 1_000}),
			} {
				kind := q["queryType"].(string)
				raw, _ := json.Marshal(q)
				r := engine.Query(context.Background(), backend.DataQuery{RefID: "A", JSON: raw, MaxDataPoints: 50,
					TimeRange: backend.TimeRange{From: from, To: to}}, false)
				testutil.MustOK(t, r)
				f := r.Frames[0]
				// throughput is 1000+i.25, maxresident 1000+i: builds 650 to 699, oldest first
				first, last := f.Fields[1].At(0).(float64), f.Fields[1].At(f.Rows()-1).(float64)
				if f.Rows() != 50 || int(first) != 1650 || int(last) != 1699 {
					t.Errorf("%s: %d points from %v to %v, want 50 from builds 650 to 699", kind, f.Rows(), first, last)
				}
				if !testutil.HasNotice(r, "Max data points") {
					t.Errorf("%s: no notice that Max data points cut the series: %+v", kind, f.Meta.Notices)
				}
				for _, part := range c.wants[kind] {
					if !strings.Contains(f.Meta.ExecutedQueryString, part) {
						t.Errorf("%s: the executed query lacks %q:\n%s", kind, part, f.Meta.ExecutedQueryString)
					}
				}
			}
			if n, left := src.ArtifactsRead(), src.Unclaimed(); n != 50 || left != 0 {
				t.Errorf("%d artifacts read, %d of them not asked for; want the 50 plotted", n, left)
			}
		})
	}
}
