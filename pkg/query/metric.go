package query

import (
	"cmp"
	"context"
	"path"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"
)

// IsGlob reports whether a metric or job name is a glob pattern.
func IsGlob(s string) bool { return strings.ContainsAny(s, "*?[") }

// metric plots Hydra build metrics (nix-support/hydra-metrics) of the job's builds.
func (e *Engine) metric(ctx context.Context, q *Query, w Window, fc *frameCtx) (data.Frames, error) {
	job := q.JobRef()
	names := []string{q.Metric}
	if IsGlob(q.Metric) {
		if _, err := path.Match(q.Metric, ""); err != nil {
			return nil, Invalidf("metric glob %q is malformed: %v", q.Metric, err)
		}
		all, err := e.src.MetricNames(ctx, job)
		if err != nil {
			return nil, err
		}
		names = names[:0]
		for _, n := range all {
			if ok, _ := path.Match(q.Metric, n); ok {
				names = append(names, n)
			}
		}
		if len(names) == 0 {
			return nil, Invalidf("no metric of %s matches %q (its recent builds have: %s)", job, q.Metric, listOrNone(all))
		}
	}
	lw := w
	if q.Regression {
		lw = lookback(w, q.BaselineBuilds)
	}
	all, reqs, err := e.metricSeries(ctx, job, names, lw)
	if err != nil {
		return nil, err
	}
	var shown []buildSet // with regression: per series, the builds shown; the rest feed baselines
	truncated := false
	if q.Regression {
		shown, truncated = shownPoints(all, w)
	}
	n := 0
	for i := range all {
		n += min(len(all[i].points), w.Limit)
	}
	refs := make([]buildAt, 0, n)
	var seen map[int64]bool // several series share builds; one series lists each build once
	if len(all) > 1 {
		seen = make(map[int64]bool, n)
	}
	for i := range all {
		if shown == nil && len(all[i].points) > w.Limit {
			all[i].points, truncated = all[i].points[len(all[i].points)-w.Limit:], true
		}
		for _, p := range all[i].points {
			if seen == nil || !seen[p.build] {
				if seen != nil {
					seen[p.build] = true
				}
				refs = append(refs, buildAt{p.build, p.t})
			}
		}
	}
	builds := newestFirst(refs, job, q.TimeField == TimeStop)
	looked := builds
	if q.TimeField == TimeStop { // retime fills builds in meanwhile: the lookup reads a copy
		looked = append([]Build(nil), builds...)
	}
	wait := e.origins(ctx, job, looked, len(refs))
	if q.TimeField == TimeStop {
		if err := e.retime(ctx, builds, all); err != nil {
			wait(fc)
			return nil, err
		}
	}
	wait(fc)
	fc.executed = executedQuery(reqs)
	fc.truncated(Listing{Truncated: truncated}, w.Limit)
	frames := data.Frames{}
	for i := range shown {
		all[i] = fc.regress(all[i], q.regressOptions(), shown[i])
	}
	for _, s := range all {
		if len(s.points) > 0 {
			frames = append(frames, fc.seriesFrame(s))
		}
	}
	if len(frames) == 0 {
		fc.info("No build of %s has metric %s in the time range.", job, q.Metric)
		frames = append(frames, fc.emptyFrame(q.Metric))
	}
	return frames, nil
}

// metricSeries reads each named metric, a bounded number at a time.
func (e *Engine) metricSeries(ctx context.Context, job JobRef, names []string, w Window) ([]series, []string, error) {
	out := make([]series, len(names))
	reqs := make([][]string, len(names))
	errs := make([]error, len(names))
	sem := make(chan struct{}, e.concurrency)
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			pts, r, err := e.src.Metric(ctx, job, name, w)
			reqs[i], errs[i] = r, err
			s := series{name: name, points: make([]point, 0, len(pts))}
			for _, p := range pts {
				if s.unit == "" {
					s.unit = p.Unit
				}
				s.points = append(s.points, point{t: p.Timestamp, v: p.Value, build: p.Build})
			}
			out[i] = s
		}()
	}
	wg.Wait()
	var all []string
	for i := range names {
		if errs[i] != nil {
			return nil, nil, errs[i]
		}
		all = append(all, reqs[i]...)
	}
	return out, all, nil
}

// buildAt is a build known by its id and queue time only.
type buildAt struct {
	id int64
	t  time.Time
}

// newestFirst turns the builds behind metric points into Builds, newest first by time (not
// by id: the store's ids are hashes): all of them when their stop times are needed, else
// only the newest MaxOrigins (whose commits are shown).
func newestFirst(refs []buildAt, job JobRef, all bool) []Build {
	slices.SortFunc(refs, func(a, b buildAt) int {
		if c := b.t.Compare(a.t); c != 0 {
			return c
		}
		return cmp.Compare(b.id, a.id)
	})
	n := len(refs)
	if !all {
		n = min(n, MaxOrigins)
	}
	builds := make([]Build, n)
	for i := range builds {
		builds[i] = Build{ID: refs[i].id, Job: job, Finished: true, Timestamp: refs[i].t}
	}
	return builds
}

// retime moves metric points to their build's stop time.
func (e *Engine) retime(ctx context.Context, builds []Build, all []series) error {
	if err := e.src.Complete(ctx, builds); err != nil {
		return err
	}
	stop := make(map[int64]time.Time, len(builds))
	for _, b := range builds {
		if !b.Stop.IsZero() {
			stop[b.ID] = b.Stop
		}
	}
	for i := range all {
		for j, p := range all[i].points {
			if t, ok := stop[p.build]; ok {
				all[i].points[j].t = t
			}
		}
		pts := all[i].points
		sort.SliceStable(pts, func(a, b int) bool { return pts[a].t.Before(pts[b].t) })
	}
	return nil
}

func listOrNone(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	if len(names) > 20 {
		return strings.Join(names[:20], ", ") + ", …"
	}
	return strings.Join(names, ", ")
}
