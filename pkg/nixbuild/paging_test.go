package nixbuild_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/nixbuild/nixbuildtest"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

func rangeAround(end time.Time, span time.Duration) backend.TimeRange {
	return backend.TimeRange{From: end.Add(-span), To: end.Add(time.Minute)}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// More builds than one page: every build once, newest first, in the fewest requests.
func TestPagingReadsEveryBuildOnceNewestFirst(t *testing.T) {
	e := newEnv(t, envOpts{pageSize: 100})
	const n = 250
	nixbuildtest.Generate(e.srv, nixbuildtest.GenOptions{N: n})
	l, err := e.src.Builds(context.Background(), query.JobRef{Job: "bench-1.0"}, window(rangeAround(nixbuildtest.DefaultGenEnd, 60*24*time.Hour), n))
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Builds) != n || l.Truncated {
		t.Fatalf("got %d builds (truncated %v), want %d", len(l.Builds), l.Truncated, n)
	}
	seen := map[int64]bool{}
	for i, b := range l.Builds {
		if seen[b.ID] {
			t.Fatalf("build %d listed twice", b.ID)
		}
		seen[b.ID] = true
		if i > 0 && !b.Timestamp.Before(l.Builds[i-1].Timestamp) {
			t.Fatalf("not newest first at %d", i)
		}
	}
	// a name is matched here, so every page is full-sized: 100, 100 (one seen again), 52 < 100
	if reqs := e.srv.Requests(); len(reqs) != 3 || len(l.Requests) != 3 {
		t.Fatalf("want 3 requests, got %d: %v", len(reqs), reqs)
	}
	// one build fewer than there are: cut, and said so
	e2 := newEnv(t, envOpts{pageSize: 100})
	nixbuildtest.Generate(e2.srv, nixbuildtest.GenOptions{N: n})
	l, err = e2.src.Builds(context.Background(), query.JobRef{Job: "bench-1.0"}, window(rangeAround(nixbuildtest.DefaultGenEnd, 60*24*time.Hour), n-1))
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Builds) != n-1 || !l.Truncated || l.Builds[0].Timestamp != nixbuildtest.DefaultGenEnd {
		t.Fatalf("limit %d: got %d builds, truncated %v", n-1, len(l.Builds), l.Truncated)
	}
}

// Builds created in the same instant across a page boundary are neither lost nor repeated.
func TestPagingKeepsBuildsOfOneInstant(t *testing.T) {
	e := newEnv(t, envOpts{pageSize: 10})
	for i := range 3 {
		nixbuildtest.Generate(e.srv, nixbuildtest.GenOptions{N: 12, FirstID: int64(1 + 100*i)})
	}
	l, err := e.src.Builds(context.Background(), query.JobRef{Job: "bench-*"}, window(rangeAround(nixbuildtest.DefaultGenEnd, 24*time.Hour), 1000))
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Builds) != 36 {
		t.Fatalf("got %d builds, want 36", len(l.Builds))
	}
}

func TestFilters(t *testing.T) {
	e := newEnv(t, envOpts{seed: true})
	end := nixbuildtest.DefaultGenEnd
	nixbuildtest.Generate(e.srv, nixbuildtest.GenOptions{N: 20, Name: "app-2.0", Tags: map[string]string{"branch": "main"}})
	nixbuildtest.Generate(e.srv, nixbuildtest.GenOptions{N: 20, Name: "app-2.0", FirstID: 2_000_000, End: end.Add(-time.Minute),
		Tags: map[string]string{"branch": "dev"}})
	nixbuildtest.Generate(e.srv, nixbuildtest.GenOptions{N: 20, Name: "lib-1.0", FirstID: 3_000_000})
	day := rangeAround(end, 24*time.Hour)
	count := func(job query.JobRef, tr backend.TimeRange) int {
		t.Helper()
		l, err := e.src.Builds(context.Background(), job, window(tr, 1000))
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range l.Builds {
			if !(query.Window{From: tr.From, To: tr.To}).Contains(b.Timestamp) {
				t.Fatalf("build %d at %s is outside the window", b.ID, b.Timestamp)
			}
		}
		return len(l.Builds)
	}
	cases := []struct {
		job  query.JobRef
		tr   backend.TimeRange
		want int
	}{
		{query.JobRef{Job: "app-2.0"}, day, 40},
		{query.JobRef{Job: "app-*"}, day, 40},
		{query.JobRef{Job: "*"}, day, 60},
		{query.JobRef{Job: "app-2.0", Tags: "branch:main"}, day, 20},
		{query.JobRef{Job: "*", Tags: "branch:dev"}, day, 20},
		{query.JobRef{Job: "lib-1.0"}, backend.TimeRange{From: end.Add(-45 * time.Minute), To: end}, 5}, // both ends inclusive
		{query.JobRef{Job: seedJob}, seedDay, 2},
		{query.JobRef{Job: "dkrh838n9rkc6xwjd9diimhssihfx5rx-snix-qemu-6.1.0"}, seedDay, 2},
		{query.JobRef{Job: "nothing-*"}, day, 0},
	}
	for _, c := range cases {
		if got := count(c.job, c.tr); got != c.want {
			t.Errorf("%+v: got %d builds, want %d", c.job, got, c.want)
		}
	}
	// what was sent: the tags, the derivation path of a hash-name job, the window's times
	reqs := e.srv.Requests()
	last, _ := url.Parse(reqs[len(reqs)-2])
	q := last.Query()
	if q.Get("derivation_path") != "/nix/store/dkrh838n9rkc6xwjd9diimhssihfx5rx-snix-qemu-6.1.0.drv" ||
		q.Get("create_time_from") != "2022-08-19T00:00:00Z" || q.Get("create_time_to") != "2022-08-20T00:00:00.000001Z" {
		t.Fatalf("hash-name job sent %v", q)
	}
	if !containsAny(reqs, "tags=branch%3Amain") {
		t.Fatalf("the tags were not sent: %v", reqs)
	}
}

func containsAny(list []string, sub string) bool {
	for _, s := range list {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
