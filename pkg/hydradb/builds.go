package hydradb

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

// buildCols are the columns every build query selects, in buildScanner's order.
const buildCols = `b.id, b.finished, b.buildstatus, b.timestamp, b.starttime, b.stoptime, b.nixname, b.system, b.iscachedbuild`

// jobsetID finds the jobset's id from its project and name (Jobsets' primary key).
const jobsetID = `(SELECT id FROM jobsets WHERE project = $1 AND name = $2)`

// buildsSQL lists a job's builds newest first: finished and unfinished builds each walk
// IndexBuildsOnJobsetIdFinishedId (jobset_id, job, finished, id DESC) in order, and the
// two short lists are merged. Parameters: project, jobset, job, from, to, limit.
const buildsSQL = `SELECT ` + buildCols + ` FROM (
	(SELECT * FROM builds WHERE jobset_id = ` + jobsetID + ` AND job = $3 AND finished = 1
		AND timestamp BETWEEN $4::bigint AND $5::bigint ORDER BY id DESC LIMIT $6)
	UNION ALL
	(SELECT * FROM builds WHERE jobset_id = ` + jobsetID + ` AND job = $3 AND finished = 0
		AND timestamp BETWEEN $4::bigint AND $5::bigint ORDER BY id DESC LIMIT $6)
) b ORDER BY b.id DESC LIMIT $6`

// Builds lists the job's builds queued within the window, newest first, unfinished ones
// included (Finished false, no status, no stop time). Start and Stop are filled.
func (s *Source) Builds(ctx context.Context, job query.JobRef, w query.Window) (query.Listing, error) {
	from, to := unixRange(w)
	args := []any{job.Project, job.Jobset, job.Job, from, to, w.Limit + 1}
	l := query.Listing{Requests: []string{shown(buildsSQL, args...)}}
	err := s.read(ctx, "listing the builds of "+job.String(), func(ctx context.Context, _ *schema) error {
		l.Builds = l.Builds[:0]
		sc := newBuildScanner()
		return s.rows(ctx, buildsSQL, planned(args), func(r rowScanner) error {
			b, err := sc.scan(r, job)
			l.Builds = append(l.Builds, b)
			return err
		})
	})
	if err != nil {
		return l, err
	}
	if len(l.Builds) > w.Limit {
		l.Builds, l.Truncated = l.Builds[:w.Limit], true
	}
	if len(l.Builds) == 0 {
		return l, s.checkJobset(ctx, job.Project, job.Jobset)
	}
	return l, nil
}

// buildScanner reads rows of buildCols into one set of variables, so that a long listing
// allocates per row only what it keeps; the name and system, alike in most builds of a
// job, are made into strings only when they change.
type buildScanner struct {
	id, ts, finished            int64
	status, cached, start, stop pgtype.Int8
	nixName, system             pgtype.DriverBytes // valid until the next row
	lastName, lastSystem        string
	dest                        []any
}

func newBuildScanner() *buildScanner {
	s := &buildScanner{}
	s.dest = []any{&s.id, &s.finished, &s.status, &s.ts, &s.start, &s.stop, &s.nixName, &s.system, &s.cached}
	return s
}

// scan reads one row of buildCols.
func (s *buildScanner) scan(r rowScanner, job query.JobRef) (query.Build, error) {
	if err := r.Scan(s.dest...); err != nil {
		return query.Build{}, err
	}
	if string(s.nixName) != s.lastName {
		s.lastName = string(s.nixName)
	}
	if string(s.system) != s.lastSystem {
		s.lastSystem = string(s.system)
	}
	b := query.Build{ID: s.id, Job: job, Finished: s.finished == 1, Timestamp: unix(&s.ts), NixName: s.lastName, System: s.lastSystem}
	if b.Finished {
		b.Start, b.Stop = unixOf(s.start), unixOf(s.stop)
		b.Status = 3 // finished without a status: Hydra shows it as aborted
		if s.status.Valid {
			b.Status = int(s.status.Int64)
		}
		b.Cached = s.cached.Valid && s.cached.Int64 == 1
	}
	return b, nil
}

// unixOf is a nullable time in Unix seconds; NULL and 0 are the zero time.
func unixOf(v pgtype.Int8) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return unix(&v.Int64)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// checkJobset explains an empty answer when the jobset does not exist or was renamed.
func (s *Source) checkJobset(ctx context.Context, project, jobset string) error {
	var exists bool
	var renamed *string
	err := s.read(ctx, "looking up jobset "+project+":"+jobset, func(ctx context.Context, sc *schema) error {
		q := `SELECT EXISTS (SELECT 1 FROM jobsets WHERE project = $1 AND name = $2), NULL::text`
		if sc.hasRenames {
			q = `SELECT EXISTS (SELECT 1 FROM jobsets WHERE project = $1 AND name = $2),
				(SELECT to_ FROM jobsetrenames WHERE project = $1 AND from_ = $2)`
		}
		return s.pool.QueryRow(ctx, q, project, jobset).Scan(&exists, &renamed)
	})
	switch {
	case err != nil || exists:
		return nil // the check only explains; its own failure changes nothing
	case renamed != nil:
		return query.Invalidf("jobset %s:%s was renamed to %s: use the new name", project, jobset, *renamed)
	}
	return query.Invalidf("Hydra has no jobset %s:%s: check the project and jobset names", project, jobset)
}

// completeSQL reads the times of builds the engine knows only by id (metric points).
const completeSQL = `SELECT ` + buildCols + ` FROM builds b WHERE b.id = ANY($1)`

// Complete fills Start, Stop and Cached (and a missing name and system) of builds whose
// times are unknown; builds listed by Builds have them already, so then it asks nothing.
// It writes no other field: the engine reads the builds' IDs concurrently.
func (s *Source) Complete(ctx context.Context, builds []query.Build) error {
	idx := map[int64][]int{}
	var ids []int64
	for i, b := range builds {
		if b.Start.IsZero() || b.Stop.IsZero() {
			if len(idx[b.ID]) == 0 {
				ids = append(ids, b.ID)
			}
			idx[b.ID] = append(idx[b.ID], i)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	return s.read(ctx, fmt.Sprintf("reading the times of %d builds", len(ids)), func(ctx context.Context, _ *schema) error {
		sc := newBuildScanner()
		return s.rows(ctx, completeSQL, []any{ids}, func(r rowScanner) error {
			full, err := sc.scan(r, query.JobRef{})
			for _, i := range idx[full.ID] {
				b := &builds[i]
				b.Start, b.Stop, b.Cached = full.Start, full.Stop, full.Cached
				if b.NixName == "" {
					b.NixName, b.System = full.NixName, full.System
				}
			}
			return err
		})
	})
}
