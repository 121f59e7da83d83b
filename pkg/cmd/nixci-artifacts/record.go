package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/record"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/recorder"
)

// record keeps one build. It returns 0 whatever happens (a post-build-hook that fails stops
// Nix's build loop); problems are logged on stderr and the build is spooled for a retry.
func (e *env) record(ctx context.Context, args []string) int {
	fs := flag.NewFlagSet("record", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	w := e.whereFlags(fs)
	var in recorder.Input
	var arts multi
	fs.StringVar(&in.Project, "project", e.getenv("NIXCI_ARTIFACTS_PROJECT"), "project name (optional)")
	fs.StringVar(&in.Jobset, "jobset", e.getenv("NIXCI_ARTIFACTS_JOBSET"), "jobset name, e.g. the branch (optional)")
	fs.StringVar(&in.Job, "job", "", "job name (default: the derivation name without its version, or the attribute of an imported eval)")
	fs.StringVar(&in.Commit, "commit", "", "commit built (default: $GITHUB_SHA, $CI_COMMIT_SHA, ... of the CI)")
	fs.StringVar(&in.DrvPath, "drv", "", "derivation of the result links (default: $DRV_PATH)")
	fs.IntVar(&in.Status, "status", 0, "Hydra build status to record: 0 succeeded, 1 failed")
	keep := fs.Bool("keep-outputs", false, "also register the outputs as GC roots in <state-dir>/gcroots/nixci-artifacts (artifact copies are kept either way)")
	fs.Var(&arts, "artifact", "a file to keep besides hydra-build-products: a product name or a path inside the output (repeatable)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		e.logf("record: %v (the build is not recorded; it does not fail)", err)
		return 0
	}
	in.Artifacts = arts
	start := time.Now()
	if err := e.recordOne(ctx, w, in, fs.Args(), *keep); err != nil {
		e.logf("record: %v", err)
		return 0
	}
	e.logf("record: done in %s", time.Since(start).Round(time.Millisecond))
	return 0
}

func (e *env) recordOne(ctx context.Context, w *where, in recorder.Input, links []string, keep bool) error {
	for _, check := range [][2]string{{"project", in.Project}, {"jobset", in.Jobset}, {"job", in.Job}} {
		if err := recorder.CheckName(check[0], check[1]); err != nil {
			return err
		}
	}
	if in.DrvPath == "" {
		in.DrvPath = e.getenv("DRV_PATH")
	}
	if len(links) > 0 {
		for _, l := range links {
			p, err := storePathOf(w.storeDir, l)
			if err != nil {
				return err
			}
			in.OutPaths = append(in.OutPaths, p)
		}
	} else {
		in.OutPaths = strings.Fields(e.getenv("OUT_PATHS"))
	}
	if in.DrvPath == "" && len(in.OutPaths) == 0 {
		return errors.New("nothing to record: no result links given, and DRV_PATH and OUT_PATHS are not set (as Nix sets them for a post-build-hook)")
	}
	if in.Commit == "" {
		in.Commit, _ = recorder.CommitFromEnv(e.getenv)
	}
	in.Time, in.Host = time.Now(), hostname()
	rec, warn, err := recorder.Collect(in, recorder.Store{Dir: w.storeDir, MaxBytes: w.maxBytes}, recorder.NewNames(w.journalDir()))
	for _, m := range warn {
		e.logf("record: %s", m)
	}
	if err != nil {
		return err
	}
	r, closeSink, err := e.recorder(w)
	if err != nil {
		return err
	}
	defer closeSink()
	if keep {
		if err := gcRoots(w.stateDir, rec.Outputs); err != nil {
			e.logf("record: GC roots: %v", err)
		}
	}
	if err := r.Build(ctx, rec); err != nil {
		return err
	}
	e.logf("record: %s (%s) at %s: %d artifacts, %d metrics", rec.Job, rec.MainOutput(), rec.Time.Format(time.RFC3339),
		len(rec.Products), len(rec.Metrics))
	return nil
}

// gcRoots links every output from <stateDir>/gcroots/nixci-artifacts, which the garbage
// collector treats as roots.
func gcRoots(stateDir string, outs []record.Output) error {
	dir := filepath.Join(stateDir, "gcroots", "nixci-artifacts")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, o := range outs {
		link := filepath.Join(dir, filepath.Base(o.Path))
		if err := os.Symlink(o.Path, link); err != nil && !errors.Is(err, os.ErrExist) {
			return fmt.Errorf("linking %s: %w", link, err)
		}
	}
	return nil
}

// flush delivers what was spooled. Exit code 1 when entries are still pending.
func (e *env) flush(ctx context.Context, args []string) int {
	fs := flag.NewFlagSet("flush", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	w := e.whereFlags(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if w.database == "" {
		e.logf("flush: give --database (or NIXCI_ARTIFACTS_DATABASE): the index to deliver to")
		return 2
	}
	w.noJournal = true
	r, closeSink, err := e.recorder(w)
	if err != nil {
		e.logf("flush: %v", err)
		return 1
	}
	defer closeSink()
	n, left, err := r.Flush(ctx)
	fmt.Fprintf(e.stdout, "delivered %d, %d still pending in %s\n", n, left, r.Spool.Dir())
	if err != nil {
		e.logf("flush: %v", err)
		return 1
	}
	return 0
}
