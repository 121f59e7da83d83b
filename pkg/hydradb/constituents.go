package hydradb

import (
	"context"
	"fmt"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

var _ query.ConstituentSource = (*Source)(nil)

// latestSQL takes the job's newest build: the newest finished one and, unless $4 (finished
// only), the newest unfinished one, each a walk of IndexBuildsOnJobsetIdFinishedId, and
// keeps the newer. Parameters: project, jobset, job, finished only.
const latestSQL = `SELECT ` + buildCols + ` FROM (
	(SELECT * FROM builds WHERE jobset_id = ` + jobsetID + ` AND job = $3 AND finished = 1 ORDER BY id DESC LIMIT 1)
	UNION ALL
	(SELECT * FROM builds WHERE jobset_id = ` + jobsetID + ` AND job = $3 AND finished = 0 AND NOT $4::boolean
		ORDER BY id DESC LIMIT 1)
) b ORDER BY b.id DESC LIMIT 1`

// LatestBuild implements query.ConstituentSource: the job's newest build, or its newest
// finished one.
func (s *Source) LatestBuild(ctx context.Context, job query.JobRef, finishedOnly bool) (query.Build, []string, error) {
	args := []any{job.Project, job.Jobset, job.Job, finishedOnly}
	reqs := []string{shown(latestSQL, args...)}
	var out []query.Build
	err := s.read(ctx, "finding the latest build of "+job.String(), func(ctx context.Context, _ *schema) error {
		out = out[:0]
		sc := newBuildScanner()
		return s.rows(ctx, latestSQL, args, func(r rowScanner) error {
			b, err := sc.scan(r, job)
			out = append(out, b)
			return err
		})
	})
	if err != nil {
		return query.Build{}, reqs, err
	}
	if len(out) == 0 {
		if err := s.checkJobset(ctx, job.Project, job.Jobset); err != nil {
			return query.Build{}, reqs, err
		}
		what := "build"
		if finishedOnly {
			what = "finished build"
		}
		return query.Build{}, reqs, query.Invalidf("Hydra has no %s of %s: check the job name", what, job)
	}
	return out[0], reqs, nil
}

// constituentsSQL lists the constituents of an aggregate build (AggregateConstituents'
// primary key) with the project and jobset of each. Parameter: the aggregate's id.
const constituentsSQL = `SELECT j.project, j.name, b.job, ` + buildCols + `
FROM aggregateconstituents a JOIN builds b ON b.id = a.constituent JOIN jobsets j ON j.id = b.jobset_id
WHERE a.aggregate = $1
ORDER BY b.job, b.id`

// Constituents implements query.ConstituentSource from AggregateConstituents: the builds an
// aggregate build depends on, by job name; none when it is not an aggregate.
func (s *Source) Constituents(ctx context.Context, agg query.Build) ([]query.Build, []string, error) {
	args := []any{agg.ID}
	reqs := []string{shown(constituentsSQL, args...)}
	var out []query.Build
	err := s.read(ctx, fmt.Sprintf("listing the constituents of build %d", agg.ID), func(ctx context.Context, _ *schema) error {
		out = out[:0]
		sc := newBuildScanner()
		return s.rows(ctx, constituentsSQL, args, func(r rowScanner) error {
			var job query.JobRef
			b, err := sc.scan(jobScanner{r, &job}, query.JobRef{})
			b.Job = job
			out = append(out, b)
			return err
		})
	})
	return out, reqs, err
}

// jobScanner scans the leading project, jobset and job columns into job, the rest as the
// inner scanner expects.
type jobScanner struct {
	rowScanner
	job *query.JobRef
}

func (j jobScanner) Scan(dest ...any) error {
	return j.rowScanner.Scan(append([]any{&j.job.Project, &j.job.Jobset, &j.job.Job}, dest...)...)
}
