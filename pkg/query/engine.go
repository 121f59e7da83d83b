package query

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/cache"
)

// Engine runs queries of the contract against one source. One engine serves all queries
// of a datasource instance and shares its cache between them.
type Engine struct {
	src         Source
	cache       *cache.Cache
	concurrency int
	fullJob     bool
}

// Options configure an Engine.
type Options struct {
	Concurrency int  // builds processed at once (the source bounds its own requests too)
	FullJob     bool // jobs are named project:jobset:job (false for the local store)
}

// NewEngine returns an engine over src that caches extracted values in c.
func NewEngine(src Source, c *cache.Cache, o Options) *Engine {
	if o.Concurrency <= 0 {
		o.Concurrency = 8
	}
	return &Engine{src: src, cache: c, concurrency: o.Concurrency, fullJob: o.FullJob}
}

// Query answers one data query; every failure is a per-query error response.
func (e *Engine) Query(ctx context.Context, dq backend.DataQuery, fromAlert bool) (resp backend.DataResponse) {
	defer func() {
		if r := recover(); r != nil {
			resp = backend.ErrDataResponseWithSource(backend.StatusInternal, backend.ErrorSourcePlugin,
				fmt.Sprintf("internal error in the nixci-artifacts plugin: %v", r))
		}
	}()
	q, w, err := Parse(dq, e.fullJob)
	if err != nil {
		return ErrorResponse(err)
	}
	fc := &frameCtx{buildURL: e.src.BuildURLPrefix(), fromAlert: fromAlert, pointsCap: q.pointsCap}
	var frames data.Frames
	switch q.QueryType {
	case TypeArtifact:
		frames, err = e.artifact(ctx, q, w, fc)
	case TypeMetric:
		frames, err = e.metric(ctx, q, w, fc)
	case TypeBuilds:
		frames, err = e.builds(ctx, q, w, fc)
	case TypeCompare:
		frames, err = e.compare(ctx, q, w, fc)
	case TypeEvals:
		frames, err = e.evals(ctx, q, w, fc)
	case TypeJobs:
		frames, err = e.jobs(ctx, q, fc)
	case TypeAggregate:
		frames, err = e.aggregate(ctx, q, fc)
	}
	if err != nil {
		return ErrorResponse(err)
	}
	return backend.DataResponse{Frames: frames}
}

// listBuilds lists the job's builds for the query's time field: stoptime needs start and
// stop times, and may include builds queued a little before the window.
func (e *Engine) listBuilds(ctx context.Context, q *Query, w Window) (Listing, error) {
	lw := w
	if q.TimeField == TimeStop {
		lw.From = w.From.Add(-7 * 24 * time.Hour)
	}
	l, err := e.src.Builds(ctx, q.JobRef(), lw)
	if err != nil || q.TimeField != TimeStop {
		return l, err
	}
	if err := e.src.Complete(ctx, l.Builds); err != nil {
		return l, err
	}
	kept := l.Builds[:0]
	for _, b := range l.Builds {
		if !b.Stop.IsZero() && w.Contains(b.Stop) {
			kept = append(kept, b)
		}
	}
	sort.SliceStable(kept, func(i, j int) bool { return kept[i].Stop.After(kept[j].Stop) })
	l.Builds = kept
	if len(kept) > w.Limit {
		l.Builds, l.Truncated = kept[:w.Limit], true
	}
	return l, nil
}

// timeOf is the build's time on the x axis.
func timeOf(b Build, field string) time.Time {
	if field == TimeStop && !b.Stop.IsZero() {
		return b.Stop
	}
	return b.Timestamp
}

// MaxOrigins bounds how many builds of one query get their evaluation and commit looked
// up: the newest ones. They serve tooltips and data links, and past a few thousand points a
// series' points overlap at any panel width, while each lookup costs the source (an index
// probe in Hydra's database, a share of an evaluation page over HTTP).
const MaxOrigins = 10_000

// origins resolves evals and revisions of the newest MaxOrigins builds in the background
// while the caller works; total is how many builds the query shows. The caller must not
// change builds until it has called the returned wait.
func (e *Engine) origins(ctx context.Context, job JobRef, builds []Build, total int) func(*frameCtx) {
	if len(builds) > MaxOrigins {
		builds = newestBuilds(builds, MaxOrigins)
	}
	var wg sync.WaitGroup
	var res map[int64]Origin
	var err error
	wg.Add(1)
	go func() {
		defer wg.Done()
		res, err = e.src.Origins(ctx, job, builds)
	}()
	return func(fc *frameCtx) {
		wg.Wait()
		fc.origins = res
		if err != nil && ctx.Err() == nil {
			fc.warn("Evaluations and commits could not be read for these builds: %v", err)
		}
		if total > MaxOrigins {
			fc.info("Evaluations and commits are shown for the newest %d of %d builds; narrow the time range to see them for older ones.",
				MaxOrigins, total)
		}
	}
}

// newestBuilds copies the n builds queued last (ties: the higher id). Listings come
// newest first and are only cut; ids alone do not say which is newest (the store's are
// hashes).
func newestBuilds(builds []Build, n int) []Build {
	if slices.IsSortedFunc(builds, newerFirst) {
		return append([]Build(nil), builds[:n]...)
	}
	out := append([]Build(nil), builds...)
	slices.SortFunc(out, newerFirst)
	return out[:n]
}

// newerFirst orders builds by queue time, newest first, then by id.
func newerFirst(a, b Build) int {
	if c := b.Timestamp.Compare(a.Timestamp); c != 0 {
		return c
	}
	return cmp.Compare(b.ID, a.ID)
}

func (fc *frameCtx) info(format string, args ...any) {
	fc.notices = append(fc.notices, data.Notice{Severity: data.NoticeSeverityInfo, Text: fmt.Sprintf(format, args...)})
}

func (fc *frameCtx) warn(format string, args ...any) {
	fc.notices = append(fc.notices, data.Notice{Severity: data.NoticeSeverityWarning, Text: fmt.Sprintf(format, args...)})
}

// truncated adds the notice that limit (or the panel's Max data points) cut the series.
func (fc *frameCtx) truncated(l Listing, limit int) {
	if l.Truncated && fc.pointsCap {
		fc.info("Showing the newest %s in the time range: the panel draws at most %d points (Max data points). Narrow the time range, or raise Max data points in the query options, to see older ones.",
			plural(limit, "build", "builds"), limit)
		return
	}
	fc.cut(l.Truncated, limit, "build", "builds")
}

// noBuilds explains an empty listing.
func (fc *frameCtx) noBuilds(l Listing, job JobRef) {
	if len(l.Builds) == 0 {
		fc.info("No finished build of %s in the time range. If you expected some, check the job name.", job)
	}
}

// cut adds the notice that limit left out older rows of some kind.
func (fc *frameCtx) cut(cut bool, limit int, one, many string) {
	if cut {
		fc.info("Showing the newest %s in the time range; older ones were left out. Raise limit (now %d) to see more.",
			plural(limit, one, many), limit)
	}
}

// executedQuery joins what a query asked of the source, one request per line, folding
// the per-build requests into one line with a count.
func executedQuery(lines []string) string {
	counts := map[string]int{}
	var order []string
	for _, l := range lines {
		if counts[l] == 0 {
			order = append(order, l)
		}
		counts[l]++
	}
	var b strings.Builder
	for _, l := range order {
		b.WriteString(l)
		if counts[l] > 1 {
			fmt.Fprintf(&b, " (x%d)", counts[l])
		}
		b.WriteByte('\n')
	}
	return strings.TrimSuffix(b.String(), "\n")
}
