package query

import (
	"context"
	"sort"

	"github.com/grafana/grafana-plugin-sdk-go/data"
)

// jobs returns the latest build of every job of a jobset as a table.
func (e *Engine) jobs(ctx context.Context, q *Query, fc *frameCtx) (data.Frames, error) {
	js, ok := e.src.(JobSource)
	if !ok {
		return nil, Invalidf("this datasource's source cannot list the jobs of a jobset: jobs queries need a Hydra source")
	}
	list, reqs, err := js.Jobs(ctx, q.Project, q.Jobset, q.Latest == LatestFinished)
	if err != nil {
		return nil, err
	}
	fc.executed = executedQuery(reqs)
	sort.SliceStable(list, func(i, j int) bool { return list[i].Job < list[j].Job })
	bs := make([]Build, len(list))
	for i, j := range list {
		bs[i] = j.Build
		bs[i].Job.Job = j.Job
	}
	jobNames := make([]string, len(list))
	for i, j := range list {
		jobNames[i] = j.Job
	}
	if fc.fromAlert {
		return data.Frames{alertStatusTable(q.Project+":"+q.Jobset, jobNames, bs)}, nil
	}
	f := fc.buildsFrame(q.Project+":"+q.Jobset, bs, TimeStop)
	f.Fields = append([]*data.Field{data.NewField("job", nil, jobNames)}, f.Fields...)
	f.Meta.PreferredVisualization = data.VisTypeTable
	return data.Frames{f}, nil
}
