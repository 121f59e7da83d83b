package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// privateNix is a Nix store of the test's own (NIX_STORE_DIR, NIX_STATE_DIR), so that
// nix-collect-garbage there touches nothing else, with a real post-build-hook in nix.conf.
type privateNix struct {
	root, store, state string
	env                []string
}

func newPrivateNix(t *testing.T, hook string) *privateNix {
	t.Helper()
	if _, err := exec.LookPath("nix-build"); err != nil {
		msg := "nix-build not found: run `bash scripts/nix-store` (as root) to install Debian's nix-bin"
		if os.Getenv("CI") == "true" || os.Getenv("NIXCI_TEST_NIX") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	root := t.TempDir()
	n := &privateNix{root: root, store: filepath.Join(root, "store"), state: filepath.Join(root, "state")}
	conf := filepath.Join(root, "conf")
	if err := os.MkdirAll(conf, 0o755); err != nil {
		t.Fatal(err)
	}
	nixConf := "sandbox = false\nsubstituters =\nbuild-users-group =\npost-build-hook = " + hook + "\n"
	if err := os.WriteFile(filepath.Join(conf, "nix.conf"), []byte(nixConf), 0o644); err != nil {
		t.Fatal(err)
	}
	n.env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + root, "NIX_STORE_DIR=" + n.store, "NIX_STATE_DIR=" + n.state,
		"NIX_LOG_DIR=" + filepath.Join(root, "log"), "NIX_CONF_DIR=" + conf, "NIX_CONFIG="}
	return n
}

func (n *privateNix) run(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = n.env
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return strings.TrimSpace(string(out))
}

// build builds a derivation whose output has bench.json (declared in hydra-build-products)
// and hydra-metrics; it returns the output path.
func (n *privateNix) build(t *testing.T, name string, v int) string {
	t.Helper()
	script := fmt.Sprintf(`mkdir -p $out/nix-support; echo '{\"results\":{\"throughput\":%d}}' > $out/bench.json; `+
		`echo \"file json $out/bench.json\" > $out/nix-support/hydra-build-products; `+
		`printf 'time %d s\\nbroken line\\n' > $out/nix-support/hydra-metrics`, v, v*2)
	expr := fmt.Sprintf(`derivation { name = "%s"; system = builtins.currentSystem; builder = "/bin/sh"; PATH = "/usr/bin:/bin"; args = [ "-c" "%s" ]; }`, name, script)
	out := n.run(t, "nix-build", "--no-out-link", "-E", expr)
	lines := strings.Split(out, "\n")
	for _, l := range lines {
		if strings.HasPrefix(l, n.store+"/") && strings.HasSuffix(l, "-"+name) {
			return l
		}
	}
	t.Fatalf("nix-build printed no output path:\n%s", out)
	return ""
}

// The post-build-hook configured in nix.conf records every build (Nix 2.8 leaves OUT_PATHS
// empty: the outputs come from the derivation); the builds show up through the store and
// the index sources, and stay there after nix-collect-garbage deletes their outputs.
func TestPostBuildHookWithRealNix(t *testing.T) {
	dbURL, pass := testDB(t)
	hookDir := t.TempDir()
	hook, log := filepath.Join(hookDir, "hook.sh"), filepath.Join(hookDir, "hook.log")
	script := fmt.Sprintf("#!/bin/sh\nNIXCI_ARTIFACTS_DATABASE_PASSWORD='%s' exec %s record --database '%s' --project demo --jobset main 2>>%s\n",
		pass, binary, dbURL, log)
	if err := os.WriteFile(hook, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	n := newPrivateNix(t, hook)
	var outs []string
	for i, v := range []int{11, 22, 33} {
		outs = append(outs, n.build(t, fmt.Sprintf("hookbench-1.%d", i), v))
	}
	hookLog, _ := os.ReadFile(log)
	if strings.Count(string(hookLog), "record: hookbench (") != 3 {
		t.Fatalf("the hook did not record 3 builds:\n%s", hookLog)
	}
	env := map[string]string{"NIXCI_ARTIFACTS_DATABASE_PASSWORD": pass}
	storeQuery := func() []map[string]string {
		q := runIn(t, env, "query", "--source", "store", "--store-dir", n.store, "--state-dir", n.state, "--job", "hookbench",
			"--product", "bench.json", "--path", "results.throughput", "--from", "now-1h", "--format", "csv")
		if q.code != 0 {
			t.Fatalf("store query: exit %d\n%s", q.code, q.stderr)
		}
		return csvRows(t, q.stdout)
	}
	indexQuery := func() string {
		q := runIn(t, env, "query", "--source", "index", "--database", dbURL, "--project", "demo", "--jobset", "main",
			"--job", "hookbench", "--product", "bench.json", "--path", "results.throughput", "--from", "now-1h", "--format", "csv")
		if q.code != 0 || len(csvRows(t, q.stdout)) != 3 {
			t.Fatalf("index query: exit %d\n%s%s", q.code, q.stdout, q.stderr)
		}
		return q.stdout
	}
	if rows := storeQuery(); len(rows) != 3 {
		t.Fatalf("store source lists %d recorded builds, want 3", len(rows))
	}
	before := indexQuery()

	// A CI step that asks for GC roots keeps its output through the collection.
	kept := n.build(t, "keptbench-1.0", 44)
	k := runIn(t, env, "record", "--store-dir", n.store, "--state-dir", n.state, "--dir", t.TempDir(), "--keep-outputs",
		"--job", "kept", kept)
	if k.code != 0 || strings.Contains(k.stderr, "GC roots:") {
		t.Fatalf("record --keep-outputs: %s", k.stderr)
	}

	n.run(t, "nix-collect-garbage")
	if _, err := os.Stat(filepath.Join(kept, "bench.json")); err != nil {
		t.Fatalf("an output recorded with --keep-outputs was collected: %v", err)
	}
	for _, o := range outs {
		if _, err := os.Stat(o); !os.IsNotExist(err) {
			t.Fatalf("%s survived nix-collect-garbage (%v): the test proves nothing", o, err)
		}
	}
	rows := storeQuery()
	if len(rows) != 3 {
		t.Fatalf("after nix-collect-garbage the store source lists %d builds, want 3", len(rows))
	}
	var vals []string
	for _, r := range rows {
		for k, v := range r {
			if k != "time" && (v == "11" || v == "22" || v == "33") {
				vals = append(vals, v)
			}
		}
	}
	if len(vals) != 3 {
		t.Fatalf("after nix-collect-garbage the values are gone: %v", rows)
	}
	if after := indexQuery(); after != before {
		t.Fatalf("the index changed after nix-collect-garbage:\n%s\nvs\n%s", before, after)
	}
}
