package query

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// col renders a column as text, "-" for no value, so that expectations read like a table.
func col(c []*float64) string {
	s := ""
	for i, v := range c {
		if i > 0 {
			s += " "
		}
		if v == nil {
			s += "-"
		} else {
			s += fmt.Sprint(*v)
		}
	}
	return s
}

var nan, inf = math.NaN(), math.Inf(1)

func TestRegressHandComputed(t *testing.T) {
	lower := func(k int, th float64) RegressOptions {
		return RegressOptions{K: k, Threshold: th, Better: BetterLower}
	}
	higher := func(k int, th float64) RegressOptions {
		return RegressOptions{K: k, Threshold: th, Better: BetterHigher}
	}
	cases := []struct {
		name                                      string
		values                                    []float64
		o                                         RegressOptions
		baseline, low, high, change, flag, marker string
	}{
		{"K=3, two earlier points: no baseline", []float64{10, 20, 30}, lower(3, 5),
			"- - -", "- - -", "- - -", "- - -", "- - -", "- - -"},
		{"K=3, three earlier points: median of them", []float64{10, 20, 30, 40}, lower(3, 5),
			"- - - 20", "- - - 19", "- - - 21", "- - - 1", "- - - 1", "- - - 40"},
		{"NaN and Inf in the window are skipped", []float64{10, nan, 20, inf, 30, 12}, lower(3, 5),
			"- - - - - 20", "- - - - - 19", "- - - - - 21", "- - - - - -0.4", "- - - - - 0", "- - - - - -"},
		{"NaN and -Inf as the current value: baseline, no change", []float64{10, 20, 30, nan, math.Inf(-1), 40}, lower(3, 5),
			"- - - 20 20 20", "- - - 19 19 19", "- - - 21 21 21", "- - - - - 1", "- - - - - 1", "- - - - - 40"},
		{"ties around the median", []float64{5, 5, 5, 5, 7}, lower(3, 50),
			"- - - 5 5", "- - - 2.5 2.5", "- - - 7.5 7.5", "- - - 0 0.4", "- - - 0 0", "- - - - -"},
		{"even window: mean of the two middle values", []float64{1, 10, 3, 2, 5}, lower(4, 5),
			"- - - - 2.5", "- - - - 2.375", "- - - - 2.625", "- - - - 1", "- - - - 1", "- - - - 5"},
		{"even window with equal middle values", []float64{2, 1, 2, 3, 2}, lower(4, 5),
			"- - - - 2", "- - - - 1.9", "- - - - 2.1", "- - - - 0", "- - - - 0", "- - - - -"},
		{"zero baseline: no change", []float64{0, 5}, lower(1, 5),
			"- 0", "- 0", "- 0", "- -", "- -", "- -"},
		{"lower is better: a rise is flagged, a fall is not", []float64{100, 100, 110, 100, 90}, lower(1, 5),
			"- 100 100 110 100", "- 95 95 104.5 95", "- 105 105 115.5 105", "- 0 0.1 -0.09090909090909091 -0.1", "- 0 1 0 0", "- - 110 - -"},
		{"higher is better: a fall is flagged, a rise is not", []float64{100, 100, 110, 100, 90}, higher(1, 5),
			"- 100 100 110 100", "- 95 95 104.5 95", "- 105 105 115.5 105", "- 0 0.1 -0.09090909090909091 -0.1", "- 0 0 1 1", "- - - 100 90"},
		{"a change of exactly the threshold is not flagged (lower)", []float64{200, 210}, lower(1, 5),
			"- 200", "- 190", "- 210", "- 0.05", "- 0", "- -"},
		{"a change of exactly the threshold is not flagged (higher)", []float64{200, 190}, higher(1, 5),
			"- 200", "- 190", "- 210", "- -0.05", "- 0", "- -"},
		{"negative baseline: change is relative to its magnitude", []float64{-100, -90, -110}, lower(1, 5),
			"- -100 -90", "- -105 -94.5", "- -95 -85.5", "- 0.1 -0.2222222222222222", "- 1 0", "- -90 -"},
		{"K=1: the previous value", []float64{1, 2, 4, 4}, lower(1, 0),
			"- 1 2 4", "- 1 2 4", "- 1 2 4", "- 1 1 0", "- 1 1 0", "- 2 4 -"},
		{"threshold 0: any rise is flagged, none is not", []float64{10, 10, 10.5}, lower(1, 0),
			"- 10 10", "- 10 10", "- 10 10", "- 0 0.05", "- 0 1", "- - 10.5"},
		{"empty series", nil, lower(3, 5), "", "", "", "", "", ""},
	}
	for _, c := range cases {
		r := Regress(c.values, c.o)
		got := []string{col(r.Baseline), col(r.Low), col(r.High), col(r.Change), col(r.Flag), col(r.Marker)}
		want := []string{c.baseline, c.low, c.high, c.change, c.flag, c.marker}
		for i, name := range []string{"baseline", "low", "high", "change", "flag", "marker"} {
			if got[i] != want[i] {
				t.Errorf("%s: %s = %q, want %q", c.name, name, got[i], want[i])
			}
		}
	}
}

// TestRegressMatchesTheDefinition checks the sliding window against the definition,
// computed afresh for every point.
func TestRegressMatchesTheDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 200 {
		n, k := rng.IntN(60), 1+rng.IntN(8)
		values := make([]float64, n)
		for i := range values {
			switch rng.IntN(10) {
			case 0:
				values[i] = nan
			case 1:
				values[i] = inf
			default:
				values[i] = float64(rng.IntN(7) - 2) // many ties, some zeros and negatives
			}
		}
		r := Regress(values, RegressOptions{K: k, Threshold: 5, Better: BetterLower})
		for i := range values {
			var earlier []float64
			for j := i - 1; j >= 0 && len(earlier) < k; j-- {
				if finite(values[j]) {
					earlier = append(earlier, values[j])
				}
			}
			if len(earlier) < k {
				if r.Baseline[i] != nil {
					t.Fatalf("round %d: point %d has %d earlier values of %d but baseline %v", round, i, len(earlier), k, *r.Baseline[i])
				}
				continue
			}
			slices.Sort(earlier)
			if want := median(earlier); r.Baseline[i] == nil || *r.Baseline[i] != want {
				t.Fatalf("round %d: point %d of %v: baseline %v, want %v", round, i, values, r.Baseline[i], want)
			}
		}
	}
}

// TestRegressKeepsTheOrderOfEqualTimes checks that points of equal time are taken in the
// order the series holds them: the earlier index is the earlier build.
func TestRegressKeepsTheOrderOfEqualTimes(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	pts := []point{{t0, 10, 1}, {t0, 20, 2}, {t0, 30, 3}, {t0.Add(time.Minute), 12, 4}}
	sortPoints(pts)
	if pts[0].build != 1 || pts[1].build != 2 || pts[2].build != 3 {
		t.Fatalf("equal times reordered: %+v", pts)
	}
	fc := &frameCtx{}
	s := fc.regress(series{name: "x", points: pts}, RegressOptions{K: 1, Threshold: 5, Better: BetterLower},
		buildSet{1: {}, 2: {}, 3: {}, 4: {}})
	if got := col(s.reg.Baseline); got != "- 10 20 30" {
		t.Fatalf("baselines %s: each point of equal time must compare with the one before it", got)
	}
	if len(fc.notices) != 1 {
		t.Fatalf("want one notice about the point without a baseline, got %+v", fc.notices)
	}
}
