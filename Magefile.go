//go:build mage

package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	// mage:import
	build "github.com/grafana/grafana-plugin-sdk-go/build"
	"github.com/magefile/mage/mg"
	"github.com/magefile/mage/sh"
)

// Default builds the plugin's backend for every platform Grafana runs on, then the
// nixci-artifacts command beside it.
func Default() { mg.SerialDeps(build.BuildAll, Command) }

// commandPlatforms are where CI runners and Nix machines run nixci-artifacts record.
var commandPlatforms = [][2]string{{"linux", "amd64"}, {"linux", "arm64"}, {"darwin", "amd64"}, {"darwin", "arm64"}}

// Command builds dist/nixci-artifacts_<os>_<arch> (static, CGO off) for Linux and macOS,
// or only for the platforms in NIXCI_COMMAND_PLATFORMS (e.g. "linux/amd64 darwin/arm64").
func Command() error {
	platforms := commandPlatforms
	if env := os.Getenv("NIXCI_COMMAND_PLATFORMS"); env != "" {
		platforms = nil
		for _, p := range strings.Fields(env) {
			goos, goarch, ok := strings.Cut(p, "/")
			if !ok {
				return fmt.Errorf("NIXCI_COMMAND_PLATFORMS: %q is not os/arch", p)
			}
			platforms = append(platforms, [2]string{goos, goarch})
		}
	}
	version := "dev"
	if b, err := os.ReadFile("package.json"); err == nil {
		var pkg struct{ Version string }
		if json.Unmarshal(b, &pkg) == nil && pkg.Version != "" {
			version = pkg.Version
		}
	}
	for _, p := range platforms {
		out := fmt.Sprintf("dist/nixci-artifacts_%s_%s", p[0], p[1])
		env := map[string]string{"GOOS": p[0], "GOARCH": p[1], "CGO_ENABLED": "0"}
		if err := sh.RunWith(env, "go", "build", "-trimpath", "-ldflags", "-s -w -X main.version="+version,
			"-o", out, "./pkg/cmd/nixci-artifacts"); err != nil {
			return fmt.Errorf("building %s: %w", out, err)
		}
	}
	return nil
}

// Bench runs the benchmark suite (scripts/bench) and prints the tables kept in BENCHMARKS.md.
func Bench() error { return sh.RunV("bash", "scripts/bench") }
