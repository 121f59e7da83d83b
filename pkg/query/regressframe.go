package query

import (
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"
)

// The regression option reads more than it shows: every series is computed over the builds
// of the time range and up to BaselineBuilds earlier ones, then cut to what the query
// shows, so that the oldest shown points have their baseline whenever the job has that
// history.

// lookback widens w for the regression option: from the start of Unix time (or w.From if
// earlier) up to w.To, and k more builds than w allows.
func lookback(w Window, k int) Window {
	from := time.Unix(0, 0).UTC()
	if w.From.Before(from) {
		from = w.From
	}
	return Window{From: from, To: w.To, Limit: w.Limit + k}
}

// buildSet holds the builds whose points a query shows.
type buildSet map[int64]struct{}

// shownListing cuts a newest-first listing read with lookback to what the query without
// the option would show: the builds in w, at most w.Limit of them. Truncated says whether
// the limit cut them.
func shownListing(l Listing, w Window, timeField string) Listing {
	n := 0
	for n < len(l.Builds) && !timeOf(l.Builds[n], timeField).Before(w.From) {
		n++
	}
	return Listing{Builds: l.Builds[:min(n, w.Limit)], Truncated: n > w.Limit, Requests: l.Requests}
}

// buildsOf returns the set of the given builds.
func buildsOf(builds []Build) buildSet {
	set := make(buildSet, len(builds))
	for _, b := range builds {
		set[b.ID] = struct{}{}
	}
	return set
}

// shownPoints returns, per metric series read with lookback (points oldest first by queue
// time), the builds the query shows: those queued in w, the newest w.Limit of them; and
// whether the limit cut any series.
func shownPoints(all []series, w Window) ([]buildSet, bool) {
	out := make([]buildSet, len(all))
	cut := false
	for i, s := range all {
		start := len(s.points)
		for start > 0 && !s.points[start-1].t.Before(w.From) {
			start--
		}
		if len(s.points)-start > w.Limit {
			start, cut = len(s.points)-w.Limit, true
		}
		out[i] = make(buildSet, len(s.points)-start)
		for _, p := range s.points[start:] {
			out[i][p.build] = struct{}{}
		}
	}
	return out, cut
}

// regress computes the regression columns of s over all its points and keeps the points of
// the shown builds, adding a notice when some of them have no baseline.
func (fc *frameCtx) regress(s series, o RegressOptions, shown buildSet) series {
	values := make([]float64, len(s.points))
	for i, p := range s.points {
		values[i] = p.v
	}
	r := Regress(values, o)
	out := series{name: s.name, unit: s.unit, points: make([]point, 0, len(shown))}
	keep := Regression{}
	cols := []*[]*float64{&keep.Baseline, &keep.Low, &keep.High, &keep.Change, &keep.Flag, &keep.Marker}
	from := [][]*float64{r.Baseline, r.Low, r.High, r.Change, r.Flag, r.Marker}
	missing := 0
	for i, p := range s.points {
		if _, ok := shown[p.build]; !ok {
			continue
		}
		out.points = append(out.points, p)
		for c, col := range cols {
			*col = append(*col, from[c][i])
		}
		if r.Baseline[i] == nil {
			missing++
		}
	}
	out.reg = &keep
	if missing > 0 && len(out.points) > 0 {
		fc.info("Series %s: the first %s of %d have no baseline and so no change: a baseline needs %s, and fewer were found. Lower baselineBuilds (now %d) to see changes sooner.",
			s.name, plural(missing, "point", "points"), len(out.points),
			plural(o.K, "earlier build with a value", "earlier builds with a value"), o.K)
	}
	return out
}

// regressAll applies regress to every series and leaves out those with no point shown.
func (fc *frameCtx) regressAll(list []series, o RegressOptions, shown buildSet) []series {
	out := list[:0]
	for _, s := range list {
		if s = fc.regress(s, o, shown); len(s.points) > 0 {
			out = append(out, s)
		}
	}
	return out
}

// regressionColumn is one column the regression option adds after value.
type regressionColumn struct {
	name string
	vals []*float64
	unit string
}

// regressionColumns are the columns the option adds, in order; unit is the value's.
func regressionColumns(r *Regression, unit string) []regressionColumn {
	return []regressionColumn{
		{"baseline", r.Baseline, unit},
		{"low", r.Low, unit},
		{"high", r.High, unit},
		{"change", r.Change, "percentunit"},
		{"regression", r.Flag, ""},
		{"regressed", r.Marker, unit},
	}
}

// regressionField is one added column as a field: value's labels plus field=<its name>, so
// that every number of the frame has its own label set, as alert rules need.
func regressionField(valueLabels data.Labels, c regressionColumn) *data.Field {
	labels := make(data.Labels, len(valueLabels)+1)
	for k, v := range valueLabels {
		labels[k] = v
	}
	labels["field"] = c.name
	return data.NewField(c.name, labels, c.vals)
}

// regressionFields are the columns the regression option adds after value, each displayed
// as "<series> <column>".
func regressionFields(s series, valueLabels data.Labels, unit string) []*data.Field {
	cols := regressionColumns(s.reg, unit)
	out := make([]*data.Field, len(cols))
	for i, c := range cols {
		out[i] = regressionField(valueLabels, c).SetConfig(&data.FieldConfig{DisplayNameFromDS: s.name + " " + c.name, Unit: c.unit})
	}
	return out
}

// regressionFlag is the 0/1 regression column alone, for alert rules.
func regressionFlag(s series, valueLabels data.Labels) *data.Field {
	return regressionField(valueLabels, regressionColumn{"regression", s.reg.Flag, ""})
}
