package hydradb

import (
	"context"
	"strings"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

// jobsSQL takes the builds of the jobset's newest evaluation that added builds (Hydra's
// IndexJobsetEvalsOnJobsetId), the newest build per job. Parameters: project, jobset.
const jobsSQL = `WITH ev AS (
	SELECT id FROM jobsetevals WHERE jobset_id = ` + jobsetID + ` AND hasnewbuilds = 1
	ORDER BY id DESC LIMIT 1)
SELECT DISTINCT ON (b.job) b.job, ` + buildCols + `
FROM jobsetevalmembers m JOIN builds b ON b.id = m.build
WHERE m.eval = (SELECT id FROM ev)
ORDER BY b.job, b.id DESC`

// jobsFinishedSQL takes the jobs of the jobset's newest evaluation that added builds and
// each one's newest finished build in the jobset, which may come from an older evaluation
// (IndexBuildsOnJobsetIdFinishedId). Parameters: project, jobset.
const jobsFinishedSQL = `WITH ev AS (
	SELECT id FROM jobsetevals WHERE jobset_id = ` + jobsetID + ` AND hasnewbuilds = 1
	ORDER BY id DESC LIMIT 1),
names AS (SELECT DISTINCT b.job FROM jobsetevalmembers m JOIN builds b ON b.id = m.build
	WHERE m.eval = (SELECT id FROM ev))
SELECT n.job, ` + buildCols + `
FROM names n CROSS JOIN LATERAL (SELECT * FROM builds x WHERE x.jobset_id = ` + jobsetID + ` AND x.job = n.job
	AND x.finished = 1 ORDER BY x.id DESC LIMIT 1) b
ORDER BY n.job`

// Jobs implements query.JobSource: every job of the jobset's newest evaluation with its
// build there, finished or not, sorted by job name; with finishedOnly, its newest
// finished build, and a job that has none is left out.
func (s *Source) Jobs(ctx context.Context, project, jobset string, finishedOnly bool) ([]query.JobStatus, []string, error) {
	sql, args := jobsSQL, []any{project, jobset}
	if finishedOnly {
		sql = jobsFinishedSQL
	}
	reqs := []string{shown(sql, args...)}
	var out []query.JobStatus
	err := s.read(ctx, "listing the jobs of "+project+":"+jobset, func(ctx context.Context, _ *schema) error {
		out = out[:0]
		sc := newBuildScanner()
		return s.rows(ctx, sql, args, func(r rowScanner) error {
			var name string
			b, err := sc.scan(prefixed{r, &name}, query.JobRef{Project: project, Jobset: jobset})
			b.Job.Job = name
			out = append(out, query.JobStatus{Job: name, Build: b})
			return err
		})
	})
	if err == nil && len(out) == 0 {
		if err = s.checkJobset(ctx, project, jobset); err == nil {
			err = query.Invalidf("jobset %s:%s has no evaluation with builds yet%s", project, jobset,
				map[bool]string{true: ", or no job of its newest one has a finished build", false: ""}[finishedOnly])
		}
	}
	return out, reqs, err
}

// prefixed scans one leading column into first, the rest as the inner scanner expects.
type prefixed struct {
	rowScanner
	first any
}

func (p prefixed) Scan(dest ...any) error {
	return p.rowScanner.Scan(append([]any{p.first}, dest...)...)
}

// Projects lists Hydra's visible projects (hidden = 0), by name.
func (s *Source) Projects(ctx context.Context) ([]query.Item, error) {
	var out []query.Item
	err := s.read(ctx, "listing Hydra's projects", func(ctx context.Context, _ *schema) error {
		out = out[:0]
		return s.rows(ctx, `SELECT name, displayname, coalesce(description, '') FROM projects WHERE hidden = 0 ORDER BY name`,
			nil, func(r rowScanner) error {
				var it query.Item
				err := r.Scan(&it.Value, &it.Label, &it.Description)
				out = append(out, it)
				return err
			})
	})
	return out, err
}

// Jobsets lists a project's jobsets, hidden ones included (Hydra still serves them), by name.
func (s *Source) Jobsets(ctx context.Context, project string) ([]query.Item, error) {
	var out []query.Item
	err := s.read(ctx, "listing the jobsets of "+project, func(ctx context.Context, _ *schema) error {
		out = out[:0]
		return s.rows(ctx, `SELECT name, coalesce(description, ''), type, hidden FROM jobsets WHERE project = $1 ORDER BY name`,
			[]any{project}, func(r rowScanner) error {
				var it query.Item
				var typ, hidden int64
				err := r.Scan(&it.Value, &it.Description, &typ, &hidden)
				var notes []string
				if typ == 1 {
					notes = append(notes, "flake")
				}
				if hidden == 1 {
					notes = append(notes, "hidden")
				}
				if len(notes) > 0 {
					it.Description = strings.TrimPrefix(it.Description+" ("+strings.Join(notes, ", ")+")", " ")
				}
				out = append(out, it)
				return err
			})
	})
	return out, err
}

// JobNames lists the jobs of the jobset's newest evaluation with their latest status.
func (s *Source) JobNames(ctx context.Context, project, jobset string) ([]query.Item, error) {
	jobs, _, err := s.Jobs(ctx, project, jobset, false)
	if err != nil {
		return nil, err
	}
	return query.JobItems(jobs), nil
}

// productNamesSQL lists the named products of the job's five newest finished builds.
const productNamesSQL = `SELECT DISTINCT ON (p.name) p.name, p.type, p.subtype FROM buildproducts p
WHERE p.build IN (SELECT id FROM builds WHERE jobset_id = ` + jobsetID + ` AND job = $3 AND finished = 1
	ORDER BY id DESC LIMIT 5)
AND p.name <> '' ORDER BY p.name, p.build DESC`

// ProductNames lists the products of the job's five newest finished builds by name.
func (s *Source) ProductNames(ctx context.Context, job query.JobRef) ([]query.Item, error) {
	var out []query.Item
	err := s.read(ctx, "listing the products of "+job.String(), func(ctx context.Context, _ *schema) error {
		out = out[:0]
		return s.rows(ctx, productNamesSQL, []any{job.Project, job.Jobset, job.Job}, func(r rowScanner) error {
			var it query.Item
			var typ, sub string
			err := r.Scan(&it.Value, &typ, &sub)
			it.Description = typ + " " + sub
			out = append(out, it)
			return err
		})
	})
	return out, err
}
