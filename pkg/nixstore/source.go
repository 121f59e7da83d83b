package nixstore

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"os"
	"path"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/record"
)

// Options configure a store Source.
type Options struct {
	StoreDir         string        // absolute, e.g. /nix/store
	StateDir         string        // the Nix state directory holding db/db.sqlite, e.g. /nix/var/nix
	MaxArtifactBytes int64         // largest artifact read; default 16 MiB
	Refresh          time.Duration // how often the index reads what changed, at most; default 2 s
}

// Source is the `store` source: the builds of a job are the valid store paths whose name
// matches the job (an exact name or a glob such as mybench-*), and the builds that
// `nixci-artifacts record` kept in its journal (<StateDir>/nixci-artifacts) whose job
// matches, newest first. Both come from an in-memory index refreshed at most every
// Options.Refresh, so no query scans the store.
//
//   - ID is a stable 63-bit hash (BuildID) of the build's main output path, whether it
//     came from the journal or the Nix database.
//   - A valid path not recorded is one finished, succeeded build whose Timestamp and Stop
//     are its registration time (the end of the build); Start is zero.
//   - A recorded build has its record's job, project, jobset, status, system and commit,
//     and the record's time as Timestamp and Stop. It stays listed after its outputs were
//     garbage-collected; its artifacts are then read from the journal's copies.
//
// Files are read only below StoreDir and the journal directory, after resolving symlinks.
// It is safe for concurrent use.
type Source struct {
	x        *index
	store    string   // StoreDir, cleaned
	realDir  string   // StoreDir with its symlinks resolved
	root     *os.Root // realDir, for reads that stay inside it
	fast     *beneath // realDir, for reads that stay inside it in one system call (Linux)
	dbFile   string
	jdir     string // the journal's directory
	maxBytes int64
	opened   atomic.Int64 // files of the store opened or looked for so far, for tests and benchmarks
}

var (
	_ query.Source     = (*Source)(nil)
	_ query.Catalog    = (*Source)(nil)
	_ query.EvalSource = (*Source)(nil)
	_ query.JobSource  = (*Source)(nil)
)

// NewSource opens the store database <StateDir>/db/db.sqlite read-only. The index is
// loaded by the first query.
func NewSource(o Options) (*Source, error) {
	if !filepath.IsAbs(o.StoreDir) {
		return nil, query.Invalidf("storeDir %q must be an absolute path such as /nix/store", o.StoreDir)
	}
	store := filepath.Clean(o.StoreDir)
	real, err := filepath.EvalSymlinks(store)
	if err != nil {
		return nil, query.Invalidf("storeDir %s cannot be read: %v: set storeDir to the Nix store (default /nix/store)", store, err)
	}
	if o.MaxArtifactBytes <= 0 {
		o.MaxArtifactBytes = 16 << 20
	}
	root, err := os.OpenRoot(real)
	if err != nil {
		return nil, query.Invalidf("storeDir %s cannot be read: %v: set storeDir to the Nix store (default /nix/store)", store, err)
	}
	db, err := OpenDB(o.StateDir)
	if err != nil {
		root.Close()
		return nil, query.Upstreamf(err, "%v", err)
	}
	return &Source{x: newIndex(db, store, o.StateDir, o.Refresh), store: store, realDir: real, root: root, fast: openBeneath(real), dbFile: db.file,
		jdir: record.DefaultDir(o.StateDir), maxBytes: o.MaxArtifactBytes}, nil
}

// Close stops a refresh in flight and closes the store database.
func (s *Source) Close() error {
	_ = s.root.Close()
	s.fast.close()
	return s.x.close()
}

// Health counts the valid paths and the journal's records, e.g. "Reading the Nix store at
// /nix/store: 1234 valid paths; journal …: 12 recorded builds, 3 evaluations".
func (s *Source) Health(ctx context.Context) (string, error) {
	var n int64
	db := s.x.db.Load()
	if err := db.db.QueryRowContext(ctx, `SELECT count(*) FROM ValidPaths`).Scan(&n); err != nil {
		return "", s.upstream(db.wrap("checking the Nix store database", err))
	}
	msg := fmt.Sprintf("Reading the Nix store at %s: %d valid paths", s.store, n)
	snap, err := s.x.get(ctx)
	if err != nil {
		return "", s.upstream(err)
	}
	j := snap.j
	j.mu.RLock()
	msg += fmt.Sprintf("; journal %s: %d recorded builds, %d evaluations", j.file, len(j.recs), len(j.evals))
	if j.bad > 0 {
		msg += fmt.Sprintf(" (%d lines skipped)", j.bad)
	}
	j.mu.RUnlock()
	if snap.jerr != nil {
		msg += fmt.Sprintf("; the journal could not be read: %v", snap.jerr)
	}
	return msg, nil
}

func (s *Source) upstream(err error) error {
	var inv *query.InvalidError
	var up *query.UpstreamError
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.As(err, &inv) || errors.As(err, &up) {
		return err
	}
	return query.Upstreamf(err, "%v", err)
}

// BuildID is the id a store path has as a build: FNV-1a 64 of the path, cut to 63 bits.
func BuildID(storePath string) int64 {
	h := fnv.New64a()
	h.Write([]byte(storePath))
	return int64(h.Sum64() & math.MaxInt64)
}

// list lists the builds of job within w, newest first, at most w.Limit of them (<= 0:
// all), saying whether more were left out.
func (s *Source) list(ctx context.Context, job query.JobRef, w query.Window) ([]*item, bool, *snapshot, error) {
	if _, err := path.Match(job.Job, ""); err != nil || job.Job == "" {
		return nil, false, nil, query.Invalidf("job %q is not a derivation name or glob: use a name such as mybench-1 or a glob such as mybench-*", job.Job)
	}
	snap, err := s.x.get(ctx)
	if err != nil {
		return nil, false, nil, s.upstream(err)
	}
	items, truncated := window(s.x.lists.get(snap, newMatcher(job)), w)
	return items, truncated, snap, nil
}

// describe says where the builds of job in w come from, for ExecutedQueryString.
func (s *Source) describe(job query.JobRef, w query.Window) string {
	rec := job.Job
	if job.Project != "" || job.Jobset != "" {
		rec = job.String()
	}
	return fmt.Sprintf("valid paths matching %s in the Nix database %s and builds of %s recorded in %s, in [%s, %s] (in-memory index)",
		job.Job, s.dbFile, rec, filepath.Join(s.jdir, record.JournalFile), w.From.UTC().Format(time.RFC3339), w.To.UTC().Format(time.RFC3339))
}

// Builds implements query.Source: the valid paths whose name matches job.Job, and the
// recorded builds whose job (or derivation name) matches it and whose project and jobset
// are job's when given.
func (s *Source) Builds(ctx context.Context, job query.JobRef, w query.Window) (query.Listing, error) {
	items, truncated, _, err := s.list(ctx, job, w)
	if err != nil {
		return query.Listing{}, err
	}
	l := query.Listing{Truncated: truncated, Builds: make([]query.Build, len(items)),
		Requests: []string{s.describe(job, w)}}
	for i, it := range items {
		l.Builds[i] = it.build()
	}
	return l, nil
}

// Complete implements query.Source: the times are known already.
func (s *Source) Complete(context.Context, []query.Build) error { return nil }

// itemOf finds a build by its id in the index.
func (s *Source) itemOf(ctx context.Context, b query.Build) (*item, error) {
	snap, err := s.x.get(ctx)
	if err != nil {
		return nil, s.upstream(err)
	}
	if it := snap.ep.lookup(b.ID); it != nil {
		return it, nil
	}
	return nil, fmt.Errorf("build %d (%s) is neither a valid store path nor recorded: %w", b.ID, b.NixName, query.ErrNoArtifact)
}

// recent lists the newest n builds of job at any time.
func (s *Source) recent(ctx context.Context, job query.JobRef, n int) ([]*item, error) {
	items, _, _, err := s.list(ctx, job, query.Window{To: time.Now().Add(24 * time.Hour), Limit: n})
	return items, err
}

// BuildURLPrefix implements query.Source: store paths have no web page.
func (s *Source) BuildURLPrefix() string { return "" }
