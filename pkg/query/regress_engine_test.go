package query

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/cache"
)

// memQuery runs q on a memSource of n builds (build i queued at t0+i minutes, its numbers
// are i) over the builds from..to.
func memQuery(t *testing.T, n int, q map[string]any, from, to int, fromAlert bool) backend.DataResponse {
	t.Helper()
	t0 := time.Unix(1_700_000_000, 0)
	body, _ := json.Marshal(q)
	e := NewEngine(newMemSource(n), cache.New(16<<20), Options{})
	r := e.Query(context.Background(), backend.DataQuery{RefID: "A", JSON: body, TimeRange: backend.TimeRange{
		From: t0.Add(time.Duration(from) * time.Minute), To: t0.Add(time.Duration(to) * time.Minute)}}, fromAlert)
	if r.Error != nil {
		t.Fatalf("%s: %v", body, r.Error)
	}
	return r
}

// An alert request gets, per series, the time and the regression flag only: a rule's reduce
// and threshold run over every number it receives.
func TestRegressionForAlertsHasOnlyTheFlag(t *testing.T) {
	for _, q := range []map[string]any{
		{"queryType": "artifact", "job": "bench", "product": "bench.json", "path": "results", "regression": true, "baselineBuilds": 3},
		{"queryType": "metric", "job": "bench", "metric": "time", "regression": true, "baselineBuilds": 3},
	} {
		r := memQuery(t, 20, q, 0, 30, true)
		seen := map[string]bool{}
		numbers := 0
		for _, f := range r.Frames {
			if f.Fields[0].Type() != data.FieldTypeTime {
				t.Fatalf("%v: first field is %s, want time", q, f.Fields[0].Type())
			}
			names := []string{}
			for _, fd := range f.Fields[1:] {
				names = append(names, fd.Name)
				if !fd.Type().Numeric() {
					t.Fatalf("%v: field %s of type %s in an alert frame", q, fd.Name, fd.Type())
				}
				key := fd.Labels.String()
				if seen[key] {
					t.Fatalf("%v: label set %s appears twice", q, key)
				}
				seen[key] = true
				numbers++
			}
			if got := strings.Join(names, ","); got != "regression" {
				t.Fatalf("%v: fields %s", q, got)
			}
			if f.Fields[1].Labels["field"] != "regression" || f.Fields[1].Labels["series"] != f.Name {
				t.Fatalf("%v: the flag's labels are %v", q, f.Fields[1].Labels)
			}
		}
		if numbers == 0 || (q["queryType"] == "artifact" && len(r.Frames) != 2) {
			t.Fatalf("%v: %d frames with %d numeric fields", q, len(r.Frames), numbers)
		}
	}
}

func TestRegressionBaselineUsesBuildsBeforeTheTimeRange(t *testing.T) {
	for _, typ := range []string{"artifact", "metric"} {
		q := map[string]any{"queryType": typ, "job": "bench", "product": "bench.json", "path": "results.throughput", "metric": "time",
			"regression": true, "baselineBuilds": 5}
		// Builds 21..30 are in the time range; 16..20 before it form the first baseline.
		r := memQuery(t, 40, q, 21, 30, false)
		f := r.Frames[0]
		if f.Rows() != 10 || f.Fields[1].At(0).(float64) != 21 {
			t.Fatalf("%s: %d rows from %v, want builds 21..30", typ, f.Rows(), f.Fields[1].At(0))
		}
		if b := f.Fields[2].At(0).(*float64); b == nil || *b != 18 {
			t.Fatalf("%s: first shown baseline %v, want 18 (median of builds 16..20)", typ, b)
		}
		if len(f.Meta.Notices) != 0 {
			t.Fatalf("%s: notices %+v", typ, f.Meta.Notices)
		}
		// A limit of 4 shows builds 27..30; the first baseline is builds 22..26, in the range but cut by limit.
		q["limit"] = 4
		r = memQuery(t, 40, q, 21, 30, false)
		f = r.Frames[0]
		if f.Rows() != 4 || f.Fields[1].At(0).(float64) != 27 {
			t.Fatalf("%s: limit 4: %d rows from %v", typ, f.Rows(), f.Fields[1].At(0))
		}
		if b := f.Fields[2].At(0).(*float64); b == nil || *b != 24 {
			t.Fatalf("%s: limit 4: first baseline %v, want 24", typ, b)
		}
		if len(f.Meta.Notices) != 1 || !strings.Contains(f.Meta.Notices[0].Text, "Raise limit (now 4)") {
			t.Fatalf("%s: limit 4: notices %+v", typ, f.Meta.Notices)
		}
	}
}

func TestRegressionSaysWhichPointsHaveNoBaseline(t *testing.T) {
	for _, typ := range []string{"artifact", "metric"} {
		q := map[string]any{"queryType": typ, "job": "bench", "product": "bench.json", "path": "results.throughput", "metric": "time",
			"regression": true, "baselineBuilds": 3}
		r := memQuery(t, 5, q, 0, 10, false)
		f := r.Frames[0]
		if f.Rows() != 5 || f.Fields[2].At(2).(*float64) != nil || *f.Fields[2].At(3).(*float64) != 2 {
			t.Fatalf("%s: rows %d, baselines %v %v", typ, f.Rows(), f.Fields[2].At(2), f.Fields[2].At(3))
		}
		want := "Series " + f.Name + ": the first 3 points of 5 have no baseline and so no change: a baseline needs 3 earlier builds with a value"
		if len(f.Meta.Notices) != 1 || !strings.HasPrefix(f.Meta.Notices[0].Text, want) {
			t.Fatalf("%s: notices %+v, want one starting %q", typ, f.Meta.Notices, want)
		}
	}
}
