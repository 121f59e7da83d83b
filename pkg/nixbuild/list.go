package nixbuild

import (
	"cmp"
	"context"
	"net/url"
	"path"
	"slices"
	"strconv"
	"time"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

// matcher selects builds by the name part of their derivation path. A job given as
// hash-name (a derivation's file name without ".drv") names one derivation, which the API
// filters by itself (derivation_path); a name or glob is matched here.
type matcher struct {
	job     string
	drvPath string // pushed down as derivation_path; "" for names and globs
}

func newMatcher(job string) (matcher, error) {
	if job == "" {
		return matcher{}, query.Invalidf("job is empty: give a derivation name such as hello-2.12 or a glob such as hello-*")
	}
	if _, err := path.Match(job, ""); err != nil {
		return matcher{}, query.Invalidf("job glob %q is malformed: %v", job, err)
	}
	m := matcher{job: job}
	if h, _, ok := cutHash(job); ok && !query.IsGlob(job) {
		m.drvPath = "/nix/store/" + h + ".drv"
	}
	return m, nil
}

// cutHash splits "hash-name" into the whole base and the name when it starts with a hash.
func cutHash(s string) (base, name string, ok bool) {
	if len(s) > 33 && s[32] == '-' && isHash(s[:32]) {
		return s, s[33:], true
	}
	return "", "", false
}

// all reports whether every build the API answers matches, so pages need be no larger
// than the builds still wanted.
func (m matcher) all() bool { return m.drvPath != "" || m.job == "*" }

func (m matcher) match(drvPath string) bool {
	if m.drvPath != "" {
		return drvPath == m.drvPath
	}
	ok, _ := path.Match(m.job, drvName(drvPath))
	return ok
}

// page is one listing of the builds of a job in a window: at most want, newest first,
// with the requests made. Shared through the cache: callers copy Builds before changing it.
type page struct {
	builds []query.Build
	more   bool // more builds matched than want, or the scan stopped at maxScan
	reqs   []string
}

// Size approximates the bytes the cache keeps for the page.
func (p *page) Size() int64 {
	n := int64(64 + 200*len(p.builds))
	for _, r := range p.reqs {
		n += int64(len(r)) + 16
	}
	return n
}

// walk reads the builds of job created in w, newest first, until want of them match:
// pages of at most pageSize, each ending (create_time_to, exclusive) just after the oldest
// build of the one before, so builds created in the same instant are seen again rather
// than skipped, and dropped by id. nixbuild.net documents no cursor.
func (s *Source) walk(ctx context.Context, job query.JobRef, w query.Window, want int) (*page, error) {
	m, err := newMatcher(job.Job)
	if err != nil {
		return nil, err
	}
	p := &page{}
	seen := map[int64]bool{}
	to := w.To.Add(time.Microsecond) // the window includes its end; create_time_to excludes it
	ties, scanned := 0, 0
	for {
		ask := s.pageSize
		if m.all() {
			ask = min(ask, want-len(p.builds)+ties)
		}
		params := url.Values{}
		params.Set("create_time_from", isoTime(w.From))
		params.Set("create_time_to", isoTime(to))
		params.Set("limit", strconv.Itoa(ask))
		if job.Tags != "" {
			params.Set("tags", job.Tags)
		}
		if m.drvPath != "" {
			params.Set("derivation_path", m.drvPath)
		}
		p.reqs = append(p.reqs, "GET "+s.c.URL("/builds", params))
		got, err := s.c.builds(ctx, params)
		if err != nil {
			return nil, err
		}
		var oldest time.Time
		fresh := 0
		for i := range got {
			b, ok := got[i].toBuild(job)
			if !ok {
				return nil, notAPI(s.c.URL("/builds", params), "a build has no build_id or create_time")
			}
			if oldest.IsZero() || b.Timestamp.Before(oldest) {
				oldest, ties = b.Timestamp, 0
			}
			if b.Timestamp.Equal(oldest) {
				ties++
			}
			if seen[b.ID] {
				continue
			}
			seen[b.ID] = true
			fresh++
			if w.Contains(b.Timestamp) && m.match(got[i].DerivationPath) {
				p.builds = append(p.builds, b)
			}
		}
		scanned += fresh
		if len(p.builds) >= want || len(got) < ask {
			break
		}
		if scanned >= s.maxScan {
			p.more = true
			break
		}
		next := oldest.Add(time.Microsecond)
		if fresh == 0 { // a whole page created in one instant, all seen: step past it
			next = oldest
		}
		to = next
	}
	slices.SortFunc(p.builds, func(a, b query.Build) int {
		if c := b.Timestamp.Compare(a.Timestamp); c != 0 {
			return c
		}
		return cmp.Compare(b.ID, a.ID)
	})
	if len(p.builds) > want {
		p.builds, p.more = p.builds[:want], true
	}
	return p, nil
}

// isoTime writes t as nixbuild.net writes times: ISO 8601 in UTC, microseconds at most.
func isoTime(t time.Time) string { return t.UTC().Truncate(time.Microsecond).Format(time.RFC3339Nano) }
