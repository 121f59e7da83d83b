package nixstore

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/cache"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/record"
)

// The index on the real Nix database (read live through a state directory whose db is a
// link to the real one, so that the journal is the test's own): a new build appears after
// a refresh that reads only its row; nix-store --delete removes plain builds from the
// listing, while a recorded one stays with its artifact from the journal's copy.
func TestStoreIndexRealNix(t *testing.T) {
	requireNix(t)
	state := t.TempDir()
	if err := os.Symlink(filepath.Join(testStateDir(), "db"), filepath.Join(state, "db")); err != nil {
		t.Fatal(err)
	}
	prefix := "mybench-" + uniqueSuffix(t)
	a := buildBench(t, prefix+"-1", 10)
	src, err := NewSource(Options{StoreDir: "/nix/store", StateDir: state, Refresh: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	engine := query.NewEngine(src, cache.New(64<<20), query.Options{FullJob: false})
	job := query.JobRef{Job: prefix + "-*"}
	if got := names(listing(t, src, job, 10)); fmt.Sprint(got) != fmt.Sprintf("[%s]", a.Name) {
		t.Fatalf("first listing %v", got)
	}
	loaded := src.x.rows.Load()

	time.Sleep(1100 * time.Millisecond) // another registration second
	b := buildBench(t, prefix+"-2", 20)
	waitRefresh(src)
	if got := names(listing(t, src, job, 10)); fmt.Sprint(got) != fmt.Sprintf("[%s %s]", b.Name, a.Name) {
		t.Fatalf("after building %s: %v", b.Name, got)
	}
	if loads, read := src.x.loads.Load(), src.x.rows.Load()-loaded; loads != 1 || read != 1 {
		t.Fatalf("%d full loads, %d rows read for one new output; want 1 and 1", loads, read)
	}

	content, err := os.ReadFile(filepath.Join(a.Out, "bench.json"))
	if err != nil {
		t.Fatal(err)
	}
	j, err := record.OpenJournal(record.DefaultDir(state))
	if err != nil {
		t.Fatal(err)
	}
	if err := j.AppendBuild(record.Record{Project: "p", Jobset: "main", Job: "bench", NamedBy: record.NamedByFlag,
		DrvPath: a.Drv, Outputs: []record.Output{{Name: "out", Path: a.Out}}, NixName: a.Name, Commit: "abc", Time: time.Now(),
		Products: []record.Artifact{{Name: "bench.json", Path: a.Out + "/bench.json", Content: content}},
		Metrics:  []record.Metric{{Name: "time", Value: 10, Unit: "s"}}}); err != nil {
		t.Fatal(err)
	}
	runNix(t, "nix-store", "--delete", a.Out, b.Out)
	l := waitListing(t, src, job, func(l query.Listing) bool { return len(l.Builds) == 1 })
	if got := fmt.Sprint(jobOf(l)); got != "[p:main:bench]" || l.Builds[0].ID != BuildID(a.Out) {
		t.Fatalf("after nix-store --delete: %s", got)
	}
	if n := src.x.loads.Load(); n != 2 {
		t.Fatalf("%d full loads after the collection, want 2", n)
	}
	r := engine.Query(context.Background(), queryOf(map[string]any{"queryType": "artifact", "project": "p", "job": "bench",
		"product": "bench.json", "path": "results.throughput"}), false)
	if _, vs := values(t, r); fmt.Sprint(vs) != "[10]" {
		t.Fatalf("artifact of the collected recorded build: %v", vs)
	}
	if rev := r.Frames[0].Fields[4].At(0).(*string); rev == nil || *rev != "abc" {
		t.Fatalf("revision %v", rev)
	}
	r = engine.Query(context.Background(), queryOf(map[string]any{"queryType": "metric", "job": prefix + "-*", "metric": "time"}), false)
	if _, vs := values(t, r); fmt.Sprint(vs) != "[10]" {
		t.Fatalf("metric of the collected recorded build: %v", vs)
	}
}
