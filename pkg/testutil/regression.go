package testutil

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"
)

// RegressionQueries are an artifact and a metric query with the regression option, K=4,
// of the job Job names.
func RegressionQueries() map[string]map[string]any {
	return map[string]map[string]any{
		"artifact": Job(map[string]any{"queryType": "artifact", "product": "bench.json", "path": "results.throughput",
			"regression": true, "baselineBuilds": 4, "threshold": 2, "better": "higher"}),
		"metric": Job(map[string]any{"queryType": "metric", "metric": "time", "regression": true, "baselineBuilds": 4}),
	}
}

// CheckRegression checks the frame's layout and recomputes, from its value column, the
// baseline, band, change and flag of every point; the frame must hold the job's whole
// history, so that the first points have too few earlier builds for a baseline.
func CheckRegression(t *testing.T, f *data.Frame, k int, q map[string]any) {
	t.Helper()
	var names []string
	for _, fd := range f.Fields {
		names = append(names, fd.Name)
	}
	if got := strings.Join(names, ","); got != "time,value,baseline,low,high,change,regression,regressed,build,eval,revision" {
		t.Fatalf("fields %s", got)
	}
	if l := FieldNamed(f, "change").Labels; l["field"] != "change" || l["series"] != f.Name {
		t.Fatalf("change labels %v", l)
	}
	threshold := 5.0
	if th, ok := q["threshold"].(int); ok {
		threshold = float64(th)
	}
	higher := q["better"] == "higher"
	checked, without := 0, 0
	for i := range f.Rows() {
		v := FieldNamed(f, "value").At(i).(float64)
		got := FieldNamed(f, "baseline").At(i).(*float64)
		b, ok := BaselineBefore(f, f.Fields[0].At(i).(time.Time), k)
		if !ok {
			if got != nil {
				t.Fatalf("point %d: baseline %v from fewer than %d earlier builds", i, *got, k)
			}
			without++
			continue
		}
		if got == nil || *got != b {
			t.Fatalf("point %d: baseline %v, want %v", i, got, b)
		}
		band := math.Abs(b) * threshold / 100
		if lo, hi := *FieldNamed(f, "low").At(i).(*float64), *FieldNamed(f, "high").At(i).(*float64); lo != b-band || hi != b+band {
			t.Fatalf("point %d: band %v..%v around %v", i, lo, hi, b)
		}
		if !finite(v) {
			if FieldNamed(f, "change").At(i).(*float64) != nil {
				t.Fatalf("point %d: a change of the value %v", i, v)
			}
			continue
		}
		change := (v - b) / math.Abs(b)
		if c := *FieldNamed(f, "change").At(i).(*float64); math.Abs(c-change) > 1e-12 {
			t.Fatalf("point %d: change %v, want %v", i, c, change)
		}
		bad := change > threshold/100
		if higher {
			bad = change < -threshold/100
		}
		flag, marker := *FieldNamed(f, "regression").At(i).(*float64), FieldNamed(f, "regressed").At(i).(*float64)
		if (flag == 1) != bad || (marker != nil) != bad || (marker != nil && *marker != v) {
			t.Fatalf("point %d: change %v, flag %v, marker %v", i, change, flag, marker)
		}
		checked++
	}
	if checked == 0 || without < k {
		t.Fatalf("%d points checked, %d without a baseline: the test data cannot tell", checked, without)
	}
}

// BaselineBefore is the median of the k finite values in f just before time at, if there
// are k of them.
func BaselineBefore(f *data.Frame, at time.Time, k int) (float64, bool) {
	var vals []float64
	for i := 0; i < f.Rows() && f.Fields[0].At(i).(time.Time).Before(at); i++ {
		if v := FieldNamed(f, "value").At(i).(float64); finite(v) {
			vals = append(vals, v)
		}
	}
	if len(vals) < k {
		return 0, false
	}
	vals = slices.Clone(vals[len(vals)-k:])
	slices.Sort(vals)
	if k%2 == 1 {
		return vals[k/2], true
	}
	return (vals[k/2-1] + vals[k/2]) / 2, true
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// FieldNamed is the frame's field of that name, nil if it has none.
func FieldNamed(f *data.Frame, name string) *data.Field {
	fd, _ := f.FieldByName(name)
	return fd
}
