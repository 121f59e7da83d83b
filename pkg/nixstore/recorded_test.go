package nixstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/record"
)

// testRecord records the build of output p as job, at t, with a kept bench.json whose
// throughput is 100*v (unlike the output's own file) and the metric time = 1000+v.
func testRecord(p, job string, t time.Time, v int) record.Record {
	return record.Record{Job: job, NamedBy: record.NamedByFlag, NixName: nameOf(p),
		Outputs: []record.Output{{Name: "out", Path: p}}, Time: t,
		Products: []record.Artifact{{Name: "bench.json", Path: p + "/bench.json",
			Content: []byte(fmt.Sprintf(`{"results":{"throughput":%d}}`, 100*v))}},
		Metrics: []record.Metric{{Name: "time", Value: record.Float(1000 + v), Unit: "s"}}}
}

func queryOf(q map[string]any) backend.DataQuery {
	raw, _ := json.Marshal(q)
	return backend.DataQuery{RefID: "A", JSON: raw,
		TimeRange: backend.TimeRange{From: time.Now().Add(-24 * time.Hour), To: time.Now().Add(time.Hour)}}
}

func jobOf(l query.Listing) []string {
	var out []string
	for _, b := range l.Builds {
		out = append(out, b.Job.String())
	}
	return out
}

// recordedEnv is a made-up store with recorded builds:
//
//	mybench-0  recorded only (collected before the source started), commit aaa
//	mybench-1  valid, not recorded
//	mybench-2  valid, recorded as p:main:bench, commit aaa, in an imported eval
//	mybench-3  valid, recorded as p:main:bench, commit bbb, failed
type recordedEnv struct {
	st    *synthStore
	src   *Source
	paths []string
	drv2  string
	t0    time.Time
}

func newRecordedEnv(t *testing.T) *recordedEnv {
	st := newSynthStore(t)
	t0 := time.Now().Add(-time.Hour).Truncate(time.Second)
	e := &recordedEnv{st: st, t0: t0}
	e.paths = []string{st.storePath("mybench-0")}
	e.paths = append(e.paths, st.add(bench("mybench-1", t0.Add(1*time.Second), 1), bench("mybench-2", t0.Add(2*time.Second), 2),
		bench("mybench-3", t0.Add(3*time.Second), 3))...)
	e.drv2 = st.storePath("mybench-2.drv")
	j := st.journal()
	recs := []record.Record{testRecord(e.paths[0], "bench", t0, 0), testRecord(e.paths[2], "bench", t0.Add(2500*time.Millisecond), 2),
		testRecord(e.paths[3], "bench", t0.Add(3500*time.Millisecond), 3)}
	recs[0].Commit, recs[1].Commit, recs[2].Commit, recs[2].Status = "aaa", "aaa", "bbb", 1
	recs[1].DrvPath = e.drv2
	recs[1].Products = append(recs[1].Products, record.Artifact{Name: "report", Path: e.paths[2] + "/sub/report.json", Content: []byte(`{"r":2}`)})
	for _, r := range recs {
		r.Project, r.Jobset = "p", "main"
		if err := j.AppendBuild(r); err != nil {
			t.Fatal(err)
		}
	}
	for _, ev := range []record.Eval{
		{Project: "p", Jobset: "main", Commit: "aaa", Time: t0.Add(-time.Minute), Jobs: []record.EvalJob{{Attr: "bench", DrvPath: e.drv2}, {Attr: "broken", Error: "x"}}},
		{Project: "p", Jobset: "main", Commit: "ccc", Time: t0.Add(10 * time.Second), Jobs: []record.EvalJob{{Attr: "docs", DrvPath: "/x.drv"}}},
		{Project: "q", Jobset: "other", Commit: "ddd", Time: t0},
	} {
		if err := j.AppendEval(ev); err != nil {
			t.Fatal(err)
		}
	}
	e.src, _ = st.source(10 * time.Millisecond)
	return e
}

func TestRecordedBuilds(t *testing.T) {
	e := newRecordedEnv(t)
	ctx := context.Background()
	all := listing(t, e.src, query.JobRef{Job: "mybench-*"}, 10)
	if got := fmt.Sprint(jobOf(all)); got != "[p:main:bench p:main:bench mybench-1 p:main:bench]" {
		t.Fatalf("derivation glob: %s", got)
	}
	b3, b2, b0 := all.Builds[0], all.Builds[1], all.Builds[3]
	if b3.ID != BuildID(e.paths[3]) || b3.Status != 1 || !b3.Timestamp.Equal(e.t0.Add(3500*time.Millisecond)) || !b3.Stop.Equal(b3.Timestamp) ||
		b3.NixName != "mybench-3" || b0.ID != BuildID(e.paths[0]) {
		t.Fatalf("recorded builds %+v, %+v", b3, b0)
	}
	for job, want := range map[query.JobRef]int{
		{Job: "bench"}: 3, {Job: "b*"}: 3, {Job: "bench", Project: "p"}: 3, {Job: "bench", Project: "p", Jobset: "main"}: 3,
		{Job: "mybench-*", Project: "p"}: 3, {Job: "bench", Project: "q"}: 0, {Job: "bench", Jobset: "other"}: 0,
	} {
		if l := listing(t, e.src, job, 10); len(l.Builds) != want {
			t.Errorf("%+v: %v, want %d builds", job, jobOf(l), want)
		}
	}

	// Artifacts come from the copies, even while the output is valid, else the output.
	for _, c := range []struct {
		b             query.Build
		product, want string
	}{
		{b2, "bench.json", `{"results":{"throughput":200}}`},
		{b2, "sub/report.json", `{"r":2}`},
		{b0, "bench.json", `{"results":{"throughput":0}}`},
		{all.Builds[2], "bench.json", `{"results":{"throughput":1}}`},
	} {
		if body, err := e.src.Artifact(ctx, c.b, c.product); err != nil || string(body) != c.want {
			t.Errorf("Artifact(%s, %s) = %s, %v; want %s", c.b.NixName, c.product, body, err, c.want)
		}
	}
	if _, err := e.src.Artifact(ctx, b0, "nix-support/hydra-metrics"); !errors.Is(err, query.ErrNoArtifact) {
		t.Errorf("a file of a collected output without a copy: %v", err)
	}

	// Metrics of recorded builds are the record's, of others the output's file.
	pts, _, err := e.src.Metric(ctx, query.JobRef{Job: "mybench-*"}, "time", query.Window{To: time.Now(), Limit: 10})
	var vals []float64
	for _, p := range pts {
		vals = append(vals, p.Value)
	}
	if err != nil || fmt.Sprint(vals) != "[1000 1 1002 1003]" {
		t.Errorf("Metric = %v, %v", vals, err)
	}
	if ns, err := e.src.MetricNames(ctx, query.JobRef{Job: "bench"}); err != nil || fmt.Sprint(ns) != "[time]" {
		t.Errorf("MetricNames = %v, %v", ns, err)
	}
	if items, err := e.src.ProductNames(ctx, query.JobRef{Job: "bench"}); err != nil || len(items) != 1 || items[0].Value != "bench.json" {
		t.Errorf("ProductNames = %v, %v", items, err)
	}
}

func TestRecordedOriginsEvalsJobs(t *testing.T) {
	e := newRecordedEnv(t)
	ctx := context.Background()
	all := listing(t, e.src, query.JobRef{Job: "mybench-*"}, 10)
	origins, err := e.src.Origins(ctx, query.JobRef{}, all.Builds)
	if err != nil {
		t.Fatal(err)
	}
	evals, _, err := e.src.Evals(ctx, "p", "main", query.Window{From: e.t0.Add(-time.Hour), To: time.Now(), Limit: 10})
	if err != nil || len(evals) != 3 {
		t.Fatalf("Evals = %+v, %v", evals, err)
	}
	// Newest first: ccc (imported), bbb (implicit, at its build), aaa (imported).
	ccc, bbb, aaa := evals[0], evals[1], evals[2]
	if ccc.Revision != "ccc" || bbb.Revision != "bbb" || aaa.Revision != "aaa" || aaa.NrBuilds != 1 || bbb.NrBuilds != 1 ||
		!bbb.Timestamp.Equal(e.t0.Add(3500*time.Millisecond)) || bbb.ID != commitEvalID("p", "main", "bbb") || aaa.ID <= 0 || ccc.ID <= 0 {
		t.Fatalf("evals %+v", evals)
	}
	want := map[int64]query.Origin{
		BuildID(e.paths[3]): {Eval: bbb.ID, Revision: "bbb"},
		BuildID(e.paths[2]): {Eval: aaa.ID, Revision: "aaa"}, // its derivation is in eval aaa
		BuildID(e.paths[0]): {Eval: aaa.ID, Revision: "aaa"}, // its commit is
	}
	if fmt.Sprint(origins) != fmt.Sprint(want) {
		t.Fatalf("Origins = %v, want %v", origins, want)
	}
	// The window and the limit.
	if got, _, _ := e.src.Evals(ctx, "p", "main", query.Window{From: e.t0, To: time.Now(), Limit: 1}); len(got) != 2 || got[0].Revision != "ccc" {
		t.Fatalf("Evals limit 1: %+v", got)
	}
	jobs, _, err := e.src.Jobs(ctx, "p", "main", false)
	if err != nil || len(jobs) != 1 || jobs[0].Job != "bench" || jobs[0].Build.ID != BuildID(e.paths[3]) {
		t.Fatalf("Jobs = %+v, %v", jobs, err)
	}
	if _, _, err := e.src.Jobs(ctx, "p", "nope", false); err == nil || !strings.Contains(err.Error(), "knows no build or evaluation of p:nope") {
		t.Fatalf("Jobs of an unknown jobset: %v", err)
	}
	// Known from an eval only: no builds, no error.
	if jobs, _, err := e.src.Jobs(ctx, "q", "other", false); err != nil || len(jobs) != 0 {
		t.Fatalf("Jobs of a jobset with an eval only: %v, %v", jobs, err)
	}

	items := func(its []query.Item, err error) string {
		var out []string
		for _, it := range its {
			out = append(out, it.Value+"="+it.Description)
		}
		return fmt.Sprint(out, err)
	}
	for got, want := range map[string]string{
		items(e.src.Projects(ctx)):              "[p= q=] <nil>",
		items(e.src.Jobsets(ctx, "p")):          "[main=] <nil>",
		items(e.src.JobNames(ctx, "p", "main")): "[bench=failed docs=] <nil>",
		items(e.src.JobNames(ctx, "", "")):      "[bench= docs=] <nil>",
	} {
		if got != want {
			t.Errorf("catalog: %s, want %s", got, want)
		}
	}
}

// History survives nix-collect-garbage: recorded builds stay, with their copies.
func TestRecordedBuildsSurviveGarbageCollection(t *testing.T) {
	e := newRecordedEnv(t)
	listing(t, e.src, query.JobRef{Job: "mybench-*"}, 10)
	e.st.collect(e.paths[1], e.paths[2])
	l := waitListing(t, e.src, query.JobRef{Job: "mybench-*"}, func(l query.Listing) bool { return len(l.Builds) == 3 })
	if got := fmt.Sprint(names(l)); got != "[mybench-3 mybench-2 mybench-0]" {
		t.Fatalf("after collecting mybench-1 and -2: %s", got)
	}
	if body, err := e.src.Artifact(context.Background(), l.Builds[1], "bench.json"); err != nil || !strings.Contains(string(body), "200") {
		t.Fatalf("artifact of a collected recorded build: %s, %v", body, err)
	}
	if _, err := e.src.Artifact(context.Background(), l.Builds[1], "nix-support/hydra-metrics"); !errors.Is(err, query.ErrNoArtifact) {
		t.Fatalf("no copy, output collected: %v", err)
	}
}

// The journal's lines are untrusted: bad ones are skipped, a line being written waits,
// copies must be regular files inside the journal directory.
func TestJournalUntrusted(t *testing.T) {
	st := newSynthStore(t)
	t0 := time.Now().Add(-time.Hour).Truncate(time.Second)
	p := st.add(bench("mybench-1", t0, 1))[0]
	j := st.journal()
	file := filepath.Join(j.Dir(), record.JournalFile)
	appendRaw := func(s string) {
		f, err := os.OpenFile(file, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := f.WriteString(s); err != nil {
			t.Fatal(err)
		}
	}
	line := func(r record.Record) string {
		b, _ := json.Marshal(record.Entry{Version: record.Version, Kind: record.KindBuild, Build: &r})
		return string(b) + "\n"
	}
	outside := testRecord("/etc/mybench-1", "evil", t0, 1)
	outside.Products[0].Content = nil
	escape := testRecord(p, "escape", t0, 1)
	escape.Products = []record.Artifact{{Name: "bench.json", SHA256: "../../../../etc/passwd"},
		{Name: "link.json", SHA256: strings.Repeat("ab", 32)}}
	appendRaw("not json\n" + line(outside) + strings.Repeat("x", maxJournalLine+10) + "\n" + line(escape))
	if err := os.MkdirAll(filepath.Dir(record.CopyPath(j.Dir(), strings.Repeat("ab", 32))), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/passwd", record.CopyPath(j.Dir(), strings.Repeat("ab", 32))); err != nil {
		t.Fatal(err)
	}
	full := line(testRecord(p, "later", t0.Add(time.Second), 7))
	appendRaw(full[:40]) // being written

	src, _ := st.source(10 * time.Millisecond)
	if got := jobOf(listing(t, src, query.JobRef{Job: "*"}, 10)); fmt.Sprint(got) != "[escape]" {
		t.Fatalf("listing %v", got)
	}
	b := listing(t, src, query.JobRef{Job: "escape"}, 1).Builds[0]
	// The bad hash is no copy: the output's file is read instead.
	if body, err := src.Artifact(context.Background(), b, "bench.json"); err != nil || string(body) != `{"results":{"throughput":1}}` {
		t.Fatalf("hash that is a path: %s, %v", body, err)
	}
	if body, err := src.Artifact(context.Background(), b, "link.json"); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("copy linked out of the journal: %s, %v", body, err)
	}
	msg, err := src.Health(context.Background())
	if err != nil || !strings.Contains(msg, "1 recorded builds") || !strings.Contains(msg, "(3 lines skipped)") {
		t.Fatalf("Health = %q, %v", msg, err)
	}
	appendRaw(full[40:])
	waitRefresh(src)
	if got := jobOf(listing(t, src, query.JobRef{Job: "*"}, 10)); fmt.Sprint(got) != "[later]" {
		t.Fatalf("after the line was completed: %v", got)
	}

	// A journal replaced by a shorter one is read again from its start.
	if err := os.Rename(file, file+".old"); err != nil {
		t.Fatal(err)
	}
	appendRaw(line(testRecord(p, "fresh", t0, 1)))
	waitRefresh(src)
	if got := jobOf(listing(t, src, query.JobRef{Job: "*"}, 10)); fmt.Sprint(got) != "[fresh]" {
		t.Fatalf("after the journal was replaced: %v", got)
	}
}
