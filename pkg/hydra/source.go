package hydra

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/cache"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

// Source answers the engine's questions from Hydra's JSON API. What it fetched for finished
// builds and for evaluations is cached for good; listings only briefly.
type Source struct {
	c       *Client
	cache   *cache.Cache
	listTTL time.Duration
	walks   sync.Map // project\x00jobset -> chan struct{}: one evals walk per jobset at a time
}

var (
	_ query.Source     = (*Source)(nil)
	_ query.EvalSource = (*Source)(nil)
	_ query.JobSource  = (*Source)(nil)
	_ query.Catalog    = (*Source)(nil)
)

// NewSource returns a Source over c that caches in ch; listings live for listTTL.
func NewSource(c *Client, ch *cache.Cache, listTTL time.Duration) *Source {
	return &Source{c: c, cache: ch, listTTL: listTTL}
}

// BuildURLPrefix implements query.Source.
func (s *Source) BuildURLPrefix() string { return s.c.URL("/build/") }

func jobPath(j query.JobRef) string {
	return "/job/" + url.PathEscape(j.Project) + "/" + url.PathEscape(j.Jobset) + "/" + url.PathEscape(j.Job)
}

func jobsetPath(project, jobset string) string {
	return "/jobset/" + url.PathEscape(project) + "/" + url.PathEscape(jobset)
}

// maxListing bounds how many builds one listing may ask for while looking back in time.
const maxListing = 4 * query.MaxLimit

// Builds lists the job's finished builds newest first with /api/latestbuilds (Hydra has no
// JSON listing of unfinished builds of a job). When the window lies in the past it asks for
// more builds until the window's start is reached.
func (s *Source) Builds(ctx context.Context, job query.JobRef, w query.Window) (query.Listing, error) {
	var l query.Listing
	for nr := w.Limit + 1; ; nr *= 4 {
		nr = min(nr, maxListing)
		p := fmt.Sprintf("/api/latestbuilds?nr=%d&project=%s&jobset=%s&job=%s", nr,
			url.QueryEscape(job.Project), url.QueryEscape(job.Jobset), url.QueryEscape(job.Job))
		l.Requests = append(l.Requests, "GET "+s.c.URL(p))
		items, err := s.latest(ctx, p, job)
		if err != nil {
			return l, err
		}
		l.Builds = make([]query.Build, 0, min(len(items), w.Limit+1))
		for _, b := range items {
			if w.Contains(b.Timestamp) {
				l.Builds = append(l.Builds, b)
			}
		}
		reachedStart := len(items) < nr || (len(items) > 0 && items[len(items)-1].Timestamp.Before(w.From))
		if len(l.Builds) > w.Limit || reachedStart || nr >= maxListing {
			break
		}
	}
	if len(l.Builds) > w.Limit {
		l.Builds, l.Truncated = l.Builds[:w.Limit], true
	}
	if len(l.Builds) == 0 {
		return l, s.checkJobset(ctx, job.Project, job.Jobset)
	}
	return l, nil
}

// checkJobset explains an empty listing when the jobset does not exist or was renamed
// (Hydra's API finds no builds under a jobset's old name; its pages answer 301).
func (s *Source) checkJobset(ctx context.Context, project, jobset string) error {
	p := jobsetPath(project, jobset)
	v, err := s.cache.Load(ctx, "probe\x00"+p, s.listTTL, func(ctx context.Context) (any, bool, error) {
		status, loc, err := s.c.Probe(ctx, p)
		if err != nil {
			return nil, false, err
		}
		switch {
		case status == http.StatusNotFound:
			return query.Invalidf("Hydra has no jobset %s:%s: check the project and jobset names", project, jobset), true, nil
		case status == http.StatusMovedPermanently:
			to := loc
			if u, err := url.Parse(loc); err == nil {
				if parts := strings.Split(strings.Trim(u.Path, "/"), "/"); len(parts) >= 3 && parts[0] == "jobset" {
					to, _ = url.PathUnescape(parts[2])
				}
			}
			return query.Invalidf("jobset %s:%s was renamed to %s: use the new name", project, jobset, to), true, nil
		}
		return error(nil), true, nil
	})
	if err != nil {
		return nil // the probe only explains; its own failure changes nothing
	}
	if e, _ := v.(error); e != nil {
		return e
	}
	return nil
}

// latest reads one /api/latestbuilds answer, kept decoded for the listing TTL.
func (s *Source) latest(ctx context.Context, path string, job query.JobRef) ([]query.Build, error) {
	v, err := s.cache.Load(ctx, "latest\x00"+path, s.listTTL, func(ctx context.Context) (any, bool, error) {
		var items []apiBuild
		if err := s.c.GetJSON(ctx, path, &items); err != nil {
			return nil, false, err
		}
		out := make(buildList, len(items))
		for i, it := range items {
			out[i] = toBuild(it, job)
		}
		return out, true, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(buildList), nil
}

// buildList is a decoded listing; Size is for the cache.
type buildList []query.Build

func (l buildList) Size() int64 { return int64(len(l)) * 200 }

// listing fetches a short-lived JSON answer through the cache.
func (s *Source) listing(ctx context.Context, path string, v any) error {
	return s.cachedJSON(ctx, path, s.listTTL, v)
}

// cachedJSON fetches a JSON answer and keeps its bytes for ttl; concurrent callers share one request.
func (s *Source) cachedJSON(ctx context.Context, path string, ttl time.Duration, v any) error {
	got, err := s.cache.Load(ctx, "json\x00"+path, ttl, func(ctx context.Context) (any, bool, error) {
		body, _, err := s.c.get(ctx, path, true, maxJSONBytes)
		return body, true, err
	})
	if err != nil {
		return err
	}
	return decodeJSON(s.c.URL(path), got.([]byte), v)
}

func toBuild(it apiBuild, job query.JobRef) query.Build {
	b := query.Build{ID: it.ID, Job: job, Finished: it.Finished.V == 1, Status: int(it.BuildStatus.V),
		Timestamp: unix(it.Timestamp), Start: unix(it.StartTime), Stop: unix(it.StopTime),
		NixName: it.NixName, System: it.System}
	if it.Project != "" {
		b.Job = query.JobRef{Project: it.Project, Jobset: it.Jobset, Job: it.Job}
	}
	if b.Finished && !it.BuildStatus.Set {
		b.Status = 3 // finished without a status: Hydra shows it as aborted
	}
	b.Cached = b.Finished && it.StartTime.Set && it.StartTime.V != 0 && it.StartTime.V == it.StopTime.V
	return b
}

func unix(f flexInt) time.Time {
	if !f.Set || f.V == 0 {
		return time.Time{}
	}
	return time.Unix(f.V, 0).UTC()
}

// build returns /build/ID, cached for good once the build has finished.
func (s *Source) build(ctx context.Context, id int64) (*apiBuild, error) {
	p := fmt.Sprintf("/build/%d", id)
	v, err := s.cache.Load(ctx, "build\x00"+p, 0, func(ctx context.Context) (any, bool, error) {
		var b apiBuild
		if err := s.c.GetJSON(ctx, p, &b); err != nil {
			return nil, false, err
		}
		return &sizedBuild{&b}, b.Finished.V == 1, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*sizedBuild).apiBuild, nil
}

// sizedBuild lets the cache account for a build's JSON.
type sizedBuild struct{ *apiBuild }

func (b *sizedBuild) Size() int64 {
	n := int64(512 + 8*len(b.JobsetEvals))
	for _, p := range b.BuildProducts {
		n += int64(len(p.Path)+len(p.Name)+len(p.DefaultPath)) + 96
	}
	for k := range b.BuildMetrics {
		n += int64(len(k)) + 64
	}
	for _, o := range b.BuildOutputs {
		n += int64(len(o.Path)) + 48
	}
	return n
}

// Complete fetches /build/ID for builds whose start and stop times are unknown.
func (s *Source) Complete(ctx context.Context, builds []query.Build) error {
	return s.each(ctx, len(builds), func(ctx context.Context, i int) error {
		b := &builds[i]
		if !b.Start.IsZero() && !b.Stop.IsZero() {
			return nil
		}
		ab, err := s.build(ctx, b.ID)
		if err != nil {
			return err
		}
		full := toBuild(*ab, b.Job)
		b.Start, b.Stop, b.Cached = full.Start, full.Stop, full.Cached
		if b.NixName == "" {
			b.NixName, b.System = full.NixName, full.System
		}
		return nil
	})
}

// each runs fn for 0..n-1 with the client's concurrency and returns the first error.
func (s *Source) each(ctx context.Context, n int, fn func(context.Context, int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	next := make(chan int)
	for range min(n, cap(s.c.sem)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := fn(ctx, i); err != nil {
					once.Do(func() { first = err; cancel() })
				}
			}
		}()
	}
	for i := 0; i < n && ctx.Err() == nil; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return first
}

// recentBuilds returns the JSON of the job's newest finished builds (at most n).
func (s *Source) recentBuilds(ctx context.Context, job query.JobRef, n int) ([]*apiBuild, error) {
	l, err := s.Builds(ctx, job, query.Window{From: time.Unix(0, 0), To: time.Now().Add(24 * time.Hour), Limit: n})
	if err != nil {
		return nil, err
	}
	out := make([]*apiBuild, len(l.Builds))
	err = s.each(ctx, len(l.Builds), func(ctx context.Context, i int) error {
		b, err := s.build(ctx, l.Builds[i].ID)
		out[i] = b
		return err
	})
	return out, err
}

// MetricNames lists the metric names of the job's five newest builds.
func (s *Source) MetricNames(ctx context.Context, job query.JobRef) ([]string, error) {
	builds, err := s.recentBuilds(ctx, job, 5)
	if err != nil {
		return nil, err
	}
	set := map[string]bool{}
	for _, b := range builds {
		for name := range b.BuildMetrics {
			set[name] = true
		}
	}
	return sortedKeys(set), nil
}

func sortedKeys(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func decodeJSON(u string, body []byte, v any) error {
	if err := json.Unmarshal(body, v); err != nil {
		return &query.UpstreamError{Msg: fmt.Sprintf("Hydra answered %s with JSON of an unexpected shape: %v", u, err), Err: err}
	}
	return nil
}

func trimSlash(s string) string { return strings.Trim(s, "/") }
