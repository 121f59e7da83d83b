package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// binary is the nixci-artifacts command built once for the tests that run it as a process
// (as Nix runs a post-build-hook, and as several CI runners run at once).
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "nixci-artifacts-bin")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "nixci-artifacts")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building nixci-artifacts: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// result is one run of the command.
type result struct {
	code           int
	stdout, stderr string
	took           time.Duration
}

// runIn runs the command in-process with exactly the environment env.
func runIn(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	start := time.Now()
	code := run(context.Background(), args, strings.NewReader(""), &out, &errb, func(k string) string { return env[k] })
	return result{code: code, stdout: out.String(), stderr: errb.String(), took: time.Since(start)}
}

// runProc runs the built binary with exactly the environment env (no inherited variables).
func runProc(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = []string{}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{code: code, stdout: out.String(), stderr: errb.String(), took: time.Since(start)}
}

func randHex(t testing.TB, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// testDB creates an empty database on the test PostgreSQL (scripts/postgres) and returns
// its URL (without password) and the password. It fails in CI when none is configured.
func testDB(t *testing.T) (string, string) {
	t.Helper()
	base, pass := os.Getenv("NIXCI_TEST_DATABASE_URL"), os.Getenv("NIXCI_TEST_DATABASE_PASSWORD")
	if base == "" {
		msg := "NIXCI_TEST_DATABASE_URL is not set: run  eval \"$(bash scripts/postgres)\"  first"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	ctx := context.Background()
	cfg, err := pgx.ParseConfig(base)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Password = pass
	c, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatalf("connecting to the test PostgreSQL (eval \"$(bash scripts/postgres)\"): %v", err)
	}
	name := "nixci_cmd_" + randHex(t, 6)
	if _, err := c.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = c.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
		c.Close(ctx)
	})
	u, _ := url.Parse(base)
	u.Path = "/" + name
	return u.String(), pass
}

// output is one fake store output: name → file contents (paths relative to the output).
type output map[string]string

// fakeOutput writes an output directory <store>/<hash>-<name> and returns its path.
func fakeOutput(t *testing.T, store, name string, files output) string {
	t.Helper()
	out := filepath.Join(store, randHex(t, 16)+"-"+name)
	for f, body := range files {
		p := filepath.Join(out, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(strings.ReplaceAll(body, "$out", out)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// benchOutput is an output with bench.json, a product line for it and metrics.
func benchOutput(t *testing.T, store, name string, throughput int) string {
	return fakeOutput(t, store, name, output{
		"bench.json":                       fmt.Sprintf(`{"results":{"throughput":%d}}`, throughput),
		"nix-support/hydra-build-products": "file json $out/bench.json\n",
		"nix-support/hydra-metrics":        fmt.Sprintf("time %d s\n", throughput*2),
	})
}

// link makes a result link to target, as nix-build does.
func link(t *testing.T, target string) string {
	t.Helper()
	l := filepath.Join(t.TempDir(), "result")
	if err := os.Symlink(target, l); err != nil {
		t.Fatal(err)
	}
	return l
}
