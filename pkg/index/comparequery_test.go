package index_test

import (
	"strings"
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/testutil"
)

// Compare queries over the seeded history (e.seed): builds 1..12 of bench, every fourth
// failed, builds 2k-1 and 2k of one commit; build i has throughput 100+i.5, benchmark
// means i and 2i, time 200+i s and maxresident 1000*i KiB.

func TestCompareArtifact(t *testing.T) {
	e := newEnv(t)
	e.seed()
	// commit 3333333 is builds 5 and 6, both succeeded: the newer, 6; the target is 11 (12 failed)
	r := e.run(testutil.Job(map[string]any{"queryType": "compare", "base": commit(5)[:7], "product": "bench.json"}))
	f, cells := testutil.CompareCells(t, r)
	want := map[string][2]float64{"results.throughput": {106.5, 111.5}, "benchmarks.0.mean": {6, 11}, "benchmarks.1.mean": {12, 22}}
	if len(cells) != len(want) {
		t.Fatalf("fields %v, want %v", cells, want)
	}
	for name, w := range want {
		if c := cells[name]; !testutil.Is(c[0], w[0]) || !testutil.Is(c[1], w[1]) {
			t.Errorf("%s: %v, %v; want %v", name, c[0], c[1], w)
		}
	}
	if b, tg := f.Fields[1].Config.DisplayNameFromDS, f.Fields[2].Config.DisplayNameFromDS; b != "build 6 (3333333)" || tg != "build 11 (6666666)" {
		t.Fatalf("columns %q and %q", b, tg)
	}
	if !testutil.HasNotice(r, "The base revision 3333333 matches 2 builds of bench:main:bench (1 commit); comparing build 6, the newest that succeeded.") {
		t.Fatalf("no notice of the ambiguous revision: %+v", f.Meta.Notices)
	}
	e.golden("compare_artifact", r)

	// commit 2222222 is builds 3 and 4; 4 failed: the base is 3
	r = e.run(testutil.Job(map[string]any{"queryType": "compare", "base": commit(3)[:12], "target": "9", "product": "bench.json", "path": "results"}))
	f, cells = testutil.CompareCells(t, r)
	if c := cells["results.throughput"]; len(cells) != 1 || !testutil.Is(c[0], 103.5) || !testutil.Is(c[1], 109.5) || !strings.HasPrefix(f.Fields[1].Config.DisplayNameFromDS, "build 3 ") {
		t.Fatalf("revision of builds 3 and 4 against build 9: %v", cells)
	}
}

func TestCompareMetric(t *testing.T) {
	e := newEnv(t)
	e.seed()
	r := e.run(testutil.Job(map[string]any{"queryType": "compare", "base": "2", "target": "7"}))
	f, cells := testutil.CompareCells(t, r)
	if c := cells["time"]; len(cells) != 2 || !testutil.Is(c[0], 202) || !testutil.Is(c[1], 207) {
		t.Fatalf("time of builds 2 and 7: %v", cells)
	}
	if c := cells["maxresident"]; !testutil.Is(c[0], 2000) || !testutil.Is(c[1], 7000) || f.Fields[4].At(0).(*float64) == nil || *f.Fields[4].At(0).(*float64) != 2.5 {
		t.Fatalf("maxresident of builds 2 and 7, +250%%: %v", cells)
	}
	e.golden("compare_metric", r)

	// a failed base has no metrics: its column is null, and a warning says why
	r = e.run(testutil.Job(map[string]any{"queryType": "compare", "base": "4", "metric": "time"}))
	_, cells = testutil.CompareCells(t, r)
	if c := cells["time"]; c[0] != nil || !testutil.Is(c[1], 211) || !testutil.HasNotice(r, "Build 4 did not succeed (failed)") {
		t.Fatalf("failed build 4 against 11: %v", cells)
	}
}

func TestCompareErrors(t *testing.T) {
	e := newEnv(t)
	e.seed()
	for _, c := range []struct {
		q    map[string]any
		want string
	}{
		{map[string]any{"base": "999"}, "build 999 is not a build of bench:main:bench in the time range"},
		{map[string]any{"base": "abcdef0"}, "revision abcdef0 matches no build of bench:main:bench in the time range"},
		{map[string]any{}, "compare query needs base"},
		{map[string]any{"base": "1", "target": "-3"}, "neither a build id (digits) nor a commit revision"},
		{map[string]any{"base": "5", "product": "bench.json"}, "build 5 has no product bench.json"},
	} {
		c.q["queryType"] = "compare"
		r := e.run(testutil.Job(c.q))
		if r.Error == nil || !strings.Contains(r.Error.Error(), c.want) || r.ErrorSource != backend.ErrorSourceDownstream {
			t.Errorf("%v: error %v (%v), want one saying %q", c.q, r.Error, r.ErrorSource, c.want)
		}
	}
}
