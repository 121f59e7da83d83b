package query

import (
	"context"
	"slices"
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
	if fc.fromAlert {
		return data.Frames{alertBuildsFrame(q.JobRef(), bs, q.TimeField)}, nil
	}
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
		code[i], duration[i] = b.StatusCode(), b.Duration()
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
	f.Fields = append(f.Fields, resourceFields(bs)...)
	f.Meta = &data.FrameMeta{ExecutedQueryString: fc.executed, Notices: fc.notices}
	return f
}

// resourceFields are the columns of what each build used (queue time, CPU, memory,
// storage) and the builder's own status word and message, when any build carries such
// figures; nil otherwise.
func resourceFields(bs []Build) []*data.Field {
	if !slices.ContainsFunc(bs, func(b Build) bool { return b.Resources != nil }) {
		return nil
	}
	cols := []struct {
		name, unit string
		get        func(r *Resources) *float64
	}{
		{"queueTime", "s", func(r *Resources) *float64 { return &r.QueueSeconds }},
		{"cpuSeconds", "s", func(r *Resources) *float64 { return &r.CPUSeconds }},
		{"cpuCount", "", func(r *Resources) *float64 { return resFloat(float64(r.CPUCount)) }},
		{"allocatedMemory", "bytes", func(r *Resources) *float64 { return resFloat(float64(r.AllocatedBytes)) }},
		{"peakMemory", "bytes", func(r *Resources) *float64 { return resInt(r.PeakMemoryBytes) }},
		{"peakStorage", "bytes", func(r *Resources) *float64 { return resInt(r.PeakStorageBytes) }},
	}
	words := make([]string, len(bs))
	messages := make([]string, len(bs))
	for i, b := range bs {
		if b.Resources != nil {
			words[i], messages[i] = b.Resources.Status, b.Resources.Message
		}
	}
	out := make([]*data.Field, len(cols), len(cols)+2)
	for i, c := range cols {
		vals := make([]*float64, len(bs))
		for j, b := range bs {
			if b.Resources != nil {
				if v := c.get(b.Resources); v != nil {
					vals[j] = resFloat(*v)
				}
			}
		}
		out[i] = data.NewField(c.name, nil, vals)
		if c.unit != "" {
			out[i].SetConfig(&data.FieldConfig{Unit: c.unit})
		}
	}
	return append(out, data.NewField("builderStatus", nil, words), data.NewField("message", nil, messages))
}

func resFloat(v float64) *float64 { return &v }

func resInt(v *int64) *float64 {
	if v == nil {
		return nil
	}
	return resFloat(float64(*v))
}
