// Command nixci-artifacts records Nix builds for the nixci-artifacts Grafana datasource and
// queries them from a terminal.
//
//	nixci-artifacts record [flags] [result-link...]   as a post-build-hook or a CI step
//	nixci-artifacts flush [flags]                     deliver spooled builds to the index
//	nixci-artifacts import-eval-jobs [flags] [file]   name builds by nix-eval-jobs attributes
//	nixci-artifacts migrate --database URL            create or upgrade the index schema
//	nixci-artifacts query [flags]                     print a series, as Grafana would get it
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/grafana/grafana-plugin-sdk-go/backend/log"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/plugin"
)

// version is set by the build (-ldflags "-X main.version=...").
var version = "dev"

const usage = `nixci-artifacts %s: record Nix builds for Grafana, and query them.

Usage:
  nixci-artifacts record [flags] [result-link...]
      Record a build. As Nix's post-build-hook it reads DRV_PATH and OUT_PATHS; as a CI
      step give the result links of nix-build. Never fails the build: problems are logged
      and kept for a retry.
  nixci-artifacts flush [flags]
      Deliver builds spooled while the index database was unreachable.
  nixci-artifacts import-eval-jobs --project P --jobset S [flags] [file.jsonl]
      Read nix-eval-jobs output (stdin without a file) and name its builds by attribute.
  nixci-artifacts migrate --database postgres://...
      Create or upgrade the build index schema.
  nixci-artifacts query --source store|index|hydra|hydradb [flags]
      Print a series (time, value, build, commit) for the same query Grafana runs.
  nixci-artifacts version

Run "nixci-artifacts <command> -h" for a command's flags.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// run executes one command line and returns the exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 {
		fmt.Fprintf(stderr, usage, version)
		return 2
	}
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv}
	switch args[0] {
	case "record":
		return e.record(ctx, args[1:])
	case "flush":
		return e.flush(ctx, args[1:])
	case "import-eval-jobs":
		return e.importEvalJobs(ctx, args[1:])
	case "migrate":
		return e.migrate(ctx, args[1:])
	case "query":
		return e.query(ctx, args[1:])
	case "version", "--version", "-version":
		fmt.Fprintf(stdout, "nixci-artifacts %s\n", version)
		return 0
	case "help", "-h", "--help", "-help":
		fmt.Fprintf(stdout, usage, version)
		return 0
	default:
		fmt.Fprintf(stderr, "nixci-artifacts: unknown command %q\n\n"+usage, args[0], version)
		return 2
	}
}

func init() {
	plugin.Version = version
	// The plugin logs for Grafana (JSON, debug level); in a terminal only its warnings count.
	log.DefaultLogger = log.NewWithLevel(log.Warn)
}
