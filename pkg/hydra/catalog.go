package hydra

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"time"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

// catalogTTL is how long the editor's pick lists are reused.
const catalogTTL = time.Minute

// Jobs implements query.JobSource: the builds of the jobset's newest evaluation, one per job;
// with finishedOnly, an unfinished one is replaced by the job's newest finished build in
// the evaluations before it (lastFinished, which bounds that walk).
func (s *Source) Jobs(ctx context.Context, project, jobset string, finishedOnly bool) ([]query.JobStatus, []string, error) {
	release, err := s.turn(ctx, project, jobset)
	if err != nil {
		return nil, nil, err
	}
	var newest int64
	reqs, err := s.walkEvals(ctx, project, jobset, walkScope{Evals: 1}, func(ev apiEval) bool {
		newest = ev.ID
		return false
	})
	release()
	if err != nil {
		return nil, reqs, err
	}
	if newest == 0 {
		return nil, reqs, query.Invalidf("jobset %s:%s has no evaluation with builds yet", project, jobset)
	}
	p := fmt.Sprintf("/eval/%d/builds", newest)
	reqs = append(reqs, "GET "+s.c.URL(p))
	var builds []apiBuild
	if err := s.listing(ctx, p, &builds); err != nil {
		return nil, reqs, err
	}
	latest := map[string]apiBuild{}
	for _, b := range builds {
		if cur, ok := latest[b.Job]; !ok || b.ID > cur.ID {
			latest[b.Job] = b
		}
	}
	if finishedOnly {
		more, err := s.lastFinished(ctx, project, jobset, latest)
		if reqs = append(reqs, more...); err != nil {
			return nil, reqs, err
		}
	}
	out := make([]query.JobStatus, 0, len(latest))
	for name, b := range latest {
		out = append(out, query.JobStatus{Job: name, Build: toBuild(b, query.JobRef{Project: project, Jobset: jobset, Job: name})})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Job < out[j].Job })
	return out, reqs, nil
}

// Projects lists Hydra's visible projects.
func (s *Source) Projects(ctx context.Context) ([]query.Item, error) {
	var ps []apiProject
	if err := s.cachedJSON(ctx, "/", catalogTTL, &ps); err != nil {
		return nil, err
	}
	var out []query.Item
	for _, p := range ps {
		if !p.Hidden {
			out = append(out, query.Item{Value: p.Name, Label: p.DisplayName, Description: p.Description})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Value < out[j].Value })
	return out, nil
}

// Jobsets lists a project's jobsets.
func (s *Source) Jobsets(ctx context.Context, project string) ([]query.Item, error) {
	var js []apiJobsetOverview
	if err := s.cachedJSON(ctx, "/api/jobsets?project="+url.QueryEscape(project), catalogTTL, &js); err != nil {
		return nil, err
	}
	out := make([]query.Item, 0, len(js))
	for _, j := range js {
		out = append(out, query.Item{Value: j.Name})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Value < out[j].Value })
	return out, nil
}

// JobNames lists the jobs of a jobset's newest evaluation (Hydra has no JSON job list).
func (s *Source) JobNames(ctx context.Context, project, jobset string) ([]query.Item, error) {
	jobs, _, err := s.Jobs(ctx, project, jobset, false)
	if err != nil {
		return nil, err
	}
	return query.JobItems(jobs), nil
}

// ProductNames lists the products of the job's five newest builds, by name and by path
// inside the output.
func (s *Source) ProductNames(ctx context.Context, job query.JobRef) ([]query.Item, error) {
	builds, err := s.recentBuilds(ctx, job, 5)
	if err != nil {
		return nil, err
	}
	seen := map[string]query.Item{}
	for _, b := range builds {
		for _, p := range b.BuildProducts {
			if p.Name != "" {
				seen[p.Name] = query.Item{Value: p.Name, Description: p.Type + " " + p.Subtype}
			}
		}
	}
	out := make([]query.Item, 0, len(seen))
	for _, it := range seen {
		out = append(out, it)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Value < out[j].Value })
	return out, nil
}
