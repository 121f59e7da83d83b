package nixbuild

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/cache"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

// Source answers queries from nixbuild.net's builds. A job is a derivation name or glob
// (hello-*), or hash-name for one derivation; project and jobset are not used.
type Source struct {
	c        *Client
	cache    *cache.Cache
	listTTL  time.Duration
	pageSize int
	maxScan  int
}

var _ query.Source = (*Source)(nil)

// SourceOptions tune how listings are read.
type SourceOptions struct {
	ListTTL  time.Duration // how long a listing is shared between queries; default 15 s
	PageSize int           // builds asked per request; default 100
	MaxScan  int           // most builds read for one listing before it is cut; default 50,000
}

// NewSource returns a Source over c that shares listings briefly through ch.
func NewSource(c *Client, ch *cache.Cache, o SourceOptions) *Source {
	if o.ListTTL <= 0 {
		o.ListTTL = 15 * time.Second
	}
	if o.PageSize <= 0 {
		o.PageSize = 100
	}
	if o.MaxScan <= 0 {
		o.MaxScan = 50_000
	}
	if ch == nil {
		ch = cache.New(16 << 20)
	}
	return &Source{c: c, cache: ch, listTTL: o.ListTTL, pageSize: o.PageSize, maxScan: o.MaxScan}
}

// list returns the job's builds in w, at most want, through the cache: the metrics of one
// query share one walk.
func (s *Source) list(ctx context.Context, job query.JobRef, w query.Window, want int) (*page, error) {
	key := fmt.Sprintf("nixbuild\x00%s\x00%s\x00%d\x00%d\x00%d", job.Job, job.Tags, w.From.UnixNano(), w.To.UnixNano(), want)
	v, err := s.cache.Load(ctx, key, s.listTTL, func(ctx context.Context) (any, bool, error) {
		p, err := s.walk(ctx, job, w, want)
		return p, err == nil, err
	})
	if err != nil {
		return nil, err
	}
	return v.(*page), nil
}

// Builds lists the builds created in w whose derivation matches job, newest first.
func (s *Source) Builds(ctx context.Context, job query.JobRef, w query.Window) (query.Listing, error) {
	p, err := s.list(ctx, job, w, w.Limit+1)
	if err != nil {
		return query.Listing{}, err
	}
	bs := p.builds
	truncated := p.more || len(bs) > w.Limit
	if len(bs) > w.Limit {
		bs = bs[:w.Limit]
	}
	return query.Listing{Builds: append([]query.Build(nil), bs...), Truncated: truncated,
		Requests: append([]string(nil), p.reqs...)}, nil
}

// Complete does nothing: nixbuild.net's listing already holds start and stop times.
func (s *Source) Complete(context.Context, []query.Build) error { return nil }

// Artifact fails: nixbuild.net keeps no build outputs to read files from.
func (s *Source) Artifact(context.Context, query.Build, string) ([]byte, error) {
	return nil, query.Invalidf("nixbuild.net serves no build outputs: artifact queries need a source with build outputs (hydra, hydradb, store or index); use metric or builds queries here")
}

// ArtifactURL is empty: there is nothing to download.
func (s *Source) ArtifactURL(query.Build, string) string { return "" }

// Origins knows no evaluations or commits: nixbuild.net does not record them.
func (s *Source) Origins(context.Context, query.JobRef, []query.Build) (map[int64]query.Origin, error) {
	return map[int64]query.Origin{}, nil
}

// BuildURLPrefix is empty: nixbuild.net has no public page per build.
func (s *Source) BuildURLPrefix() string { return "" }

// Health asks for one build and says whether the token can read builds.
func (s *Source) Health(ctx context.Context) (string, error) {
	params := url.Values{"limit": {strconv.Itoa(1)}}
	got, err := s.c.builds(ctx, params)
	if err != nil {
		return "", err
	}
	newest := "no builds yet"
	if len(got) > 0 && got[0].CreateTime != nil {
		newest = "newest build created " + got[0].CreateTime.UTC().Format(time.RFC3339)
	}
	return fmt.Sprintf("Connected to nixbuild.net at %s: the token can read builds (%s).", s.c.base, newest), nil
}
