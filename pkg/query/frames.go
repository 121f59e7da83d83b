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

// links points each value at its build page.
func (fc *frameCtx) links() []data.DataLink {
	if fc.buildURL == "" || fc.fromAlert {
		return nil
	}
	return []data.DataLink{{Title: "Build ${__data.fields.build}", URL: fc.buildURL + "${__data.fields.build}", TargetBlank: true}}
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
