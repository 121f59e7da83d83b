package index

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

// buildCols are the columns every build query selects (alias b), in scanBuild's order.
const buildCols = `b.id, b.project, b.jobset, b.job, ` + restCols

const restCols = `b.time, b.status, b.nix_name, b.system, b.eval_id, b.commit`

// newestFirst orders builds as every listing does; the job indexes hold them so.
const newestFirst = ` ORDER BY b.time DESC, b.id DESC`

// buildsSQL lists a job's builds recorded within a window, newest first, at most limit.
// It walks builds_jobset_job_time (project, jobset, job, time DESC), or builds_job_time
// when project and jobset are not given.
func buildsSQL(job query.JobRef, w query.Window) (string, []any) {
	var p params
	sql := `SELECT ` + listCols(job) + ` FROM nixci.builds b WHERE ` + jobWhere(job, &p) +
		` AND b.time BETWEEN ` + p.add(w.From) + ` AND ` + p.add(w.To) + newestFirst + ` LIMIT ` + p.add(w.Limit+1)
	return sql, p
}

// listCols are buildCols for a listing of job: names the job gives are not read back (NULL).
func listCols(job query.JobRef) string {
	name := func(col string, known bool) string {
		if known {
			return "NULL AS " + col
		}
		return "b." + col
	}
	return "b.id, " + name("project", job.Project != "") + ", " + name("jobset", job.Jobset != "") + ", " +
		name("job", !isGlob(job.Job)) + ", " + restCols
}

// needJob refuses a query without a job name.
func needJob(job query.JobRef) error {
	if job.Job == "" {
		return query.Invalidf("job is empty: name the job as it was recorded (nixci-artifacts record --job), or a glob such as bench-*")
	}
	return nil
}

// Builds implements query.Source: the job's builds recorded within the window, newest
// first. Every build is finished; Timestamp and Stop are the time it was recorded. The
// window is cut from the job's listing kept since the index last changed (see memo.go),
// else read with buildsSQL.
func (s *Source) Builds(ctx context.Context, job query.JobRef, w query.Window) (query.Listing, error) {
	if err := needJob(job); err != nil {
		return query.Listing{}, err
	}
	n, ok, err := s.change(ctx)
	if err != nil {
		return query.Listing{}, err
	}
	if ok {
		l, fresh, err := s.listing(ctx, n, job, w.From)
		if err != nil {
			return query.Listing{}, err
		}
		if out, ok := l.window(w); ok {
			out.Requests = shownFrom(l.read, n, fresh, "b.time", w)
			s.readAhead(out.Builds)
			return out, nil
		}
	}
	sql, args := buildsSQL(job, w)
	l := query.Listing{Requests: []string{shown(sql, args...)}}
	l.Builds, err = s.scanBuilds(ctx, "listing the builds of "+job.String(), sql, args, job, w.Limit+1, nil)
	if err != nil {
		return query.Listing{Requests: l.Requests}, err
	}
	if len(l.Builds) > w.Limit {
		l.Builds, l.Truncated = l.Builds[:w.Limit], true
	}
	s.readAhead(l.Builds)
	return l, nil
}

// scanBuilds runs a listing statement (of listCols) and returns its builds, named after
// job where the statement did not read the names back; it sets origins, unless nil, to
// each build's origin (zero for none). size is the most rows the statement returns.
func (s *Source) scanBuilds(ctx context.Context, what, sql string, args []any, job query.JobRef, size int,
	origins *[]query.Origin) ([]query.Build, error) {
	var out *collector[query.Build]
	var orgs *collector[query.Origin]
	err := s.read(ctx, what, func(ctx context.Context) error {
		out, orgs = newCollector[query.Build](size), newCollector[query.Origin](size)
		var d *buildDecoder
		return s.rows(ctx, sql, args, func(r pgx.Rows) error {
			if d == nil {
				d = newBuildDecoder(r)
			}
			b, o, err := d.decode(r)
			b.Job = named(b.Job, job)
			out.add(b)
			if origins != nil {
				orgs.add(o)
			}
			return err
		})
	})
	if origins != nil {
		*origins = orgs.all()
	}
	return out.all(), err
}

// readAhead tells the artifact reader the order of a listing's succeeded builds, which
// the engine reads artifacts of in that order.
func (s *Source) readAhead(builds []query.Build) {
	ok := make([]int64, 0, len(builds))
	for _, b := range builds {
		if b.Succeeded() {
			ok = append(ok, b.ID)
		}
	}
	s.ahead.listed(ok)
}

// named fills the names a listing did not read back from the query's job.
func named(got, asked query.JobRef) query.JobRef {
	if got.Project == "" {
		got.Project = asked.Project
	}
	if got.Jobset == "" {
		got.Jobset = asked.Jobset
	}
	if got.Job == "" {
		got.Job = asked.Job
	}
	return got
}

// scanBuild reads one row of buildCols (names may be NULL), and the build's origin (zero
// when it has none).
func scanBuild(r pgx.Rows) (query.Build, query.Origin, error) {
	var b query.Build
	var t time.Time
	var eval *int64
	var project, jobset, job *string
	var commit string
	err := r.Scan(&b.ID, &project, &jobset, &job, &t, &b.Status, &b.NixName, &b.System, &eval, &commit)
	b.Finished, b.Timestamp, b.Stop = true, t.UTC(), t.UTC()
	for _, f := range []struct{ dst, src *string }{{&b.Job.Project, project}, {&b.Job.Jobset, jobset}, {&b.Job.Job, job}} {
		if f.src != nil {
			*f.dst = *f.src
		}
	}
	return b, origin(eval, commit), err
}

// origin is a build's evaluation and commit, zero when it has neither.
func origin(eval *int64, commit string) query.Origin {
	o := query.Origin{Revision: commit}
	if eval != nil {
		o.Eval = *eval
	}
	return o
}

// Complete implements query.Source. A recorded build's only time is when it was recorded:
// Stop is set to it (Timestamp), read from the index only for builds known by id alone.
// It writes no other field: the engine reads the builds' IDs concurrently.
func (s *Source) Complete(ctx context.Context, builds []query.Build) error {
	var ids []int64
	for i := range builds {
		b := &builds[i]
		switch {
		case !b.Stop.IsZero():
		case !b.Timestamp.IsZero():
			b.Stop = b.Timestamp
		default:
			ids = append(ids, b.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	times := make(map[int64]time.Time, len(ids))
	err := s.read(ctx, fmt.Sprintf("reading the times of %d builds", len(ids)), func(ctx context.Context) error {
		return s.rows(ctx, `SELECT id, time FROM nixci.builds WHERE id = ANY($1)`, []any{ids}, func(r pgx.Rows) error {
			var id int64
			var t time.Time
			err := r.Scan(&id, &t)
			times[id] = t.UTC()
			return err
		})
	})
	for i := range builds {
		if t, ok := times[builds[i].ID]; ok && builds[i].Stop.IsZero() {
			builds[i].Stop = t
		}
	}
	return err
}
