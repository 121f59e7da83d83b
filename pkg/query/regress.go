package query

import (
	"math"
	"slices"
)

// Defaults and bounds of the regression option.
const (
	DefaultBaselineBuilds = 10
	MaxBaselineBuilds     = 1000
	DefaultThreshold      = 5.0 // percent
	MaxThreshold          = 1000.0
)

// validateRegression fills the regression option's defaults and checks its bounds; it
// applies to artifact and metric queries only.
func (q *Query) validateRegression() error {
	if !q.Regression {
		return nil
	}
	if q.QueryType != TypeArtifact && q.QueryType != TypeMetric {
		return Invalidf("the regression option applies to artifact and metric queries, not %s: turn regression off", q.QueryType)
	}
	switch {
	case q.BaselineBuilds == 0:
		q.BaselineBuilds = DefaultBaselineBuilds
	case q.BaselineBuilds < 1 || q.BaselineBuilds > MaxBaselineBuilds:
		return Invalidf("baselineBuilds %d is out of range: set how many earlier builds form the baseline, from 1 to %d",
			q.BaselineBuilds, MaxBaselineBuilds)
	}
	if q.Threshold == nil {
		t := DefaultThreshold
		q.Threshold = &t
	}
	if t := *q.Threshold; math.IsNaN(t) || t < 0 || t > MaxThreshold {
		return Invalidf("threshold %v is out of range: set the change in percent that counts as a regression, from 0 to %v",
			t, MaxThreshold)
	}
	switch q.Better {
	case "":
		q.Better = BetterLower
	case BetterLower, BetterHigher:
	default:
		return Invalidf("better %q is not known: set it to lower (a rise is a regression) or higher (a fall is one)", q.Better)
	}
	return nil
}

// RegressOptions are the parameters of the regression computation.
type RegressOptions struct {
	K         int     // earlier finite values that form the baseline
	Threshold float64 // percent
	Better    string  // BetterLower or BetterHigher
}

// regressOptions reads a validated query's regression option.
func (q *Query) regressOptions() RegressOptions {
	return RegressOptions{K: q.BaselineBuilds, Threshold: *q.Threshold, Better: q.Better}
}

// Regression holds, per point of a series, the computed columns; nil means no value.
type Regression struct {
	Baseline, Low, High []*float64
	Change              []*float64 // fraction: 0.1 is a rise of 10%
	Flag                []*float64 // 1 where the change passes the threshold in the bad direction, else 0
	Marker              []*float64 // the value where Flag is 1
}

// Regress computes the regression columns of values, ordered oldest first. A point's
// baseline is the median of the K nearest earlier finite values; without K of them it has
// none.
func Regress(values []float64, o RegressOptions) Regression {
	n := len(values)
	r := Regression{Baseline: make([]*float64, n), Low: make([]*float64, n), High: make([]*float64, n),
		Change: make([]*float64, n), Flag: make([]*float64, n), Marker: make([]*float64, n)}
	cols := make([]float64, 6*n) // one backing array for the values of all columns
	set := func(col []*float64, i, c int, v float64) {
		cols[c*n+i] = v
		col[i] = &cols[c*n+i]
	}
	limit := o.Threshold / 100
	k := max(o.K, 0)
	ring := make([]float64, 0, k) // the K nearest earlier finite values, in arrival order from next
	sorted := make([]float64, 0, k)
	next := 0
	for i, v := range values {
		if o.K > 0 && len(sorted) == o.K {
			b := median(sorted)
			band := math.Abs(b) * limit
			set(r.Baseline, i, 0, b)
			set(r.Low, i, 1, b-band)
			set(r.High, i, 2, b+band)
			if b != 0 && finite(v) {
				c := (v - b) / math.Abs(b)
				set(r.Change, i, 3, c)
				flag := 0.0
				if (o.Better == BetterHigher && c < -limit) || (o.Better != BetterHigher && c > limit) {
					flag = 1
					set(r.Marker, i, 5, v)
				}
				set(r.Flag, i, 4, flag)
			}
		}
		if !finite(v) || o.K <= 0 {
			continue
		}
		if len(ring) < o.K {
			ring = append(ring, v)
		} else {
			j, _ := slices.BinarySearch(sorted, ring[next])
			sorted = slices.Delete(sorted, j, j+1)
			ring[next] = v
			next = (next + 1) % o.K
		}
		j, _ := slices.BinarySearch(sorted, v)
		sorted = slices.Insert(sorted, j, v)
	}
	return r
}

// median of sorted, non-empty values: the mean of the two middle ones for an even count.
func median(sorted []float64) float64 {
	m := len(sorted) / 2
	if len(sorted)%2 == 1 {
		return sorted[m]
	}
	return (sorted[m-1] + sorted[m]) / 2
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
