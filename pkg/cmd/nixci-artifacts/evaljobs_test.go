package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/record"
)

func TestImportEvalJobsNamesBuildsByAttribute(t *testing.T) {
	dbURL, pass := testDB(t)
	store, dir := t.TempDir(), t.TempDir()
	built := benchOutput(t, store, "patchelf-coverage-0.15.0", 5)
	later := filepath.Join(store, randHex(t, 16)+"-patchelf-0.15.0")
	lines := fmt.Sprintf(`{"attr":"coverage","attrPath":["coverage"],"drvPath":"%[1]s/%[2]s-patchelf-coverage-0.15.0.drv","name":"patchelf-coverage-0.15.0","outputs":{"out":"%[3]s"},"system":"x86_64-linux"}
{"attr":"release","attrPath":["release"],"drvPath":"%[1]s/%[2]s-patchelf-0.15.0.drv","name":"patchelf-0.15.0","outputs":{"out":"%[4]s"},"system":"x86_64-linux"}
{"attr":"broken","attrPath":["broken"],"error":"attribute 'x' missing"}
`, store, randHex(t, 16), built, later)
	jsonl := filepath.Join(t.TempDir(), "eval.jsonl")
	if err := os.WriteFile(jsonl, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"NIXCI_ARTIFACTS_DATABASE_PASSWORD": pass}
	r := runIn(t, env, "import-eval-jobs", "--project", "patchelf", "--jobset", "master", "--commit", "beef01",
		"--store-dir", store, "--dir", dir, "--database", dbURL, jsonl)
	if r.code != 0 || !strings.Contains(r.stdout, "imported 3 jobs of patchelf:master at beef01; 1 already built here were recorded") {
		t.Fatalf("import: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// The post-build-hook later records the second job: it takes the attribute and commit.
	benchOutputAt(t, later, 9)
	h := runIn(t, map[string]string{"NIXCI_ARTIFACTS_DATABASE_PASSWORD": pass, "OUT_PATHS": later},
		"record", "--store-dir", store, "--dir", dir, "--database", dbURL)
	if h.code != 0 || strings.Contains(h.stderr, "retry") {
		t.Fatalf("hook: %s", h.stderr)
	}
	builds := journalBuilds(t, dir)
	if len(builds) != 2 || builds[0].Job != "coverage" || builds[1].Job != "release" || builds[1].Commit != "beef01" ||
		builds[1].NamedBy != record.NamedByEval || builds[1].Project != "patchelf" {
		t.Fatalf("journal: %+v", builds)
	}
	q := runIn(t, env, "query", "--source", "index", "--database", dbURL, "--type", "builds", "--project", "patchelf",
		"--jobset", "master", "--job", "release", "--from", "now-1h", "--format", "csv")
	if rows := csvRows(t, q.stdout); q.code != 0 || len(rows) != 1 || !strings.Contains(q.stdout, "beef01") {
		t.Fatalf("index builds of release:\n%s%s", q.stdout, q.stderr)
	}
	ev := runIn(t, env, "query", "--source", "index", "--database", dbURL, "--type", "evals", "--project", "patchelf",
		"--jobset", "master", "--from", "now-1h", "--format", "csv")
	if ev.code != 0 || !strings.Contains(ev.stdout, "beef01") {
		t.Fatalf("index evals:\n%s%s", ev.stdout, ev.stderr)
	}
	bad := runIn(t, env, "import-eval-jobs", "--project", "patchelf", "--dir", dir, jsonl)
	if bad.code == 0 || !strings.Contains(bad.stderr, "--jobset") {
		t.Fatalf("import without a jobset: exit %d, %s", bad.code, bad.stderr)
	}
}

func TestImportEvalJobsSeedFixtureWithoutIndex(t *testing.T) {
	dir := t.TempDir()
	seed, err := os.ReadFile("../../recorder/testdata/nix-eval-jobs.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	e := &env{stdin: strings.NewReader(string(seed)), stdout: &out, stderr: &out, getenv: func(string) string { return "" }}
	if code := e.importEvalJobs(t.Context(), []string{"--project", "patchelf", "--jobset", "master", "--dir", dir}); code != 0 {
		t.Fatalf("exit %d: %s", code, out.String())
	}
	n := 0
	_, _, err = record.ReadJournal(dir, 0, func(e record.Entry) error {
		if e.Eval == nil || len(e.Eval.Jobs) != 3 || e.Eval.Jobs[2].Attr != "tarball" {
			t.Fatalf("entry %+v", e)
		}
		n++
		return nil
	})
	if err != nil || n != 1 || !strings.Contains(out.String(), "0 already built") {
		t.Fatalf("journal entries %d, err %v, output %s", n, err, out.String())
	}
}

// benchOutputAt writes a bench output at a given path.
func benchOutputAt(t *testing.T, out string, throughput int) {
	t.Helper()
	files := output{
		"bench.json":                       fmt.Sprintf(`{"results":{"throughput":%d}}`, throughput),
		"nix-support/hydra-build-products": "file json " + out + "/bench.json\n",
	}
	for f, body := range files {
		p := filepath.Join(out, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
