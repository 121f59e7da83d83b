package nixstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Helpers for tests that build real derivations into the machine's real Nix
// store (/nix/store, database under /nix/var/nix). Install Nix first with
//
//	bash scripts/nix-store
//
// Without nix-build the tests skip, or fail under CI=true or NIXCI_TEST_NIX=1.

// testStateDir is the real Nix state directory: $NIX_STATE_DIR or /nix/var/nix.
func testStateDir() string {
	if d := os.Getenv("NIX_STATE_DIR"); d != "" {
		return d
	}
	return "/nix/var/nix"
}

// requireNix skips the test (or fails it in CI) when nix-build is missing.
func requireNix(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("nix-build"); err == nil {
		return
	}
	msg := "nix-build not found: run `bash scripts/nix-store` (as root) to install Nix for these tests"
	if os.Getenv("CI") == "true" || os.Getenv("NIXCI_TEST_NIX") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// uniqueSuffix makes derivation names unique per test run, so each run
// registers new store paths.
func uniqueSuffix(t *testing.T) string {
	t.Helper()
	b := make([]byte, 5)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// nixEnv is the environment for nix commands: no sandbox and no substituters
// (this machine reaches no binary cache), and no build users when the
// nixbld group does not exist.
func nixEnv() []string {
	conf := os.Getenv("NIX_CONFIG") + "\nsandbox = false\nsubstituters =\n"
	if _, err := user.LookupGroup("nixbld"); err != nil {
		conf += "build-users-group =\n"
	}
	return append(os.Environ(), "NIX_CONFIG="+conf)
}

func runNix(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = nixEnv()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return strings.TrimSpace(string(out))
}

// builtBench is one derivation built into the real store.
type builtBench struct {
	Name, Drv, Out string
}

// buildBench builds a derivation named name whose output holds bench.json
// ({"results":{"throughput":n}}) and nix-support/hydra-metrics ("time n s").
func buildBench(t *testing.T, name string, n int) builtBench {
	t.Helper()
	script := fmt.Sprintf(`mkdir -p $out/nix-support; echo '{\"results\":{\"throughput\":%d}}' > $out/bench.json; echo 'time %d s' > $out/nix-support/hydra-metrics`, n, n)
	expr := fmt.Sprintf(`derivation { name = "%s"; system = builtins.currentSystem; builder = "/bin/sh"; PATH = "/usr/bin:/bin"; args = [ "-c" "%s" ]; }`, name, script)
	drv := runNix(t, "nix-instantiate", "-E", expr)
	out := runNix(t, "nix-build", "--no-out-link", drv)
	if !strings.HasSuffix(drv, ".drv") || !strings.HasSuffix(out, "-"+name) {
		t.Fatalf("unexpected nix output: drv %q, out %q", drv, out)
	}
	if b, err := os.ReadFile(filepath.Join(out, "bench.json")); err != nil || !strings.Contains(string(b), fmt.Sprint(n)) {
		t.Fatalf("built %s without the expected bench.json: %q, %v", out, b, err)
	}
	return builtBench{Name: name, Drv: drv, Out: out}
}

// copyStoreDB writes a consistent copy of the real store database to
// <dir>/db/db.sqlite (via VACUUM INTO from a read-only connection) and
// returns dir, a state directory for OpenDB.
func copyStoreDB(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "db"), 0o755); err != nil {
		t.Fatal(err)
	}
	src, err := sql.Open("sqlite", "file:"+filepath.Join(testStateDir(), "db", "db.sqlite")+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := src.ExecContext(ctx, "VACUUM INTO ?", filepath.Join(dir, "db", "db.sqlite")); err != nil {
		t.Fatalf("copy the Nix database: %v", err)
	}
	return dir
}
