package hydra_test

import (
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/hydra/hydratest"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/testutil"
)

// What the source asks Hydra for, by request counts: the listing asks for what the window
// needs, and the panel's Max data points bounds a cold query's requests, whatever the size
// of the job's history.

// listingSizes returns the nr= of every /api/latestbuilds request, smallest first.
func listingSizes(t *testing.T, reqs map[string]int) []int {
	t.Helper()
	var out []int
	for key, n := range reqs {
		_, target, _ := strings.Cut(key, " ")
		path, query, _ := strings.Cut(target, "?")
		if path != "/api/latestbuilds" {
			continue
		}
		v, err := url.ParseQuery(query)
		if err != nil {
			t.Fatal(err)
		}
		nr, _ := strconv.Atoi(v.Get("nr"))
		for range n {
			out = append(out, nr)
		}
	}
	for i := 1; i < len(out); i++ { // a handful of values: insertion sort
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// countPrefix counts requests whose target starts with prefix and contains part.
func countPrefix(reqs map[string]int, prefix, part string) int {
	total := 0
	for key, n := range reqs {
		_, target, _ := strings.Cut(key, " ")
		if strings.HasPrefix(target, prefix) && strings.Contains(target, part) {
			total += n
		}
	}
	return total
}

func TestListingAsksForTheLimitPlusOne(t *testing.T) {
	e := newEnv(t, envOpts{})
	hydratest.GenerateJob(e.srv, hydratest.GenOptions{N: 50})
	r := e.run(testutil.Job(map[string]any{"queryType": "artifact", "product": "bench.json", "path": "results.throughput", "limit": 10}))
	testutil.MustOK(t, r)
	if got := listingSizes(t, e.srv.Requests()); !reflect.DeepEqual(got, []int{11}) {
		t.Fatalf("limit 10 listed nr=%v, want [11] (one more than the limit, to know it was cut)", got)
	}
	// The panel's Max data points lowers the limit the listing asks for.
	e2 := newEnv(t, envOpts{})
	hydratest.GenerateJob(e2.srv, hydratest.GenOptions{N: 50})
	r = e2.runPoints(testutil.Job(map[string]any{"queryType": "artifact", "product": "bench.json", "path": "results.throughput", "limit": 40}), 7)
	testutil.MustOK(t, r)
	if got := listingSizes(t, e2.srv.Requests()); !reflect.DeepEqual(got, []int{8}) || r.Frames[0].Rows() != 7 {
		t.Fatalf("Max data points 7 listed nr=%v and drew %d points, want [8] and 7", got, r.Frames[0].Rows())
	}
	if n := countPrefix(e2.srv.Requests(), "/build/", "/download/"); n != 7 {
		t.Fatalf("Max data points 7 downloaded %d artifacts, want 7", n)
	}
}

func TestListingGrowsOnlyUntilTheTimeRangeIsReached(t *testing.T) {
	e := newEnv(t, envOpts{})
	hydratest.GenerateJob(e.srv, hydratest.GenOptions{N: 1000, Interval: time.Hour})
	q := testutil.Job(map[string]any{"queryType": "artifact", "product": "bench.json", "path": "results.throughput", "limit": 5})
	end := hydratest.DefaultGenEnd
	// Builds 200..300 hours before the newest: the 6 newest are after the range, so the
	// listing asks for 4 times more until it reaches the range's builds (at nr=384).
	r := e.runRange(q, end.Add(-300*time.Hour), end.Add(-200*time.Hour))
	testutil.MustOK(t, r)
	if got := listingSizes(t, e.srv.Requests()); !reflect.DeepEqual(got, []int{6, 24, 96, 384}) {
		t.Fatalf("a past range listed nr=%v, want [6 24 96 384]", got)
	}
	if n := countPrefix(e.srv.Requests(), "/build/", "/download/"); n != 5 || r.Frames[0].Rows() != 5 {
		t.Fatalf("a past range downloaded %d artifacts for %d points, want 5 and 5", n, r.Frames[0].Rows())
	}
	// A range at the newest builds needs one listing (on a new source: no cached listing).
	e = newEnv(t, envOpts{})
	hydratest.GenerateJob(e.srv, hydratest.GenOptions{N: 1000, Interval: time.Hour})
	r = e.runRange(q, end.Add(-100*time.Hour), end.Add(time.Hour))
	testutil.MustOK(t, r)
	if got := listingSizes(t, e.srv.Requests()); !reflect.DeepEqual(got, []int{6}) {
		t.Fatalf("a recent range listed nr=%v, want [6]", got)
	}
}

// A cold query of a 10,000-build job drawn in a panel of 100 points costs about 100
// requests, not 10,000: one listing, one download per point, and the evaluation pages
// that tie those points to commits (20 evaluations a page; here one per build).
func TestMaxDataPointsBoundsAColdQuerysRequests(t *testing.T) {
	const n, points = 10_000, 100
	for _, k := range []benchKind{artifactKind, metricKind} {
		e := newEnv(t, envOpts{})
		benchJob(e.srv, n)
		r := e.runPoints(k.query(n), points)
		testutil.MustOK(t, r)
		if r.Frames[0].Rows() != points {
			t.Fatalf("%s: %d points, want %d", k.name, r.Frames[0].Rows(), points)
		}
		reqs := e.srv.Requests()
		var tally requestTally
		tally.add(reqs)
		perPoint := countPrefix(reqs, "/build/", "")
		if tally.repeated != 0 || tally.evalPages > points/20+2 || tally.total > 1+perPoint+tally.evalPages {
			t.Errorf("%s: %+v: requests beyond one listing or metric route, the builds and %d evaluation pages", k.name, tally, points/20+2)
		}
		switch k.name {
		case "artifact":
			if got := listingSizes(t, reqs); !reflect.DeepEqual(got, []int{points + 1}) || perPoint != points {
				t.Errorf("artifact: listed nr=%v and made %d build requests, want [%d] and %d", got, perPoint, points+1, points)
			}
		case "metric": // the metric route takes no count: one request for the whole history
			if tally.metric != 1 || tally.listings != 0 || perPoint != 0 {
				t.Errorf("metric: %+v and %d build requests, want the metric route once and no build", tally, perPoint)
			}
		}
	}
}
