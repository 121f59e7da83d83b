package query

import (
	"context"
	"encoding/json"
	"errors"
	"path"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/tidwall/gjson"
)

// validateCompare checks the fields of a compare query besides the job.
func (q *Query) validateCompare() error {
	if q.Base == "" {
		return Invalidf("compare query needs base: the build id (e.g. 1234) or commit revision (at least 7 hex digits) to compare from")
	}
	if err := ValidateBuildRef("base", q.Base); err != nil {
		return err
	}
	if q.Target != "" {
		if err := ValidateBuildRef("target", q.Target); err != nil {
			return err
		}
	}
	if q.Product != "" {
		if strings.HasPrefix(q.Product, "/") || strings.Contains(q.Product, "..") || hasControl(q.Product) {
			return Invalidf("product %q must be a file name or a relative path inside the build output, without '..'", q.Product)
		}
		if q.Path != "" {
			return ValidatePath(q.Path)
		}
	}
	if hasControl(q.Metric) || strings.Contains(q.Metric, "/") {
		return Invalidf("metric name %q may not contain '/' or control characters", q.Metric)
	}
	return nil
}

// compare sets two builds of a job side by side: every number of a product's JSON (with
// product set) or every metric, with the change from base to target.
func (e *Engine) compare(ctx context.Context, q *Query, w Window, fc *frameCtx) (data.Frames, error) {
	r, err := e.newResolver(ctx, q, w)
	if err != nil {
		return nil, err
	}
	base, err := r.resolve(ctx, "base", q.Base, fc)
	if err != nil {
		return nil, err
	}
	target, err := r.resolve(ctx, "target", q.Target, fc)
	if err != nil {
		return nil, err
	}
	if err := r.lookUp(ctx, []Build{base, target}); err != nil && ctx.Err() == nil {
		fc.warn("The commits of the builds could not be read: %v", err)
	}
	newest := ""
	if q.Target == "" {
		newest = ", the newest that succeeded in the time range"
	}
	fc.info("Comparing builds of %s: base %s, target %s%s.", r.jobName(), r.label(base), r.label(target), newest)
	for _, b := range []Build{base, target} {
		if !b.Succeeded() {
			fc.warn("Build %d did not succeed (%s): it may lack products and metrics.", b.ID, StatusText(b))
		}
	}
	var rows []compareRow
	if q.Product != "" {
		rows, err = e.compareArtifacts(ctx, q, base, target, r, fc)
	} else {
		rows, err = e.compareMetrics(ctx, q, base, target, r, fc)
	}
	if err != nil {
		return nil, err
	}
	fc.executed = executedQuery(r.reqs)
	return data.Frames{fc.compareFrame(r.jobName(), rows, r.label(base), r.label(target), q.Product == "")}, nil
}

// compareArtifacts flattens the product's JSON (or the subtree path selects) of both
// builds; the raw documents come through the engine's cache.
func (e *Engine) compareArtifacts(ctx context.Context, q *Query, base, target Build, r *resolver, fc *frameCtx) ([]compareRow, error) {
	sides := make([]Values, 2)
	cut := false
	for i, b := range []Build{base, target} {
		r.reqs = append(r.reqs, e.src.ArtifactURL(b, q.Product))
		doc, err := e.rawArtifact(ctx, b, q.Product)
		if errors.Is(err, ErrNoArtifact) {
			return nil, Invalidf("build %d has no product %s (not produced, or garbage-collected on the server): compare builds that have it", b.ID, q.Product)
		}
		if err != nil {
			return nil, err
		}
		if !json.Valid(doc) {
			return nil, Invalidf("%s of build %d is not valid JSON: only JSON products can be compared", q.Product, b.ID)
		}
		sel := gjson.ParseBytes(doc)
		if q.Path != "" {
			if sel = gjson.GetBytes(doc, q.Path); !sel.Exists() {
				fc.info("Path %s matched nothing in build %d.", q.Path, b.ID)
				continue
			}
		}
		var c bool
		sides[i], c = flatten(sel, q.Path, maxCompareFields)
		cut = cut || c
	}
	rows, c := pairRows(sides[0], sides[1], maxCompareFields)
	if cut || c {
		fc.info("Showing the first %d numeric fields; the documents have more. Set path to the subtree to compare.", maxCompareFields)
	}
	return rows, nil
}

// compareMetrics reads every metric (or those the metric glob matches) over the time
// span of both builds and keeps the two builds' values.
func (e *Engine) compareMetrics(ctx context.Context, q *Query, base, target Build, r *resolver, fc *frameCtx) ([]compareRow, error) {
	if q.Metric != "" {
		if _, err := path.Match(q.Metric, ""); err != nil {
			return nil, Invalidf("metric glob %q is malformed: %v", q.Metric, err)
		}
	}
	all, err := e.src.MetricNames(ctx, r.job)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, n := range all {
		if ok, _ := path.Match(q.Metric, n); ok || q.Metric == "" {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return nil, Invalidf("no metric of %s matches %q (its recent builds have: %s)", r.jobName(), q.Metric, listOrNone(all))
	}
	if len(names) > maxCompareFields {
		names = names[:maxCompareFields]
		fc.info("Showing the first %d metrics; set metric to a glob to choose others.", maxCompareFields)
	}
	mw := r.span(base, target)
	series, reqs, err := e.metricSeries(ctx, r.job, names, mw)
	if err != nil {
		return nil, err
	}
	r.reqs = append(r.reqs, reqs...)
	var rows []compareRow
	for _, s := range series {
		row := compareRow{name: s.name, unit: s.unit}
		for _, p := range s.points {
			if p.build == base.ID && row.base == nil {
				row.base = &p.v
			}
			if p.build == target.ID && row.target == nil {
				row.target = &p.v
			}
		}
		if row.base != nil || row.target != nil {
			rows = append(rows, row)
		}
	}
	sortRows(rows)
	return rows, nil
}

// span is a metric window over both builds' queue times (a second wider each side) whose
// limit admits every build the listings know in it, and a few they do not.
func (r *resolver) span(a, b Build) Window {
	from, to := a.Timestamp, b.Timestamp
	if to.Before(from) {
		from, to = to, from
	}
	w := Window{From: from.Add(-time.Second), To: to.Add(time.Second)}
	seen := map[int64]bool{}
	for _, l := range [][]Build{r.listed, r.wide} {
		for _, x := range l {
			if !seen[x.ID] && w.Contains(x.Timestamp) {
				seen[x.ID] = true
			}
		}
	}
	w.Limit = min(len(seen)+16, MaxLimit)
	return w
}
