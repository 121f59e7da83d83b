package recorder

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/record"
)

// A derivation as Nix 2.8 writes it (two outputs, escapes in args and env).
const drvText = `Derive([("dev","/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-mybench-1.2-dev","",""),("out","/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-mybench-1.2","","")],[("/nix/store/cccccccccccccccccccccccccccccccc-dep.drv",["out"])],[],"x86_64-linux","/bin/sh",["-c","echo '{\"a\":1}' > $out/bench.json\n"],[("builder","/bin/sh"),("name","mybench-1.2"),("out","/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-mybench-1.2"),("system","x86_64-linux")])`

func TestParseDerivation(t *testing.T) {
	d, err := ParseDerivation(drvText)
	if err != nil {
		t.Fatal(err)
	}
	if d.Name != "mybench-1.2" || d.System != "x86_64-linux" || len(d.Outputs) != 2 ||
		d.Outputs[1] != (record.Output{Name: "out", Path: "/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-mybench-1.2"}) {
		t.Fatalf("parsed %+v", d)
	}
	for _, bad := range []string{"", "Derive(", `Derive([("out")],[],[],"s","b",[],[])`, "Derive([],[],[],\"s\",\"b\",[],[]) trailing",
		strings.Repeat("[", 100), `Derive([("out","/x`, "garbage"} {
		if _, err := ParseDerivation(bad); err == nil {
			t.Errorf("ParseDerivation(%q) accepted", bad)
		}
	}
}

func FuzzParseDerivation(f *testing.F) {
	f.Add(drvText)
	f.Add(`Derive([],[],[],"","",[],[])`)
	f.Fuzz(func(t *testing.T, s string) { _, _ = ParseDerivation(s) })
}

func TestJobName(t *testing.T) {
	for in, want := range map[string]string{
		"mybench-1.2": "mybench", "patchelf-coverage-0.15.0": "patchelf-coverage", "mybench": "mybench",
		"hello-2.12-dev": "hello", "nix-eval-jobs-2.24.1": "nix-eval-jobs", "a-": "a-", "x-y-3": "x-y",
	} {
		if got := JobName(in); got != want {
			t.Errorf("JobName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCommitFromEnv(t *testing.T) {
	env := map[string]string{"CI_COMMIT_SHA": "gitlab", "GIT_COMMIT": "jenkins"}
	if c, from := CommitFromEnv(func(k string) string { return env[k] }); c != "gitlab" || from != "CI_COMMIT_SHA" {
		t.Fatalf("got %q from %q", c, from)
	}
	if c, _ := CommitFromEnv(func(string) string { return "" }); c != "" {
		t.Fatalf("commit %q from an empty environment", c)
	}
}

func TestParseEvalJobsSeed(t *testing.T) {
	f, err := os.Open("testdata/nix-eval-jobs.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	jobs, warn, err := ParseEvalJobs(f)
	if err != nil || len(warn) != 0 || len(jobs) != 3 {
		t.Fatalf("jobs %d, warnings %v, err %v", len(jobs), warn, err)
	}
	if j := jobs[0]; j.Attr != "coverage" || j.NixName != "patchelf-coverage-0.15.0" ||
		j.Outputs[0].Path != "/nix/store/dwf255bdbfvvbiqak941r83zlvxyipcs-patchelf-coverage-0.15.0" {
		t.Fatalf("first job %+v", j)
	}
	in := `{"attr":"ok","drvPath":"/nix/store/x.drv","outputs":{"out":null}}
not json
{"attr":"broken","attrPath":["broken"],"error":"error: \u001b[31mfailed\u001b[0m"}
{"attrPath":["a","b"],"drvPath":"/nix/store/y.drv","outputs":{"out":"/nix/store/y"}}
{"attr":"bad name","drvPath":"/nix/store/z.drv"}
{"attr":"nothing"}
`
	jobs, warn, err = ParseEvalJobs(strings.NewReader(in))
	if err != nil || len(jobs) != 3 || len(warn) != 3 {
		t.Fatalf("jobs %+v, warnings %v, err %v", jobs, warn, err)
	}
	if jobs[0].Outputs != nil || jobs[1].Error == "" || jobs[2].Attr != "a.b" {
		t.Fatalf("jobs %+v", jobs)
	}
}

// fakeStore makes a store directory with one output holding products, metrics and a
// symlink that leaves the store.
func fakeStore(t *testing.T) (store, out string) {
	t.Helper()
	store = t.TempDir()
	out = filepath.Join(store, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-mybench-1.2")
	secret := filepath.Join(t.TempDir(), "secret.json")
	must(t, os.WriteFile(secret, []byte(`{"secret":1}`), 0o644))
	must(t, os.MkdirAll(filepath.Join(out, "nix-support"), 0o755))
	must(t, os.MkdirAll(filepath.Join(out, "share", "doc"), 0o755))
	must(t, os.WriteFile(filepath.Join(out, "bench.json"), []byte(`{"results":{"throughput":42}}`), 0o644))
	must(t, os.WriteFile(filepath.Join(out, "extra.json"), []byte(`{"x":1}`), 0o644))
	must(t, os.WriteFile(filepath.Join(out, "big.json"), []byte(strings.Repeat(" ", 2000)), 0o644))
	must(t, os.Symlink(secret, filepath.Join(out, "escape.json")))
	must(t, os.WriteFile(filepath.Join(out, "nix-support", "hydra-build-products"), []byte(
		"file json "+out+"/bench.json\ndoc manual "+out+"/share/doc\nfile json "+out+"/escape.json\nfile json /etc/passwd\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(out, "nix-support", "hydra-metrics"), []byte(
		"time 1.5 s\nbroken\nsize 10\nspeed nan\ntime 2 s\n"), 0o644))
	return store, out
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestCollect(t *testing.T) {
	store, out := fakeStore(t)
	drv := filepath.Join(store, "dddddddddddddddddddddddddddddddd-mybench-1.2.drv")
	must(t, os.WriteFile(drv, []byte(strings.ReplaceAll(drvText, "/nix/store", store)), 0o644))
	now := time.Unix(1700000000, 0)
	in := Input{DrvPath: drv, Artifacts: []string{"extra.json", "missing.json", "../x", "big.json"}, Commit: "abc", Time: now}
	r, warn, err := Collect(in, Store{Dir: store, MaxBytes: 1000}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// OUT_PATHS empty (Nix 2.8): outputs come from the derivation.
	if r.MainOutput() != out || len(r.Outputs) != 2 || r.NixName != "mybench-1.2" || r.System != "x86_64-linux" {
		t.Fatalf("record %+v", r)
	}
	if r.Job != "mybench" || r.NamedBy != record.NamedByDerivation || r.Commit != "abc" || !r.Time.Equal(now) {
		t.Fatalf("naming %+v", r)
	}
	var names []string
	for _, a := range r.Products {
		names = append(names, a.Name)
	}
	if strings.Join(names, ",") != "bench.json,extra.json" {
		t.Fatalf("kept %v, want bench.json and extra.json only (warnings %v)", names, warn)
	}
	if string(r.Products[0].Content) != `{"results":{"throughput":42}}` || len(r.Products[0].SHA256) != 64 {
		t.Fatalf("product %+v", r.Products[0])
	}
	if len(r.Metrics) != 3 || r.Metrics[0].Name != "time" || r.Metrics[0].Value != 2 || r.Metrics[0].Unit != "s" {
		t.Fatalf("metrics %+v", r.Metrics)
	}
	all := strings.Join(warn, "\n")
	for _, want := range []string{"escape.json", "outside the Nix store", "missing.json", `"../x"`, "big.json is 2000 bytes", "skipped"} {
		if !strings.Contains(all, want) {
			t.Errorf("warnings lack %q:\n%s", want, all)
		}
	}
	if strings.Contains(all, "share/doc") {
		t.Errorf("a declared directory product was warned about:\n%s", all)
	}
}

func TestCollectNamesAndErrors(t *testing.T) {
	store, out := fakeStore(t)
	dir := t.TempDir()
	names := NewNames(dir)
	must(t, names.Put(record.Eval{Project: "p", Jobset: "main", Commit: "c0ffee",
		Jobs: []record.EvalJob{{Attr: "bench.x86_64-linux", Outputs: []record.Output{{Name: "out", Path: out}}}}}))
	r, _, err := Collect(Input{OutPaths: []string{out}, Time: time.Now()}, Store{Dir: store, MaxBytes: 1 << 20}, names)
	if err != nil {
		t.Fatal(err)
	}
	if r.Job != "bench.x86_64-linux" || r.Project != "p" || r.NamedBy != record.NamedByEval || r.Commit != "c0ffee" {
		t.Fatalf("eval naming not applied: %+v", r)
	}
	r, _, _ = Collect(Input{OutPaths: []string{out}, Job: "given", Time: time.Now()}, Store{Dir: store, MaxBytes: 1 << 20}, names)
	if r.Job != "given" || r.NamedBy != record.NamedByFlag {
		t.Fatalf("--job did not win: %+v", r)
	}
	for _, in := range []Input{
		{OutPaths: []string{"/etc"}, Time: time.Now()},
		{DrvPath: "/etc/passwd", Time: time.Now()},
		{DrvPath: filepath.Join(store, "missing.drv"), Time: time.Now()},
		{Time: time.Now()},
	} {
		if _, _, err := Collect(in, Store{Dir: store, MaxBytes: 1 << 20}, names); err == nil {
			t.Errorf("Collect(%+v) accepted", in)
		}
	}
	if _, _, err := Collect(Input{OutPaths: []string{out}}, Store{Dir: "/nonexistent"}, nil); err == nil {
		t.Error("a missing store was accepted")
	}
}
