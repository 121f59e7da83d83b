package nixstore

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/experimental"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/record"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/testutil"
)

// updateCompareGolden rewrites this file's golden frames, only on purpose:
// UPDATE_GOLDEN=1 go test ./pkg/nixstore/ -run TestCompare
var updateCompareGolden = os.Getenv("UPDATE_GOLDEN") == "1"

// compareEnv is a made-up store with four recorded builds of p:main:bench, ten seconds
// apart: build i (1..4) has commit compareCommit(i), a bench.json with throughput 100*i
// and latency i.5, and the metrics time 10*i s and maxresident 1000*i KiB; build 4 failed.
type compareEnv struct {
	st     *synthStore
	engine *query.Engine
	paths  []string // index i-1: build i's output
}

func compareCommit(i int) string { return strings.Repeat(fmt.Sprintf("%d", i), 40) }

func newCompareEnv(t *testing.T) *compareEnv {
	st := newSynthStore(t)
	t0 := time.Now().Add(-time.Hour).Truncate(time.Second)
	e := &compareEnv{st: st}
	j := st.journal()
	for i := 1; i <= 4; i++ {
		p := st.add(bench(fmt.Sprintf("cmpbench-%d", i), t0.Add(time.Duration(10*i)*time.Second), i))[0]
		e.paths = append(e.paths, p)
		r := record.Record{Project: "p", Jobset: "main", Job: "bench", NamedBy: record.NamedByFlag, NixName: nameOf(p),
			Outputs: []record.Output{{Name: "out", Path: p}}, Time: t0.Add(time.Duration(10*i) * time.Second), Commit: compareCommit(i),
			Products: []record.Artifact{{Name: "bench.json", Path: p + "/bench.json",
				Content: fmt.Appendf(nil, `{"results":{"throughput":%d,"latency":%d.5,"host":"x"},"ok":true}`, 100*i, i)}},
			Metrics: []record.Metric{{Name: "time", Value: record.Float(10 * i), Unit: "s"},
				{Name: "maxresident", Value: record.Float(1000 * i), Unit: "KiB"}}}
		if i == 4 {
			r.Status, r.Products, r.Metrics = 1, nil, nil
		}
		if err := j.AppendBuild(r); err != nil {
			t.Fatal(err)
		}
	}
	_, e.engine = st.source(10 * time.Millisecond)
	return e
}

func (e *compareEnv) run(q map[string]any) backend.DataResponse {
	q["queryType"], q["job"] = "compare", "bench"
	raw, _ := json.Marshal(q)
	return e.engine.Query(context.Background(), backend.DataQuery{RefID: "A", JSON: raw,
		TimeRange: backend.TimeRange{From: time.Now().Add(-24 * time.Hour), To: time.Now().Add(time.Hour)}}, false)
}

func (e *compareEnv) id(i int) string { return strconv.FormatInt(BuildID(e.paths[i-1]), 10) }

// golden compares r with testdata/golden/NAME.jsonc, build ids (hashes of the test's
// store paths) written as <build i>. The executed query names the test's directories and
// times: it is checked here and left out of the file.
func (e *compareEnv) golden(t *testing.T, name string, r backend.DataResponse) {
	t.Helper()
	for _, f := range r.Frames {
		if !strings.Contains(f.Meta.ExecutedQueryString, e.st.state) {
			t.Fatalf("the executed query does not name the store's state directory: %s", f.Meta.ExecutedQueryString)
		}
		f.Meta.ExecutedQueryString = "(paths and times of the test's store)"
	}
	for i := range e.paths {
		testutil.HideURL(r.Frames, e.id(i+1), fmt.Sprintf("<build %d>", i+1))
	}
	for _, f := range r.Frames {
		for _, fl := range f.Fields {
			if fl.Config != nil {
				for i := range e.paths {
					fl.Config.DisplayNameFromDS = strings.ReplaceAll(fl.Config.DisplayNameFromDS, e.id(i+1), fmt.Sprintf("<build %d>", i+1))
				}
			}
		}
	}
	experimental.CheckGoldenJSONResponse(t, "testdata/golden", name, &r, updateCompareGolden)
}

func TestCompareArtifact(t *testing.T) {
	e := newCompareEnv(t)
	// base by revision, target empty: build 3 (4 failed)
	r := e.run(map[string]any{"base": compareCommit(1)[:7], "product": "bench.json"})
	f, cells := testutil.CompareCells(t, r)
	if c := cells["results.throughput"]; len(cells) != 2 || !testutil.Is(c[0], 100) || !testutil.Is(c[1], 300) {
		t.Fatalf("throughput of builds 1 and 3: %v", cells)
	}
	if c := cells["results.latency"]; !testutil.Is(c[0], 1.5) || !testutil.Is(c[1], 3.5) {
		t.Fatalf("latency of builds 1 and 3: %v", cells)
	}
	if b, tg := f.Fields[1].Config.DisplayNameFromDS, f.Fields[2].Config.DisplayNameFromDS; b != "build "+e.id(1)+" (1111111)" || tg != "build "+e.id(3)+" (3333333)" {
		t.Fatalf("columns %q and %q", b, tg)
	}
	e.golden(t, "compare_artifact", r)

	// by id, a subtree
	r = e.run(map[string]any{"base": e.id(2), "target": e.id(3), "product": "bench.json", "path": "results.throughput"})
	if _, cells = testutil.CompareCells(t, r); !testutil.Is(cells["results.throughput"][0], 200) || !testutil.Is(cells["results.throughput"][1], 300) {
		t.Fatalf("builds 2 and 3 by id: %v", cells)
	}
}

func TestCompareMetric(t *testing.T) {
	e := newCompareEnv(t)
	r := e.run(map[string]any{"base": e.id(1), "target": compareCommit(2)[:10]})
	f, cells := testutil.CompareCells(t, r)
	if c := cells["time"]; len(cells) != 2 || !testutil.Is(c[0], 10) || !testutil.Is(c[1], 20) {
		t.Fatalf("time of builds 1 and 2: %v", cells)
	}
	if c := cells["maxresident"]; !testutil.Is(c[0], 1000) || !testutil.Is(c[1], 2000) || f.Fields[5].At(0).(string) != "KiB" {
		t.Fatalf("maxresident of builds 1 and 2: %v", cells)
	}
	e.golden(t, "compare_metric", r)
}

func TestCompareErrors(t *testing.T) {
	e := newCompareEnv(t)
	for _, c := range []struct {
		q    map[string]any
		want string
	}{
		{map[string]any{"base": "999"}, "build 999 is not a build of bench in the time range"},
		{map[string]any{"base": "abcdef0"}, "revision abcdef0 matches no build of bench in the time range"},
		{map[string]any{}, "compare query needs base"},
		{map[string]any{"base": "1.5"}, "neither a build id (digits) nor a commit revision"},
		{map[string]any{"base": e.id(2), "product": "nope.json"}, "build " + e.id(2) + " has no product nope.json"},
	} {
		r := e.run(c.q)
		if r.Error == nil || !strings.Contains(r.Error.Error(), c.want) || r.ErrorSource != backend.ErrorSourceDownstream {
			t.Errorf("%v: error %v (%v), want one saying %q", c.q, r.Error, r.ErrorSource, c.want)
		}
	}
}
