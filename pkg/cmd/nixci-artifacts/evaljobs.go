package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/record"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/recorder"
)

// importEvalJobs reads nix-eval-jobs lines as one evaluation of project:jobset, keeps it,
// and records the jobs whose outputs are already in the local store, named by attribute.
// Builds recorded later (by the post-build-hook) take their attribute as job name too.
func (e *env) importEvalJobs(ctx context.Context, args []string) int {
	fs := flag.NewFlagSet("import-eval-jobs", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	w := e.whereFlags(fs)
	var ev record.Eval
	var at string
	fs.StringVar(&ev.Project, "project", e.getenv("NIXCI_ARTIFACTS_PROJECT"), "project of the jobset (required)")
	fs.StringVar(&ev.Jobset, "jobset", e.getenv("NIXCI_ARTIFACTS_JOBSET"), "jobset evaluated (required)")
	fs.StringVar(&ev.Commit, "commit", "", "commit evaluated (default: the CI's commit variable)")
	fs.StringVar(&at, "time", "", "evaluation time, RFC 3339 (default: now)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if err := e.importEval(ctx, w, ev, at, fs.Args()); err != nil {
		e.logf("import-eval-jobs: %v", err)
		return 1
	}
	return 0
}

func (e *env) importEval(ctx context.Context, w *where, ev record.Eval, at string, files []string) error {
	if ev.Project == "" || ev.Jobset == "" {
		return errors.New("give --project and --jobset: the evaluation's jobs are named project:jobset:attribute")
	}
	for _, c := range [][2]string{{"project", ev.Project}, {"jobset", ev.Jobset}} {
		if err := recorder.CheckName(c[0], c[1]); err != nil {
			return err
		}
	}
	ev.Time = time.Now().UTC()
	if at != "" {
		t, err := time.Parse(time.RFC3339, at)
		if err != nil {
			return fmt.Errorf("--time %q is not RFC 3339 (2024-05-01T12:00:00Z): %v", at, err)
		}
		ev.Time = t.UTC()
	}
	if ev.Commit == "" {
		ev.Commit, _ = recorder.CommitFromEnv(e.getenv)
	}
	var in io.Reader = e.stdin
	if len(files) > 1 {
		return errors.New("give one nix-eval-jobs output file, or none to read stdin")
	}
	if len(files) == 1 && files[0] != "-" {
		f, err := os.Open(files[0])
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	jobs, warn, err := recorder.ParseEvalJobs(in)
	for _, m := range warn {
		e.logf("import-eval-jobs: %s", m)
	}
	if err != nil {
		return err
	}
	if len(jobs) == 0 {
		return errors.New("no jobs in the input: expected nix-eval-jobs JSON lines such as {\"attr\":...,\"drvPath\":...,\"outputs\":{...}}")
	}
	ev.Jobs = jobs
	r, closeSink, err := e.recorder(w)
	if err != nil {
		return err
	}
	defer closeSink()
	if err := r.Eval(ctx, ev); err != nil {
		return err
	}
	built := e.recordBuilt(ctx, w, r, ev)
	fmt.Fprintf(e.stdout, "imported %d jobs of %s:%s at %s; %d already built here were recorded\n",
		len(jobs), ev.Project, ev.Jobset, orNone(ev.Commit), built)
	return nil
}

// recordBuilt records the jobs whose every output is already in the store.
func (e *env) recordBuilt(ctx context.Context, w *where, r *recorder.Recorder, ev record.Eval) int {
	n := 0
	for _, j := range ev.Jobs {
		if j.Error != "" || len(j.Outputs) == 0 || !allExist(j.Outputs) {
			continue
		}
		in := recorder.Input{Project: ev.Project, Jobset: ev.Jobset, Commit: ev.Commit, Time: ev.Time, Host: hostname()}
		if _, err := os.Stat(j.DrvPath); err == nil {
			in.DrvPath = j.DrvPath
		}
		for _, o := range j.Outputs {
			in.OutPaths = append(in.OutPaths, o.Path)
		}
		rec, warn, err := recorder.Collect(in, recorder.Store{Dir: w.storeDir, MaxBytes: w.maxBytes}, recorder.NewNames(w.journalDir()))
		for _, m := range warn {
			e.logf("import-eval-jobs: %s: %s", j.Attr, m)
		}
		if err == nil {
			err = r.Build(ctx, rec)
		}
		if err != nil {
			e.logf("import-eval-jobs: %s: %v", j.Attr, err)
			continue
		}
		n++
	}
	return n
}

func allExist(outs []record.Output) bool {
	for _, o := range outs {
		if _, err := os.Stat(o.Path); err != nil {
			return false
		}
	}
	return true
}

func orNone(s string) string {
	if s == "" {
		return "no known commit"
	}
	return s
}

// migrate creates or upgrades the index schema.
func (e *env) migrate(ctx context.Context, args []string) int {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	w := e.whereFlags(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if w.database == "" {
		e.logf("migrate: give --database postgres://user@host/db")
		return 2
	}
	s := &lazySink{opts: indexOptions(e, w), timeout: w.timeout}
	defer s.close()
	if _, err := s.open(ctx); err != nil {
		e.logf("migrate: %v", err)
		return 1
	}
	fmt.Fprintln(e.stdout, "the build index schema is up to date")
	return 0
}
