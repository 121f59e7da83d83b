package index

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

// jobsSQL names the jobs of a jobset, those recorded and, when project and jobset are
// both given, those of its newest imported evaluation that evaluated, with that
// evaluation's time and the newest build of each (none for a job not built yet), by name.
// Recorded builds have all finished: finishedOnly leaves out the jobs not built yet.
func jobsSQL(project, jobset string, finishedOnly bool) (string, []any) {
	var p params
	where := jobsetWhere(project, jobset, &p)
	ev := `SELECT NULL::bigint AS id, NULL::timestamptz AS time`
	if project != "" && jobset != "" { // jobsetWhere bound project and jobset as $1 and $2
		ev = `SELECT id, time FROM nixci.evals WHERE project = $1 AND jobset = $2 AND NOT implicit ORDER BY time DESC, id DESC LIMIT 1`
	}
	join := `LEFT JOIN LATERAL`
	if finishedOnly {
		join = `JOIN LATERAL`
	}
	return `WITH ev AS (` + ev + `),
names (job) AS (SELECT DISTINCT b.job FROM nixci.builds b WHERE ` + where + `
	UNION SELECT attr FROM nixci.eval_jobs WHERE error = '' AND eval_id = (SELECT id FROM ev))
SELECT n.job, (SELECT time FROM ev), l.* FROM names n ` + join + ` (
	SELECT ` + buildCols + ` FROM nixci.builds b WHERE ` + where + ` AND b.job = n.job` + newestFirst + ` LIMIT 1) l ON true
ORDER BY n.job`, p
}

// Jobs implements query.JobSource: every job of the jobset with its newest build, sorted
// by name. A job of the newest evaluation that was not recorded yet shows as not finished,
// at the evaluation's time; with finishedOnly it is left out.
func (s *Source) Jobs(ctx context.Context, project, jobset string, finishedOnly bool) ([]query.JobStatus, []string, error) {
	sql, args := jobsSQL(project, jobset, finishedOnly)
	reqs := []string{shown(sql, args...)}
	var out []query.JobStatus
	err := s.read(ctx, "listing the jobs of "+project+":"+jobset, func(ctx context.Context) error {
		out = out[:0]
		return s.rows(ctx, sql, args, func(r pgx.Rows) error {
			js, err := scanJob(r)
			if js.Build.Job.Project == "" && js.Build.Job.Jobset == "" {
				js.Build.Job.Project, js.Build.Job.Jobset = project, jobset
			}
			out = append(out, js)
			return err
		})
	})
	if err == nil && len(out) == 0 && project != "" && jobset != "" {
		if err = s.checkJobset(ctx, project, jobset); err == nil {
			err = query.Invalidf("jobset %s:%s has no recorded build and no imported evaluation yet", project, jobset)
		}
	}
	return out, reqs, err
}

// scanJob reads a row of jobsSQL: the job, the evaluation's time, then buildCols, all
// NULL when the job has no build.
func scanJob(r pgx.Rows) (query.JobStatus, error) {
	var js query.JobStatus
	var id *int64
	var proj, set, job, nixName, system, commit *string
	var t, listed *time.Time
	var status *int
	var eval *int64
	err := r.Scan(&js.Job, &listed, &id, &proj, &set, &job, &t, &status, &nixName, &system, &eval, &commit)
	js.Build.Job.Job = js.Job
	if listed != nil {
		js.Build.Timestamp = listed.UTC()
	}
	if err != nil || id == nil {
		return js, err
	}
	js.Build = query.Build{ID: *id, Job: query.JobRef{Project: *proj, Jobset: *set, Job: *job}, Finished: true,
		Status: *status, Timestamp: t.UTC(), Stop: t.UTC(), NixName: *nixName, System: *system}
	return js, nil
}

// Projects implements query.Catalog: the projects of recorded builds and evaluations.
func (s *Source) Projects(ctx context.Context) ([]query.Item, error) {
	return s.names(ctx, "listing the index's projects", `SELECT DISTINCT project FROM nixci.builds WHERE project <> ''
		UNION SELECT project FROM nixci.evals ORDER BY 1`)
}

// Jobsets implements query.Catalog: the project's jobsets of recorded builds and evaluations.
func (s *Source) Jobsets(ctx context.Context, project string) ([]query.Item, error) {
	return s.names(ctx, "listing the jobsets of "+project, `SELECT DISTINCT jobset FROM nixci.builds WHERE project = $1 AND jobset <> ''
		UNION SELECT jobset FROM nixci.evals WHERE project = $1 ORDER BY 1`, project)
}

func (s *Source) names(ctx context.Context, what, sql string, args ...any) ([]query.Item, error) {
	out := []query.Item{} // an empty index lists no names: [] rather than null
	err := s.read(ctx, what, func(ctx context.Context) error {
		out = out[:0]
		return s.rows(ctx, sql, args, func(r pgx.Rows) error {
			var it query.Item
			err := r.Scan(&it.Value)
			out = append(out, it)
			return err
		})
	})
	return out, err
}

// JobNames implements query.Catalog: the jobs of the jobset (or of every jobset, when
// project or jobset is empty, as jobs recorded without them are) with their latest status.
func (s *Source) JobNames(ctx context.Context, project, jobset string) ([]query.Item, error) {
	jobs, _, err := s.Jobs(ctx, project, jobset, false)
	if err != nil {
		return nil, err
	}
	return query.JobItems(jobs), nil
}

// ProductNames implements query.Catalog: the products of the job's newest build that has
// any, with their size and whether their content is kept.
func (s *Source) ProductNames(ctx context.Context, job query.JobRef) ([]query.Item, error) {
	if err := needJob(job); err != nil {
		return nil, err
	}
	var p params
	sql := `SELECT p.name, p.size, EXISTS (SELECT 1 FROM nixci.contents c WHERE c.sha256 = p.sha256)
FROM nixci.products p WHERE p.build_id = (SELECT b.id FROM nixci.builds b WHERE ` + jobWhere(job, &p) + `
	AND EXISTS (SELECT 1 FROM nixci.products x WHERE x.build_id = b.id)` + newestFirst + ` LIMIT 1)
ORDER BY p.nr`
	var out []query.Item
	err := s.read(ctx, "listing the products of "+job.String(), func(ctx context.Context) error {
		out = out[:0]
		return s.rows(ctx, sql, p, func(r pgx.Rows) error {
			var it query.Item
			var size int64
			var kept bool
			err := r.Scan(&it.Value, &size, &kept)
			it.Description = fmt.Sprintf("%d bytes", size)
			if !kept {
				it.Description += ", content not kept"
			}
			out = append(out, it)
			return err
		})
	})
	return out, err
}
