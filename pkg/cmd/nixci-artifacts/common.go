package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/index"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/record"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/recorder"
)

// env is one invocation's surroundings, so tests run commands in-process.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
}

func (e *env) logf(format string, args ...any) {
	fmt.Fprintf(e.stderr, "nixci-artifacts: "+format+"\n", args...)
}

func (e *env) orEnv(name, def string) string {
	if v := e.getenv(name); v != "" {
		return v
	}
	return def
}

// where are the flags every recording command shares.
type where struct {
	stateDir, storeDir, dir, database string
	noJournal                         bool
	timeout                           time.Duration
	maxBytes                          int64
}

func (e *env) whereFlags(fs *flag.FlagSet) *where {
	w := &where{}
	fs.StringVar(&w.stateDir, "state-dir", e.orEnv("NIX_STATE_DIR", "/nix/var/nix"), "Nix state directory")
	fs.StringVar(&w.storeDir, "store-dir", e.orEnv("NIX_STORE_DIR", "/nix/store"), "Nix store directory")
	fs.StringVar(&w.dir, "dir", e.getenv("NIXCI_ARTIFACTS_DIR"), "journal directory (default <state-dir>/nixci-artifacts, which the store source reads)")
	fs.StringVar(&w.database, "database", e.getenv("NIXCI_ARTIFACTS_DATABASE"), "build index: postgres://user@host/db (password from NIXCI_ARTIFACTS_DATABASE_PASSWORD, PGPASSWORD or ~/.pgpass)")
	fs.BoolVar(&w.noJournal, "no-journal", false, "keep no local journal (deliver to --database only)")
	fs.DurationVar(&w.timeout, "timeout", 5*time.Second, "longest wait for the index database before the build is spooled")
	fs.Int64Var(&w.maxBytes, "max-artifact-bytes", 16<<20, "largest artifact file kept")
	return w
}

func (w *where) journalDir() string {
	if w.dir != "" {
		return w.dir
	}
	return record.DefaultDir(w.stateDir)
}

// recorder builds the Recorder the flags describe; close it when done.
func (e *env) recorder(w *where) (*recorder.Recorder, func(), error) {
	dir := w.journalDir()
	r := &recorder.Recorder{Log: e.logf, Names: recorder.NewNames(dir), Spool: recorder.NewSpool(dir)}
	if !w.noJournal {
		j, err := record.OpenJournal(dir)
		if err != nil {
			return nil, func() {}, fmt.Errorf("%w (give --dir, or --no-journal with --database)", err)
		}
		r.Journal = j
	}
	if w.database == "" {
		if w.noJournal {
			return nil, func() {}, errors.New("--no-journal needs --database: there is nowhere to keep the build")
		}
		return r, func() {}, nil
	}
	s := &lazySink{opts: indexOptions(e, w), timeout: w.timeout}
	r.Sink = s
	return r, s.close, nil
}

func indexOptions(e *env, w *where) index.Options {
	return index.Options{URL: w.database, Password: e.password(), MaxConns: 2, Timeout: w.timeout, MaxArtifactBytes: w.maxBytes}
}

func (e *env) password() string {
	return e.orEnv("NIXCI_ARTIFACTS_DATABASE_PASSWORD", e.getenv("PGPASSWORD"))
}

// lazySink connects to the index (and migrates it) only when there is something to write,
// each write bounded by timeout, so an unreachable database costs one timeout per call.
type lazySink struct {
	opts    index.Options
	timeout time.Duration
	once    sync.Once
	db      *index.DB
	err     error
}

func (s *lazySink) open(ctx context.Context) (*index.DB, error) {
	s.once.Do(func() {
		ctx, cancel := context.WithTimeout(ctx, s.timeout)
		defer cancel()
		s.db, s.err = index.Open(ctx, s.opts)
		if s.err == nil {
			if s.err = s.db.Migrate(ctx); s.err != nil {
				s.db.Close()
				s.db = nil
			}
		}
	})
	return s.db, s.err
}

// WriteBuild implements recorder.Sink.
func (s *lazySink) WriteBuild(ctx context.Context, r record.Record) (int64, error) {
	return s.write(ctx, func(ctx context.Context, db *index.DB) (int64, error) { return db.WriteBuild(ctx, r) })
}

// WriteEval implements recorder.Sink.
func (s *lazySink) WriteEval(ctx context.Context, ev record.Eval) (int64, error) {
	return s.write(ctx, func(ctx context.Context, db *index.DB) (int64, error) { return db.WriteEval(ctx, ev) })
}

func (s *lazySink) write(ctx context.Context, fn func(context.Context, *index.DB) (int64, error)) (int64, error) {
	db, err := s.open(ctx)
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	return fn(ctx, db)
}

func (s *lazySink) close() {
	if s.db != nil {
		s.db.Close()
	}
}

// multi is a repeatable string flag.
type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

// hostname names the runner in records.
func hostname() string {
	h, _ := os.Hostname()
	return h
}

// storePathOf resolves a result link (or a path inside an output) to its top-level store path.
func storePathOf(storeDir, link string) (string, error) {
	real, err := filepath.EvalSymlinks(link)
	if err != nil {
		return "", fmt.Errorf("result link %s: %w", link, err)
	}
	realStore, err := filepath.EvalSymlinks(storeDir)
	if err != nil {
		return "", fmt.Errorf("the Nix store %s: %w", storeDir, err)
	}
	rel, ok := strings.CutPrefix(real, realStore+"/")
	if !ok || rel == "" {
		return "", fmt.Errorf("result link %s points to %s, outside the Nix store %s", link, real, storeDir)
	}
	top, _, _ := strings.Cut(rel, "/")
	return filepath.Join(storeDir, top), nil
}
