package query

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"
)

// evals returns the jobset's evaluations in the time range, one row each with its commit,
// shaped for Grafana annotations (time, title, text, tags).
func (e *Engine) evals(ctx context.Context, q *Query, w Window, fc *frameCtx) (data.Frames, error) {
	es, ok := e.src.(EvalSource)
	if !ok {
		return nil, Invalidf("this datasource's source does not know evaluations: evals queries need a Hydra source")
	}
	list, reqs, err := es.Evals(ctx, q.Project, q.Jobset, w)
	if err != nil && !IsPartial(err) {
		return nil, err
	}
	if err != nil {
		fc.warn("%v", err)
	}
	fc.executed = executedQuery(reqs)
	if len(list) > w.Limit {
		list = list[:w.Limit]
		fc.cut(true, w.Limit, "evaluation", "evaluations")
	}
	sort.SliceStable(list, func(i, j int) bool { return list[i].Timestamp.Before(list[j].Timestamp) })
	n := len(list)
	times := make([]time.Time, n)
	titles, texts, tags, revs, flakes := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	ids := make([]int64, n)
	nrBuilds := make([]int64, n)
	for i, ev := range list {
		times[i], ids[i], revs[i], flakes[i], nrBuilds[i] = ev.Timestamp, ev.ID, ev.Revision, ev.Flake, int64(ev.NrBuilds)
		titles[i] = fmt.Sprintf("Evaluation %d of %s:%s", ev.ID, q.Project, q.Jobset)
		texts[i] = evalText(ev)
		tags[i] = "eval," + q.Project + ":" + q.Jobset
	}
	f := data.NewFrame("evals",
		data.NewField("time", nil, times),
		data.NewField("title", nil, titles),
		data.NewField("text", nil, texts),
		data.NewField("tags", nil, tags),
		data.NewField("eval", nil, ids),
		data.NewField("revision", nil, revs),
		data.NewField("flake", nil, flakes),
		data.NewField("builds", nil, nrBuilds),
	)
	f.Meta = &data.FrameMeta{ExecutedQueryString: fc.executed, Notices: fc.notices}
	return data.Frames{f}, nil
}

// evalText describes an evaluation's commit and inputs in one short text.
func evalText(ev Eval) string {
	var parts []string
	if ev.Revision != "" {
		parts = append(parts, "commit "+ev.Revision)
	}
	if ev.Flake != "" {
		parts = append(parts, "flake "+ev.Flake)
	}
	for _, in := range ev.Inputs {
		if in.Revision != "" && in.Revision != ev.Revision {
			parts = append(parts, fmt.Sprintf("%s %s", in.Name, in.Revision))
		}
	}
	if ev.NrBuilds > 0 {
		parts = append(parts, plural(ev.NrBuilds, "build", "builds"))
	}
	return strings.Join(parts, "; ")
}
