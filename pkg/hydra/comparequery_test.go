package hydra_test

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/tidwall/gjson"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/hydra/hydratest"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/testutil"
)

// compareHistory is 12 builds of bench:main:bench, builds 4, 8 and 12 failed: the newest
// that succeeded is 11.
func compareHistory(e *env) []hydratest.Build {
	return hydratest.GenerateJob(e.srv, hydratest.GenOptions{N: 12, FailFraction: 0.25})
}

// revisionOf is the commit GenerateJob gives build id of bench:main:bench.
func revisionOf(id int64) string {
	sum := sha1.Sum(fmt.Appendf(nil, "bench/main/bench/%d", id))
	return hex.EncodeToString(sum[:])
}

func TestCompareArtifact(t *testing.T) {
	e := newEnv(t, envOpts{})
	builds := compareHistory(e)
	r := e.run(testutil.Job(map[string]any{"queryType": "compare", "base": "3", "product": "bench.json"}))
	f, cells := testutil.CompareCells(t, r)
	if len(cells) != 4 {
		t.Fatalf("want the 4 numbers of bench.json (names are no numbers), got %v", cells)
	}
	doc3, doc11 := builds[2].Files[builds[2].Products[0].Path], builds[10].Files[builds[10].Products[0].Path]
	for name, c := range cells {
		if !testutil.Is(c[0], gjson.GetBytes(doc3, name).Num) || !testutil.Is(c[1], gjson.GetBytes(doc11, name).Num) {
			t.Errorf("%s: base %v, target %v; want build 3's and build 11's values", name, *c[0], *c[1])
		}
	}
	// an empty target is the newest build that succeeded, 11 (12 failed)
	if got, want := f.Fields[2].Config.DisplayNameFromDS, "build 11 ("+revisionOf(11)[:7]+")"; got != want {
		t.Fatalf("target column is %q, want %q", got, want)
	}
	if f.Fields[1].Config.DisplayNameFromDS != "build 3 ("+revisionOf(3)[:7]+")" || len(f.Fields) != 5 {
		t.Fatalf("base column %q, %d fields", f.Fields[1].Config.DisplayNameFromDS, len(f.Fields))
	}
	e.golden("compare_artifact", r)

	// a subtree by path, the base by revision prefix, the target by id
	r = e.run(testutil.Job(map[string]any{"queryType": "compare", "base": revisionOf(5)[:9], "target": "9",
		"product": "bench.json", "path": "results"}))
	f, cells = testutil.CompareCells(t, r)
	doc5, doc9 := builds[4].Files[builds[4].Products[0].Path], builds[8].Files[builds[8].Products[0].Path]
	c := cells["results.throughput"]
	if len(cells) != 2 || !testutil.Is(c[0], gjson.GetBytes(doc5, "results.throughput").Num) || !testutil.Is(c[1], gjson.GetBytes(doc9, "results.throughput").Num) {
		t.Fatalf("revision of build 5 against build 9 under results: %v", cells)
	}
	if !strings.HasPrefix(f.Fields[1].Config.DisplayNameFromDS, "build 5 ") {
		t.Fatalf("revision %s resolved to %s", revisionOf(5)[:9], f.Fields[1].Config.DisplayNameFromDS)
	}
}

func TestCompareMetric(t *testing.T) {
	e := newEnv(t, envOpts{})
	builds := compareHistory(e)
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
	if f.Fields[5].At(0).(string) != "KiB" || f.Fields[5].At(1).(string) != "s" {
		t.Fatalf("units %v, %v", f.Fields[5].At(0), f.Fields[5].At(1))
	}
	e.golden("compare_metric", r)

	// a glob, and the target empty: build 11
	r = e.run(testutil.Job(map[string]any{"queryType": "compare", "base": "2", "metric": "t*"}))
	_, cells = testutil.CompareCells(t, r)
	if c := cells["time"]; len(cells) != 1 || !testutil.Is(c[1], builds[10].Metrics["time"].Value) {
		t.Fatalf("metric t* against the newest succeeded build: %v", cells)
	}

	// for alert rules: the name (a label) and one number per row, the relative change
	raw, _ := json.Marshal(testutil.Job(map[string]any{"queryType": "compare", "base": "2", "target": "9"}))
	r = e.engine.Query(context.Background(), backend.DataQuery{RefID: "A", JSON: raw, TimeRange: backend.TimeRange{From: rangeFrom, To: rangeTo}}, true)
	testutil.MustOK(t, r)
	f = r.Frames[0]
	var names []string
	for _, fl := range f.Fields {
		names = append(names, fl.Name)
	}
	if strings.Join(names, ",") != "name,relative" {
		t.Fatalf("alert frame fields %v", names)
	}
}

// TestCompareBuildOutsideTheTimeRange: a build id before the dashboard's range is found
// among the job's newest builds; a warm compare asks Hydra nothing.
func TestCompareBuildOutsideTheTimeRange(t *testing.T) {
	e := newEnv(t, envOpts{})
	builds := compareHistory(e)
	end := hydratest.DefaultGenEnd
	q := testutil.Job(map[string]any{"queryType": "compare", "base": "1", "product": "bench.json", "path": "results.throughput"})
	r := e.runRange(q, end.Add(-3*time.Hour), end)
	_, cells := testutil.CompareCells(t, r)
	c := cells["results.throughput"]
	if !testutil.Is(c[0], gjson.GetBytes(builds[0].Files[builds[0].Products[0].Path], "results.throughput").Num) ||
		!testutil.Is(c[1], gjson.GetBytes(builds[10].Files[builds[10].Products[0].Path], "results.throughput").Num) {
		t.Fatalf("build 1 against build 11: %v", cells)
	}
	e.srv.ResetRequests()
	testutil.MustOK(t, e.runRange(q, end.Add(-3*time.Hour), end))
	if n := e.srv.TotalRequests(); n != 0 {
		t.Fatalf("warm compare made %d requests: %v", n, e.srv.Requests())
	}
}

func TestCompareErrors(t *testing.T) {
	e := newEnv(t, envOpts{})
	compareHistory(e)
	for _, c := range []struct {
		q    map[string]any
		want string
	}{
		{map[string]any{"base": "999"}, "build 999 is not a build of bench:main:bench in the time range"},
		{map[string]any{"base": "deadbeef0"}, "revision deadbeef0 matches no build of bench:main:bench in the time range"},
		{map[string]any{"base": "2", "target": "1234567"}, "build 1234567 is not a build of bench:main:bench"},
		{map[string]any{}, "compare query needs base"},
		{map[string]any{"base": "v1.2"}, "neither a build id (digits) nor a commit revision"},
		{map[string]any{"base": "4", "product": "bench.json"}, "build 4 has no product bench.json"},
		{map[string]any{"base": "2", "metric": "nope*"}, "no metric of bench:main:bench matches"},
	} {
		c.q["queryType"] = "compare"
		r := e.run(testutil.Job(c.q))
		if r.Error == nil || !strings.Contains(r.Error.Error(), c.want) || r.ErrorSource != backend.ErrorSourceDownstream {
			t.Errorf("%v: error %v (%v), want one saying %q", c.q, r.Error, r.ErrorSource, c.want)
		}
	}
}
