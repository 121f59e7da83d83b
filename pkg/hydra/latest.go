package hydra

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

// maxFinishedEvals bounds how far back latest-finished looks for a job whose build in the
// newest evaluation has not finished: the evaluations before it, at most this many, each
// read with one /eval/ID/builds. With the newest evaluation's builds and the first page of
// evaluations (shared with every other walk of the jobset), a jobs query with
// latest-finished asks Hydra at most maxFinishedEvals+2 times. A job none of them built
// to the end is left out.
const maxFinishedEvals = 10

// lastFinished replaces each unfinished build in latest (job name → its build in the
// newest evaluation) by the job's newest finished build in the evaluations before, walked
// newest first, and removes the jobs for which none was found within maxFinishedEvals.
// Evaluations all of whose builds were read already are skipped without a request.
func (s *Source) lastFinished(ctx context.Context, project, jobset string, latest map[string]apiBuild) ([]string, error) {
	seen := map[int64]bool{}
	missing := map[string]bool{}
	for job, b := range latest {
		seen[b.ID] = true
		if b.Finished.V != 1 {
			missing[job] = true
			delete(latest, job)
		}
	}
	if len(missing) == 0 {
		return nil, nil
	}
	release, err := s.turn(ctx, project, jobset)
	if err != nil {
		return nil, err
	}
	// The walk reads the first page of evaluations again (from the cache), which Jobs
	// listed already: its request is not listed twice.
	var evals []apiEval // the newest evaluation, then up to maxFinishedEvals before it
	var reqs []string
	_, err = s.walkEvals(ctx, project, jobset, walkScope{Evals: maxFinishedEvals + 1}, func(ev apiEval) bool {
		evals = append(evals, ev)
		return len(evals) <= maxFinishedEvals
	})
	release()
	if err != nil && !query.IsPartial(err) {
		return reqs, err
	}
	for _, ev := range evals[min(1, len(evals)):] {
		if len(missing) == 0 {
			break
		}
		if !slices.ContainsFunc(ev.Builds, func(id int64) bool { return !seen[id] }) {
			continue
		}
		p := fmt.Sprintf("/eval/%d/builds", ev.ID)
		reqs = append(reqs, "GET "+s.c.URL(p))
		var builds []apiBuild
		if err := s.listing(ctx, p, &builds); err != nil {
			return reqs, err
		}
		for _, b := range builds {
			seen[b.ID] = true
			if cur, ok := latest[b.Job]; missing[b.Job] && b.Finished.V == 1 && (!ok || b.ID > cur.ID) {
				latest[b.Job] = b
			}
		}
		for job := range missing {
			if _, ok := latest[job]; ok {
				delete(missing, job)
			}
		}
	}
	return reqs, nil
}

// LatestBuild implements query.ConstituentSource. The newest build of a job is its build
// in the jobset's newest evaluation (/eval/ID/job/JOB, which redirects to it), else its
// newest finished build; the newest finished build is /api/latestbuilds' first.
func (s *Source) LatestBuild(ctx context.Context, job query.JobRef, finishedOnly bool) (query.Build, []string, error) {
	var reqs []string
	if !finishedOnly {
		release, err := s.turn(ctx, job.Project, job.Jobset)
		if err != nil {
			return query.Build{}, nil, err
		}
		var newest int64
		reqs, err = s.walkEvals(ctx, job.Project, job.Jobset, walkScope{Evals: 1}, func(ev apiEval) bool {
			newest = ev.ID
			return false
		})
		release()
		if err != nil && !query.IsPartial(err) {
			return query.Build{}, reqs, err
		}
		if newest != 0 {
			p := fmt.Sprintf("/eval/%d/job/%s", newest, url.PathEscape(job.Job))
			reqs = append(reqs, "GET "+s.c.URL(p))
			var b apiBuild
			err := s.listing(ctx, p, &b)
			if err == nil {
				return toBuild(b, job), reqs, nil
			}
			if !errors.Is(err, ErrNotFound) {
				return query.Build{}, reqs, err
			}
		}
	}
	p := fmt.Sprintf("/api/latestbuilds?nr=1&project=%s&jobset=%s&job=%s",
		url.QueryEscape(job.Project), url.QueryEscape(job.Jobset), url.QueryEscape(job.Job))
	reqs = append(reqs, "GET "+s.c.URL(p))
	items, err := s.latest(ctx, p, job)
	if err != nil {
		return query.Build{}, reqs, err
	}
	if len(items) == 0 {
		if err := s.checkJobset(ctx, job.Project, job.Jobset); err != nil {
			return query.Build{}, reqs, err
		}
		return query.Build{}, reqs, query.Invalidf("Hydra has no build of %s that %s: check the job name", job,
			map[bool]string{true: "finished", false: "is in the newest evaluation or finished"}[finishedOnly])
	}
	return items[0], reqs, nil
}
