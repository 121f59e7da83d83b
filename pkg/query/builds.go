package query

import (
	"context"
	"sort"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"
)

// builds returns one row per build: status, duration and commit, oldest first. Its status
// column drives a state timeline; duration a time series.
func (e *Engine) builds(ctx context.Context, q *Query, w Window, fc *frameCtx) (data.Frames, error) {
	l, err := e.listBuilds(ctx, q, w)
	if err != nil {
		return nil, err
	}
	// Complete fills in l.Builds meanwhile: the origins lookup reads a copy.
	wait := e.origins(ctx, q.JobRef(), append([]Build(nil), l.Builds...), len(l.Builds))
	if q.TimeField != TimeStop {
		if err := e.src.Complete(ctx, l.Builds); err != nil {
			wait(fc)
			return nil, err
		}
	}
	wait(fc)
	fc.executed = executedQuery(l.Requests)
	fc.truncated(l, w.Limit)
	fc.noBuilds(l, q.JobRef())
	bs := append([]Build(nil), l.Builds...)
	sort.SliceStable(bs, func(i, j int) bool { return timeOf(bs[i], q.TimeField).Before(timeOf(bs[j], q.TimeField)) })
	return data.Frames{fc.buildsFrame(q.JobRef().String(), bs, q.TimeField)}, nil
}

func (fc *frameCtx) buildsFrame(name string, bs []Build, timeField string) *data.Frame {
	n := len(bs)
	times := make([]time.Time, n)
	status := make([]string, n)
	group := make([]string, n)
	code := make([]*int64, n)
	duration := make([]*float64, n)
	ids := make([]int64, n)
	cached := make([]bool, n)
	systems := make([]string, n)
	names := make([]string, n)
	for i, b := range bs {
		times[i], status[i], group[i], ids[i] = timeOf(b, timeField), StatusText(b), StatusGroup(b), b.ID
		systems[i], names[i], cached[i] = b.System, b.NixName, b.Cached
		if b.Finished {
			c := int64(b.Status)
			code[i] = &c
		}
		if !b.Start.IsZero() && !b.Stop.IsZero() {
			d := b.Stop.Sub(b.Start).Seconds()
			duration[i] = &d
		}
	}
	evals, revs := fc.originColumns(ids)
	build := data.NewField("build", nil, ids)
	if !fc.fromAlert {
		build.SetConfig(&data.FieldConfig{Links: fc.links()})
	}
	f := data.NewFrame(name,
		data.NewField("time", nil, times),
		data.NewField("status", nil, status),
		data.NewField("result", nil, group),
		data.NewField("duration", nil, duration).SetConfig(&data.FieldConfig{Unit: "s"}),
		build,
		data.NewField("statusCode", nil, code),
		data.NewField("eval", nil, evals),
		data.NewField("revision", nil, revs),
		data.NewField("cached", nil, cached),
		data.NewField("system", nil, systems),
		data.NewField("nixname", nil, names),
	)
	f.Meta = &data.FrameMeta{ExecutedQueryString: fc.executed, Notices: fc.notices}
	return f
}
