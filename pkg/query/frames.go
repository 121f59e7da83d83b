package query

import (
	"fmt"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"
)

// point is one value of one series, tied to its build.
type point struct {
	t     time.Time
	v     float64
	build int64
}

// series is the points of one named series, oldest first.
type series struct {
	name   string
	unit   string
	points []point
	reg    *Regression // the regression option's columns, aligned with points
}

// frameCtx carries what every frame of one query shares.
type frameCtx struct {
	origins   map[int64]Origin
	buildURL  string
	executed  string
	notices   []data.Notice
	fromAlert bool
	pointsCap bool // the panel's Max data points bounded the builds read
	labels    data.Labels
	forge     string // commit URL prefix (commitURL)
	forgeDone bool
}

// seriesFrame builds a time series frame: time, value, and per point build, eval and
// revision (left out for alert rules, which need one number per time).
func (fc *frameCtx) seriesFrame(s series) *data.Frame {
	n := len(s.points)
	times := make([]time.Time, n)
	values := make([]float64, n)
	builds := make([]int64, n)
	for i, p := range s.points {
		times[i], values[i], builds[i] = p.t, p.v, p.build
	}
	evals, revs := fc.originColumns(builds)
	labels := data.Labels{"series": s.name}
	for k, v := range fc.labels {
		labels[k] = v
	}
	value := data.NewField("value", labels, values).SetConfig(&data.FieldConfig{
		DisplayNameFromDS: s.name,
		Unit:              GrafanaUnit(s.unit),
		Links:             fc.links(),
	})
	frame := data.NewFrame(s.name, data.NewField("time", nil, times), value)
	switch {
	case s.reg != nil && fc.fromAlert:
		// an alert rule's reduce and threshold run over every number it gets: the regression
		// flag alone, so "last > 0" fires on a flagged newest build and on nothing else
		frame.Fields = []*data.Field{frame.Fields[0], regressionFlag(s, labels)}
	case s.reg != nil:
		frame.Fields = append(frame.Fields, regressionFields(s, labels, value.Config.Unit)...)
	}
	if !fc.fromAlert {
		frame.Fields = append(frame.Fields,
			hidden(data.NewField("build", nil, builds)),
			hidden(data.NewField("eval", nil, evals)),
			data.NewField("revision", nil, revs))
	}
	frame.Meta = &data.FrameMeta{
		Type:                data.FrameTypeTimeSeriesMulti,
		TypeVersion:         data.FrameTypeVersion{0, 1},
		ExecutedQueryString: fc.executed,
		Notices:             fc.notices,
	}
	return frame
}

// originColumns are the eval and revision of each build, nil where unknown. The values
// live in one backing array per column rather than one allocation per point.
func (fc *frameCtx) originColumns(builds []int64) ([]*int64, []*string) {
	n := len(builds)
	evals, revs := make([]*int64, n), make([]*string, n)
	evalVals, revVals := make([]int64, n), make([]string, n)
	for i, id := range builds {
		o, ok := fc.origins[id]
		if !ok {
			continue
		}
		if o.Eval != 0 {
			evalVals[i] = o.Eval
			evals[i] = &evalVals[i]
		}
		if o.Revision != "" {
			revVals[i] = o.Revision
			revs[i] = &revVals[i]
		}
	}
	return evals, revs
}

// hidden keeps a per-point number in the tooltip and data links but out of the plot.
func hidden(f *data.Field) *data.Field {
	return f.SetConfig(&data.FieldConfig{Custom: map[string]any{
		"hideFrom": map[string]bool{"viz": true, "legend": true, "tooltip": false},
	}})
}

// links points each value at its build page, its evaluation's page (Hydra's sources) and
// its commit on the forge (when the builds' repository is on a known forge).
func (fc *frameCtx) links() []data.DataLink {
	if fc.fromAlert {
		return nil
	}
	var out []data.DataLink
	if fc.buildURL != "" {
		out = append(out, data.DataLink{Title: "Build ${__data.fields.build}", URL: fc.buildURL + "${__data.fields.build}", TargetBlank: true})
		if base, ok := strings.CutSuffix(fc.buildURL, "/build/"); ok {
			out = append(out, data.DataLink{Title: "Evaluation ${__data.fields.eval}", URL: base + "/eval/${__data.fields.eval}", TargetBlank: true})
		}
	}
	if forge := fc.commitURL(); forge != "" {
		out = append(out, data.DataLink{Title: "Commit ${__data.fields.revision}", URL: forge + "${__data.fields.revision}", TargetBlank: true})
	}
	return out
}

// commitURL is the forge commit URL prefix of the repository most of the query's builds
// come from ("" when none is on a known forge); computed once per query.
func (fc *frameCtx) commitURL() string {
	if fc.forgeDone {
		return fc.forge
	}
	fc.forgeDone = true
	prefixes := map[string]string{} // repo -> prefix
	counts := map[string]int{}
	for _, o := range fc.origins {
		if o.Repo == "" {
			continue
		}
		p, ok := prefixes[o.Repo]
		if !ok {
			p = CommitURLPrefix(o.Repo)
			prefixes[o.Repo] = p
		}
		if p != "" {
			counts[p]++
		}
	}
	for p, n := range counts {
		if n > counts[fc.forge] || (n == counts[fc.forge] && p < fc.forge) {
			fc.forge = p
		}
	}
	return fc.forge
}

// emptyFrame carries meta and notices when a query has no data, so the inspector still
// shows what was asked.
func (fc *frameCtx) emptyFrame(name string) *data.Frame {
	f := data.NewFrame(name, data.NewField("time", nil, []time.Time{}), data.NewField("value", nil, []float64{}))
	f.Meta = &data.FrameMeta{Type: data.FrameTypeTimeSeriesMulti, TypeVersion: data.FrameTypeVersion{0, 1},
		ExecutedQueryString: fc.executed, Notices: fc.notices}
	return f
}

// GrafanaUnit maps a Hydra metric unit to Grafana's unit id; unknown units become a suffix.
func GrafanaUnit(u string) string {
	switch strings.TrimSpace(u) {
	case "":
		return ""
	case "s", "sec", "seconds":
		return "s"
	case "ms":
		return "ms"
	case "us", "µs":
		return "µs"
	case "ns":
		return "ns"
	case "%":
		return "percent"
	case "B", "bytes":
		return "bytes"
	case "KiB":
		return "kbytes"
	case "MiB":
		return "mbytes"
	case "GiB":
		return "gbytes"
	case "KB", "kB":
		return "deckbytes"
	case "MB":
		return "decmbytes"
	}
	return "suffix:" + u
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
