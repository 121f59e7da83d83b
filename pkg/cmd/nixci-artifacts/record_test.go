package main

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/record"
)

// csvRows parses `query --format csv` output into rows keyed by column name.
func csvRows(t *testing.T, out string) []map[string]string {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(recs) == 0 {
		t.Fatalf("query printed no CSV: %v\n%s", err, out)
	}
	var rows []map[string]string
	for _, r := range recs[1:] {
		m := map[string]string{}
		for i, c := range recs[0] {
			m[c] = r[i]
		}
		rows = append(rows, m)
	}
	return rows
}

func journalBuilds(t *testing.T, dir string) []record.Record {
	t.Helper()
	var out []record.Record
	_, bad, err := record.ReadJournal(dir, 0, func(e record.Entry) error {
		if e.Build != nil {
			out = append(out, *e.Build)
		}
		return nil
	})
	if err != nil || bad != 0 {
		t.Fatalf("journal %s: %d bad lines, %v", dir, bad, err)
	}
	return out
}

func TestRecordWithNoEnvironmentNeverFails(t *testing.T) {
	dir := t.TempDir()
	r := runProc(t, map[string]string{}, "record", "--dir", dir)
	if r.code != 0 || !strings.Contains(r.stderr, "nothing to record") {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	r = runProc(t, map[string]string{}, "record", "--no-such-flag")
	if r.code != 0 || !strings.Contains(r.stderr, "not recorded") {
		t.Fatalf("a bad flag: exit %d, stderr %q", r.code, r.stderr)
	}
	for drv, want := range map[string]string{"/etc/passwd": "not in the Nix store", "/nix/store/garbage.drv": "no such file"} {
		r = runProc(t, map[string]string{"DRV_PATH": drv, "OUT_PATHS": "/etc"}, "record", "--dir", dir)
		if r.code != 0 || !strings.Contains(r.stderr, want) {
			t.Fatalf("garbage hook environment: exit %d, stderr %q", r.code, r.stderr)
		}
	}
	if got := journalBuilds(t, dir); len(got) != 0 {
		t.Fatalf("recorded %d builds from nothing", len(got))
	}
}

func TestRecordIntoIndexAndQuery(t *testing.T) {
	dbURL, pass := testDB(t)
	store, dir := t.TempDir(), t.TempDir()
	env := map[string]string{"NIXCI_ARTIFACTS_DATABASE_PASSWORD": pass, "GITHUB_SHA": "c0ffee1"}
	for i, tp := range []int{10, 20, 30} {
		out := benchOutput(t, store, fmt.Sprintf("mybench-1.%d", i), tp)
		env["GITHUB_SHA"] = fmt.Sprintf("c0ffee%d", i)
		r := runIn(t, env, "record", "--store-dir", store, "--dir", dir, "--database", dbURL,
			"--project", "demo", "--jobset", "main", link(t, out))
		if r.code != 0 || !strings.Contains(r.stderr, "demo") && !strings.Contains(r.stderr, "mybench") || strings.Contains(r.stderr, "retry") {
			t.Fatalf("record: exit %d\n%s", r.code, r.stderr)
		}
		if strings.Contains(r.stderr, pass) {
			t.Fatal("the password was logged")
		}
	}
	q := runIn(t, env, "query", "--source", "index", "--database", dbURL, "--job", "mybench", "--product", "bench.json",
		"--path", "results.throughput", "--from", "now-1h", "--format", "csv")
	if q.code != 0 {
		t.Fatalf("query: exit %d\n%s", q.code, q.stderr)
	}
	rows := csvRows(t, q.stdout)
	if len(rows) != 3 {
		t.Fatalf("query gave %d rows:\n%s", len(rows), q.stdout)
	}
	if !strings.Contains(q.stdout, "c0ffee2") || !strings.Contains(q.stdout, ",30") {
		t.Fatalf("series lacks the last build's value or commit:\n%s", q.stdout)
	}
	// The same builds are in the local journal, named by derivation, with their commits.
	builds := journalBuilds(t, dir)
	if len(builds) != 3 || builds[2].Job != "mybench" || builds[2].NamedBy != record.NamedByDerivation || builds[2].Commit != "c0ffee2" {
		t.Fatalf("journal: %+v", builds)
	}
	m := runIn(t, env, "query", "--source", "index", "--database", dbURL, "--type", "metric", "--job", "mybench",
		"--metric", "time", "--from", "now-1h", "--format", "table")
	if m.code != 0 || !strings.Contains(m.stdout, "60") {
		t.Fatalf("metric query: exit %d\n%s%s", m.code, m.stdout, m.stderr)
	}
}

func TestConcurrentRecordProcessesLoseNothing(t *testing.T) {
	dbURL, pass := testDB(t)
	store, dir := t.TempDir(), t.TempDir()
	const procs, each = 8, 6
	outs := make([][]string, procs)
	for p := range outs {
		for i := 0; i < each; i++ {
			outs[p] = append(outs[p], benchOutput(t, store, fmt.Sprintf("conc-%d.%d", p, i), p*100+i))
		}
	}
	env := map[string]string{"NIXCI_ARTIFACTS_DATABASE_PASSWORD": pass}
	var wg sync.WaitGroup
	errs := make(chan string, procs*each)
	for p := 0; p < procs; p++ {
		wg.Add(1)
		go func(p int) {
			defer wg.Done()
			for _, out := range outs[p] {
				r := runProc(t, map[string]string{"NIXCI_ARTIFACTS_DATABASE_PASSWORD": pass, "OUT_PATHS": out},
					"record", "--store-dir", store, "--dir", dir, "--database", dbURL, "--job", "conc")
				if r.code != 0 || strings.Contains(r.stderr, "retry") {
					errs <- r.stderr
				}
			}
		}(p)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Errorf("a record process failed: %s", e)
	}
	q := runIn(t, env, "query", "--source", "index", "--database", dbURL, "--type", "builds", "--job", "conc",
		"--limit", "1000", "--from", "now-1h", "--format", "csv")
	if rows := csvRows(t, q.stdout); q.code != 0 || len(rows) != procs*each {
		t.Fatalf("index holds %d builds of %d (exit %d)\n%s", len(rows), procs*each, q.code, q.stderr)
	}
	if got := journalBuilds(t, dir); len(got) != procs*each {
		t.Fatalf("journal holds %d builds of %d", len(got), procs*each)
	}
}

func TestUnreachableIndexSpoolsThenFlushDelivers(t *testing.T) {
	dbURL, pass := testDB(t)
	store, dir := t.TempDir(), t.TempDir()
	out := benchOutput(t, store, "spooled-1", 7)
	down := "postgres://nixci@127.0.0.1:1/nowhere?sslmode=disable&connect_timeout=2"
	env := map[string]string{"NIXCI_ARTIFACTS_DATABASE_PASSWORD": pass, "OUT_PATHS": out}
	r := runProc(t, env, "record", "--store-dir", store, "--dir", dir, "--database", down, "--timeout", "2s")
	if r.code != 0 || !strings.Contains(r.stderr, "for a retry") {
		t.Fatalf("record with the index down: exit %d\n%s", r.code, r.stderr)
	}
	if r.took > 5*time.Second {
		t.Fatalf("record with the index down took %s: the build loop waits for it", r.took)
	}
	pending, _ := filepath.Glob(filepath.Join(dir, "spool", "*.json"))
	if len(pending) != 1 {
		t.Fatalf("spool holds %d entries, want 1", len(pending))
	}
	if got := journalBuilds(t, dir); len(got) != 1 {
		t.Fatalf("the local journal holds %d builds, want 1 even with the index down", len(got))
	}
	// The next call after the database is back delivers what was spooled.
	f := runProc(t, env, "flush", "--dir", dir, "--database", dbURL)
	if f.code != 0 || !strings.Contains(f.stdout, "delivered 1, 0 still pending") {
		t.Fatalf("flush: exit %d\n%s%s", f.code, f.stdout, f.stderr)
	}
	q := runIn(t, env, "query", "--source", "index", "--database", dbURL, "--job", "spooled", "--product", "bench.json",
		"--path", "results.throughput", "--from", "now-1h", "--format", "csv")
	if rows := csvRows(t, q.stdout); len(rows) != 1 || !strings.Contains(q.stdout, ",7") {
		t.Fatalf("after flush the index answers:\n%s%s", q.stdout, q.stderr)
	}
	if _, err := os.Stat(pending[0]); !os.IsNotExist(err) {
		t.Fatalf("delivered spool file still there: %v", err)
	}
}
