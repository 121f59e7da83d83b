package query

import (
	"context"
	"strconv"
	"strings"
	"time"
)

// compareLookback is how many of a job's newest builds, whatever their time, a compare
// query looks through for a build id outside the dashboard's time range (or limit, when
// that is larger): one more listing, as long as the source's page of builds.
const compareLookback = 1_000

// ValidateBuildRef checks a compare query's base or target: a build id (digits) or a
// commit revision, a prefix of at least 7 hex digits.
func ValidateBuildRef(field, ref string) error {
	if isDigits(ref) {
		if id, err := strconv.ParseInt(ref, 10, 64); err == nil && id > 0 {
			return nil
		}
		return Invalidf("%s %s is not a build id: use a number from 1 to %d, or a commit revision", field, ref, int64(1<<63-1))
	}
	if len(ref) < 7 || len(ref) > 64 || strings.Trim(strings.ToLower(ref), "0123456789abcdef") != "" {
		return Invalidf("%s %q is neither a build id (digits) nor a commit revision (at least 7 hex digits, e.g. 3f2a9c1)", field, ref)
	}
	return nil
}

func isDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// resolver finds the builds a compare query names among the job's builds.
type resolver struct {
	e        *Engine
	q        *Query
	w        Window
	job      JobRef
	listed   []Build // the job's builds in the time range, newest first
	wide     []Build // the job's newest builds whatever their time; read when needed
	wideRead bool
	origins  map[int64]Origin
	reqs     []string
}

func (e *Engine) newResolver(ctx context.Context, q *Query, w Window) (*resolver, error) {
	l, err := e.listBuilds(ctx, q, w)
	if err != nil {
		return nil, err
	}
	return &resolver{e: e, q: q, w: w, job: q.JobRef(), listed: l.Builds, origins: map[int64]Origin{}, reqs: l.Requests}, nil
}

// resolve finds the build ref names: "" is the newest succeeded build in the time range;
// digits a build id (also among the job's compareLookback newest builds, and tried as a
// revision when no build has that id); else a revision prefix, matched among the builds
// in the time range. A prefix matching several builds picks the newest that succeeded,
// and says so in fc.
func (r *resolver) resolve(ctx context.Context, field, ref string, fc *frameCtx) (Build, error) {
	if ref == "" {
		for _, b := range r.listed {
			if b.Succeeded() {
				return b, nil
			}
		}
		return Build{}, Invalidf("no build of %s succeeded in the time range: set %s to a build id or revision, or widen the time range", r.jobName(), field)
	}
	if isDigits(ref) {
		id, _ := strconv.ParseInt(ref, 10, 64)
		if b, ok := find(r.listed, id); ok {
			return b, nil
		}
		if len(ref) >= 7 { // all digits may still be a commit
			if b, ok, err := r.byRevision(ctx, field, ref, fc); ok || err != nil {
				return b, err
			}
		}
		if b, ok, err := r.wider(ctx, id); ok || err != nil {
			return b, err
		}
		return Build{}, Invalidf("build %d is not a build of %s in the time range (nor among its newest %d builds): widen the time range or raise limit",
			id, r.jobName(), r.lookback())
	}
	b, ok, err := r.byRevision(ctx, field, strings.ToLower(ref), fc)
	if !ok && err == nil {
		err = Invalidf("revision %s matches no build of %s in the time range: widen the time range or raise limit", ref, r.jobName())
	}
	return b, err
}

func (r *resolver) lookback() int { return min(max(r.w.Limit, compareLookback), MaxLimit) }

// find looks for build id among builds.
func find(builds []Build, id int64) (Build, bool) {
	for _, b := range builds {
		if b.ID == id {
			return b, true
		}
	}
	return Build{}, false
}

// wider looks for build id among the job's newest builds, whatever their time.
func (r *resolver) wider(ctx context.Context, id int64) (Build, bool, error) {
	if !r.wideRead {
		l, err := r.e.src.Builds(ctx, r.job, Window{From: time.Unix(0, 0), To: time.Now().Add(24 * time.Hour), Limit: r.lookback()})
		if err != nil {
			return Build{}, false, err
		}
		r.wide, r.wideRead = l.Builds, true
		r.reqs = append(r.reqs, l.Requests...)
	}
	b, ok := find(r.wide, id)
	return b, ok, nil
}

// byRevision matches a revision prefix against the commits of the builds in the time range.
func (r *resolver) byRevision(ctx context.Context, field, prefix string, fc *frameCtx) (Build, bool, error) {
	if err := r.lookUp(ctx, r.listed); err != nil {
		return Build{}, false, err
	}
	var matches []Build
	commits := map[string]bool{}
	for _, b := range r.listed {
		if o, ok := r.origins[b.ID]; ok && strings.HasPrefix(strings.ToLower(o.Revision), prefix) {
			matches = append(matches, b)
			commits[o.Revision] = true
		}
	}
	if len(matches) == 0 {
		return Build{}, false, nil
	}
	pick, how := matches[0], "the newest"
	for _, b := range matches {
		if b.Succeeded() {
			pick, how = b, "the newest that succeeded"
			break
		}
	}
	if len(matches) > 1 {
		fc.info("The %s revision %s matches %s of %s (%s); comparing build %d, %s.", field, prefix,
			plural(len(matches), "build", "builds"), r.jobName(), plural(len(commits), "commit", "commits"), pick.ID, how)
	}
	return pick, true, nil
}

// lookUp reads the evaluations and commits of the builds not looked up yet, the newest
// MaxOrigins of them.
func (r *resolver) lookUp(ctx context.Context, builds []Build) error {
	var todo []Build
	for _, b := range builds {
		if _, ok := r.origins[b.ID]; !ok {
			todo = append(todo, b)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	if len(todo) > MaxOrigins {
		todo = newestBuilds(todo, MaxOrigins)
	}
	got, err := r.e.src.Origins(ctx, r.job, todo)
	for id, o := range got {
		r.origins[id] = o
	}
	for _, b := range todo {
		if _, ok := r.origins[b.ID]; !ok {
			r.origins[b.ID] = Origin{} // looked up: it has none
		}
	}
	return err
}

// jobName is the job as the query names it: project:jobset:job, or the job alone where
// the source needs nothing more (the local store).
func (r *resolver) jobName() string {
	if r.job.Project == "" && r.job.Jobset == "" {
		return r.job.Job
	}
	return r.job.String()
}

// label names a build in column headers and notices: "build 12 (3f2a9c1)".
func (r *resolver) label(b Build) string {
	if rev := r.origins[b.ID].Revision; rev != "" {
		return "build " + strconv.FormatInt(b.ID, 10) + " (" + rev[:min(7, len(rev))] + ")"
	}
	return "build " + strconv.FormatInt(b.ID, 10)
}
