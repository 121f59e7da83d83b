package hydradb_test

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/tidwall/gjson"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/hydra/hydratest"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/testutil"
)

// The compare scenarios of pkg/hydra, read from Hydra's database: 12 builds of
// bench:main:bench, builds 4, 8 and 12 failed, so the newest that succeeded is 11.

// revisionOf is the commit e.generate gives build id of bench:main:bench.
func revisionOf(id int64) string {
	sum := sha1.Sum(fmt.Appendf(nil, "bench/main/bench/%d", id))
	return hex.EncodeToString(sum[:])
}

func benchValue(b hydratest.Build, path string) float64 {
	return gjson.GetBytes(b.Files[b.Products[0].Path], path).Num
}

func TestCompareArtifact(t *testing.T) {
	e := newEnv(t, envOpts{})
	builds := e.generate(hydratest.GenOptions{N: 12, FailFraction: 0.25})
	r := e.run(testutil.Job(map[string]any{"queryType": "compare", "base": "3", "product": "bench.json"}))
	f, cells := testutil.CompareCells(t, r)
	if len(cells) != 4 {
		t.Fatalf("want the 4 numbers of bench.json, got %v", cells)
	}
	for name, c := range cells {
		if !testutil.Is(c[0], benchValue(builds[2], name)) || !testutil.Is(c[1], benchValue(builds[10], name)) {
			t.Errorf("%s: base %v, target %v; want build 3's and build 11's values", name, *c[0], *c[1])
		}
	}
	if got, want := f.Fields[2].Config.DisplayNameFromDS, "build 11 ("+revisionOf(11)[:7]+")"; got != want {
		t.Fatalf("an empty target is the newest build that succeeded: %q, want %q", got, want)
	}
	e.golden("compare_artifact", r)

	r = e.run(testutil.Job(map[string]any{"queryType": "compare", "base": strings.ToUpper(revisionOf(5)[:8]), "target": "9",
		"product": "bench.json", "path": "benchmarks"}))
	f, cells = testutil.CompareCells(t, r)
	c := cells["benchmarks.1.mean"]
	if len(cells) != 2 || !testutil.Is(c[0], benchValue(builds[4], "benchmarks.1.mean")) || !testutil.Is(c[1], benchValue(builds[8], "benchmarks.1.mean")) {
		t.Fatalf("revision of build 5 against build 9 under benchmarks: %v", cells)
	}
	if !strings.HasPrefix(f.Fields[1].Config.DisplayNameFromDS, "build 5 ") {
		t.Fatalf("revision %s resolved to %s", revisionOf(5)[:8], f.Fields[1].Config.DisplayNameFromDS)
	}
}

func TestCompareMetric(t *testing.T) {
	e := newEnv(t, envOpts{})
	builds := e.generate(hydratest.GenOptions{N: 12, FailFraction: 0.25})
	r := e.run(testutil.Job(map[string]any{"queryType": "compare", "base": "2", "target": "9"}))
	f, cells := testutil.CompareCells(t, r)
	if len(cells) != 2 || len(f.Fields) != 6 {
		t.Fatalf("want maxresident and time with units, got %v, %d fields", cells, len(f.Fields))
	}
	for name, c := range cells {
		if !testutil.Is(c[0], builds[1].Metrics[name].Value) || !testutil.Is(c[1], builds[8].Metrics[name].Value) {
			t.Errorf("%s: base %v, target %v; want %v, %v", name, *c[0], *c[1], builds[1].Metrics[name].Value, builds[8].Metrics[name].Value)
		}
	}
	e.golden("compare_metric", r)

	// a build before the time range, found among the job's newest builds, against 11
	end := hydratest.DefaultGenEnd
	r = e.runRange(testutil.Job(map[string]any{"queryType": "compare", "base": "1", "metric": "time"}), end.Add(-3*time.Hour), end)
	_, cells = testutil.CompareCells(t, r)
	if c := cells["time"]; len(cells) != 1 || !testutil.Is(c[0], builds[0].Metrics["time"].Value) || !testutil.Is(c[1], builds[10].Metrics["time"].Value) {
		t.Fatalf("build 1 against build 11: %v", cells)
	}
}

func TestCompareErrors(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.generate(hydratest.GenOptions{N: 12, FailFraction: 0.25})
	for _, c := range []struct {
		q    map[string]any
		want string
	}{
		{map[string]any{"base": "999"}, "build 999 is not a build of bench:main:bench in the time range"},
		{map[string]any{"base": "deadbeef0"}, "revision deadbeef0 matches no build of bench:main:bench in the time range"},
		{map[string]any{}, "compare query needs base"},
		{map[string]any{"base": "12ab"}, "neither a build id (digits) nor a commit revision"},
		{map[string]any{"base": "8", "product": "bench.json"}, "build 8 has no product bench.json"},
	} {
		c.q["queryType"] = "compare"
		r := e.run(testutil.Job(c.q))
		if r.Error == nil || !strings.Contains(r.Error.Error(), c.want) || r.ErrorSource != backend.ErrorSourceDownstream {
			t.Errorf("%v: error %v (%v), want one saying %q", c.q, r.Error, r.ErrorSource, c.want)
		}
	}
}
