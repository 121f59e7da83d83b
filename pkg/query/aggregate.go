package query

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"
)

// aggregate returns the constituents of an aggregate job's latest build (per q.Latest) as
// a table, one row per constituent build.
func (e *Engine) aggregate(ctx context.Context, q *Query, fc *frameCtx) (data.Frames, error) {
	cs, ok := e.src.(ConstituentSource)
	if !ok {
		return nil, Invalidf("aggregate queries need the hydra or hydradb source: this datasource's source does not know the constituents of aggregate jobs")
	}
	job := q.JobRef()
	agg, reqs, err := cs.LatestBuild(ctx, job, q.Latest == LatestFinished)
	if err != nil {
		return nil, err
	}
	members, more, err := cs.Constituents(ctx, agg)
	reqs = append(reqs, more...)
	if err != nil {
		return nil, err
	}
	fc.executed = executedQuery(reqs)
	which := "latest build"
	if q.Latest == LatestFinished {
		which = "latest finished build"
	}
	if len(members) == 0 {
		fc.info("%s is not an aggregate job: its %s %d (%s) has no constituents.", job, which, agg.ID, StatusText(agg))
	} else {
		fc.info("Aggregate build %d, the %s of %s: %s; %s.", agg.ID, which, job, StatusText(agg),
			plural(len(members), "constituent", "constituents"))
	}
	slices.SortStableFunc(members, func(a, b Build) int {
		return cmp.Or(cmp.Compare(a.Job.Job, b.Job.Job), cmp.Compare(a.ID, b.ID))
	})
	if fc.fromAlert {
		jobs := make([]string, len(members))
		for i, b := range members {
			jobs[i] = b.Job.Job
		}
		return data.Frames{alertStatusTable(job.String(), jobs, members)}, nil
	}
	return data.Frames{fc.constituentsFrame(job.String(), members)}, nil
}

// constituentsFrame is one row per constituent build: its job, build (linked to its page),
// state, times and duration in seconds.
func (fc *frameCtx) constituentsFrame(name string, bs []Build) *data.Frame {
	n := len(bs)
	jobs, status, systems, names := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	ids, code := make([]int64, n), make([]*int64, n)
	finished := make([]bool, n)
	start, stop := make([]*time.Time, n), make([]*time.Time, n)
	duration := make([]*float64, n)
	for i, b := range bs {
		jobs[i], ids[i], status[i], finished[i] = b.Job.Job, b.ID, StatusText(b), b.Finished
		systems[i], names[i] = b.System, b.NixName
		code[i], duration[i] = b.StatusCode(), b.Duration()
		if !b.Start.IsZero() {
			start[i] = &bs[i].Start
		}
		if !b.Stop.IsZero() {
			stop[i] = &bs[i].Stop
		}
	}
	build := data.NewField("build", nil, ids)
	if fc.buildURL != "" && !fc.fromAlert {
		build.SetConfig(&data.FieldConfig{Links: []data.DataLink{{Title: "Build ${__data.fields.build}",
			URL: fc.buildURL + "${__data.fields.build}", TargetBlank: true}}})
	}
	f := data.NewFrame(name,
		data.NewField("job", nil, jobs),
		build,
		data.NewField("status", nil, status),
		data.NewField("statusCode", nil, code),
		data.NewField("finished", nil, finished),
		data.NewField("start", nil, start),
		data.NewField("stop", nil, stop),
		data.NewField("duration", nil, duration).SetConfig(&data.FieldConfig{Unit: "s"}),
		data.NewField("system", nil, systems),
		data.NewField("nixname", nil, names),
	)
	f.Meta = &data.FrameMeta{ExecutedQueryString: fc.executed, Notices: fc.notices, PreferredVisualization: data.VisTypeTable}
	return f
}
