package query

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/grafana/grafana-plugin-sdk-go/data"
)

// artifactResult is what one build gave for one product and path; cached for finished builds.
type artifactResult struct {
	values  Values
	missing bool // the build has no such product, or it was garbage-collected
	notJSON bool
	matched bool // the path selected something
}

func (r *artifactResult) Size() int64 { return r.values.Size() + 16 }

// artifact plots the numbers a gjson path selects from a product of every build.
func (e *Engine) artifact(ctx context.Context, q *Query, w Window, fc *frameCtx) (data.Frames, error) {
	lw := w
	if q.Regression {
		lw = lookback(w, q.BaselineBuilds)
	}
	l, err := e.listBuilds(ctx, q, lw)
	if err != nil {
		return nil, err
	}
	read := l.Builds // with regression, also the earlier builds of the baselines
	if q.Regression {
		l = shownListing(l, w, q.TimeField)
	}
	ok, failed := succeeded(l.Builds)
	all := ok
	if q.Regression {
		all, _ = succeeded(read) // ok is its prefix
	}
	wait := e.origins(ctx, q.JobRef(), ok, len(ok))
	results, errs := e.fetchAll(ctx, all, q.Product, q.Path)
	wait(fc)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	reqs := l.Requests
	if len(all) > 0 {
		more := ""
		if len(all) > 1 {
			more = fmt.Sprintf(" and the same for %d more builds", len(all)-1)
		}
		reqs = append(reqs, e.src.ArtifactURL(all[0], q.Product)+more)
	}
	fc.executed = executedQuery(reqs)
	fc.truncated(l, w.Limit)
	fc.noBuilds(l, q.JobRef())
	if failed > 0 {
		fc.info("%s did not succeed and %s no %s.", plural(failed, "build", "builds"), isAre(failed, "has", "have"), q.Product)
	}
	if err := fc.artifactNotices(ok, results[:len(ok)], errs[:len(ok)], q); err != nil {
		return nil, err
	}
	list := groupSeries(all, results, q.TimeField)
	if q.Regression {
		list = fc.regressAll(list, q.regressOptions(), buildsOf(ok))
	}
	if len(list) == 0 {
		return data.Frames{fc.emptyFrame(q.Path)}, nil
	}
	frames := make(data.Frames, 0, len(list))
	for _, s := range list {
		frames = append(frames, fc.seriesFrame(s))
	}
	return frames, nil
}

// succeeded returns the builds that succeeded (builds itself when all did, else a copy)
// and how many finished otherwise.
func succeeded(builds []Build) ([]Build, int) {
	n := 0
	for i := range builds {
		if builds[i].Succeeded() {
			n++
		}
	}
	if n == len(builds) {
		return builds, 0
	}
	ok, failed := make([]Build, 0, n), 0
	for i := range builds {
		if builds[i].Succeeded() {
			ok = append(ok, builds[i])
		} else if builds[i].Finished {
			failed++
		}
	}
	return ok, failed
}

func isAre(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// fetchAll extracts values from every build: cached ones at once, the rest a bounded
// number at a time.
func (e *Engine) fetchAll(ctx context.Context, builds []Build, product, path string) ([]*artifactResult, []error) {
	results := make([]*artifactResult, len(builds))
	errs := make([]error, len(builds))
	suffix := "\x00" + product + "\x00" + path
	e.cache.GetBatch(len(builds), func(i int, buf []byte) []byte {
		return append(strconv.AppendInt(append(buf, "art\x00"...), builds[i].ID, 10), suffix...)
	}, func(i int, v any) { results[i], _ = v.(*artifactResult) })
	var todo []int
	for i := range builds {
		if results[i] == nil {
			todo = append(todo, i)
		}
	}
	if len(todo) == 0 {
		return results, errs
	}
	jobs := make(chan int)
	done := make(chan struct{})
	workers := min(e.concurrency, len(todo))
	for range workers {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range jobs {
				results[i], errs[i] = e.extractOne(ctx, builds[i], product, path)
			}
		}()
	}
	for _, i := range todo {
		if ctx.Err() != nil {
			errs[i] = ctx.Err()
			continue
		}
		jobs <- i
	}
	close(jobs)
	for range workers {
		<-done
	}
	return results, errs
}

// artifactKey is the cache key of one build's extracted values; fetchAll builds the same
// keys in a reused buffer.
func artifactKey(id int64, product, path string) string {
	return "art\x00" + strconv.FormatInt(id, 10) + "\x00" + product + "\x00" + path
}

// extractOne reads one build's product and applies the path, through the cache.
func (e *Engine) extractOne(ctx context.Context, b Build, product, path string) (*artifactResult, error) {
	v, err := e.cache.Load(ctx, artifactKey(b.ID, product, path), 0, func(ctx context.Context) (any, bool, error) {
		doc, err := e.rawArtifact(ctx, b, product)
		if errors.Is(err, ErrNoArtifact) {
			return &artifactResult{missing: true}, b.Finished, nil
		}
		if err != nil {
			return nil, false, err
		}
		if !json.Valid(doc) {
			return &artifactResult{notJSON: true}, b.Finished, nil
		}
		vals, matched := Extract(doc, path)
		return &artifactResult{values: vals, matched: matched}, b.Finished, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*artifactResult), nil
}

// rawArtifact reads a product's bytes once; another path over the same product reuses them.
func (e *Engine) rawArtifact(ctx context.Context, b Build, product string) ([]byte, error) {
	key := fmt.Sprintf("raw\x00%d\x00%s", b.ID, product)
	v, err := e.cache.Load(ctx, key, 0, func(ctx context.Context) (any, bool, error) {
		doc, err := e.src.Artifact(ctx, b, product)
		if err == nil && cap(doc) > len(doc)+len(doc)/8 {
			doc = bytes.Clone(doc) // the cache keeps the whole array: drop the reader's spare room
		}
		return doc, err == nil && b.Finished, err
	})
	if err != nil {
		return nil, err
	}
	return v.([]byte), nil
}

// artifactNotices counts what went wrong per build. A failure of every build is an error
// for the query; a failure of some is a warning, so one bad build does not hide the rest.
func (fc *frameCtx) artifactNotices(builds []Build, results []*artifactResult, errs []error, q *Query) error {
	var missing, notJSON, unmatched, broken int
	var firstErr error
	for i := range builds {
		switch r := results[i]; {
		case errs[i] != nil:
			broken++
			if firstErr == nil {
				firstErr = errs[i]
			}
		case r.missing:
			missing++
		case r.notJSON:
			notJSON++
		case !r.matched:
			unmatched++
		}
	}
	if broken > 0 && broken == len(builds) {
		return firstErr
	}
	if broken > 0 {
		fc.warn("%s could not be read and %s no point: %v", plural(broken, "build", "builds"), isAre(broken, "has", "have"), firstErr)
	}
	if missing > 0 {
		fc.info("%s no product %s (not produced, or garbage-collected on the server) and no point.",
			plural(missing, "build has", "builds have"), q.Product)
	}
	if notJSON > 0 {
		fc.warn("%s a %s that is not valid JSON.", plural(notJSON, "build has", "builds have"), q.Product)
	}
	if unmatched > 0 {
		fc.info("Path %s matched nothing in %s.", q.Path, plural(unmatched, "build", "builds"))
	}
	return nil
}

// groupSeries turns per-build values into series, oldest point first, in the order the
// series first appear in the newest builds.
func groupSeries(builds []Build, results []*artifactResult, timeField string) []series {
	idx := map[string]int{}
	var out []series
	for i := range builds {
		r := results[i]
		if r == nil {
			continue
		}
		b := &builds[i]
		for _, v := range r.values {
			j, ok := idx[v.Series]
			if !ok {
				j = len(out)
				idx[v.Series] = j
				out = append(out, series{name: v.Series, points: make([]point, 0, len(builds)-i)})
			}
			out[j].points = append(out[j].points, point{t: timeOf(*b, timeField), v: v.V, build: b.ID})
		}
	}
	for _, s := range out {
		sortPoints(s.points)
	}
	return out
}

// sortPoints orders points oldest first, keeping the order of equal times. Builds come
// newest first, so the points are usually reversed, which costs one pass.
func sortPoints(ps []point) {
	newestFirst := func(a, b point) int { return b.t.Compare(a.t) }
	if slices.IsSortedFunc(ps, newestFirst) && !hasEqualTimes(ps) {
		slices.Reverse(ps)
		return
	}
	slices.SortStableFunc(ps, func(a, b point) int { return a.t.Compare(b.t) })
}

func hasEqualTimes(ps []point) bool {
	for i := 1; i < len(ps); i++ {
		if ps[i].t.Equal(ps[i-1].t) {
			return true
		}
	}
	return false
}
