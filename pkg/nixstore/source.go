package nixstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"math"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

// Options configure a store Source.
type Options struct {
	StoreDir         string // absolute, e.g. /nix/store
	StateDir         string // the Nix state directory holding db/db.sqlite, e.g. /nix/var/nix
	MaxArtifactBytes int64  // largest artifact read; default 16 MiB
}

// maxRemembered bounds the id → store path map that Builds fills for Artifact.
const maxRemembered = 1 << 16

// Source is the `store` source: the builds of a job are the valid store paths whose name
// matches the job (an exact name or a glob such as mybench-*), newest registration first.
//
// Every path is one finished, succeeded build:
//   - ID is a stable 63-bit hash (FNV-1a) of the store path (the database row id is not
//     exposed); Artifact maps it back through the paths Builds listed, else by looking the
//     build's name up again.
//   - Timestamp and Stop are the registration time (when the output became valid, i.e. the
//     end of the build); Start is zero as the duration is unknown.
//
// Files are read only below StoreDir, after resolving symlinks. It is safe for concurrent use.
type Source struct {
	db       *DB
	store    string // StoreDir, cleaned
	realDir  string // StoreDir with its symlinks resolved
	dbFile   string
	maxBytes int64

	mu    sync.Mutex
	paths map[int64]string
}

var (
	_ query.Source  = (*Source)(nil)
	_ query.Catalog = (*Source)(nil)
)

// NewSource opens the store database <StateDir>/db/db.sqlite read-only.
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
	db, err := OpenDB(o.StateDir)
	if err != nil {
		return nil, query.Upstreamf(err, "%v", err)
	}
	return &Source{db: db, store: store, realDir: real, dbFile: db.file, maxBytes: o.MaxArtifactBytes,
		paths: map[int64]string{}}, nil
}

// Close closes the store database.
func (s *Source) Close() error { return s.db.Close() }

// Health counts the valid paths, e.g. "Reading the Nix store at /nix/store: 1234 valid paths".
func (s *Source) Health(ctx context.Context) (string, error) {
	var n int64
	if err := s.db.db.QueryRowContext(ctx, `SELECT count(*) FROM ValidPaths`).Scan(&n); err != nil {
		return "", s.upstream(s.db.wrap("checking the Nix store database", err))
	}
	return fmt.Sprintf("Reading the Nix store at %s: %d valid paths", s.store, n), nil
}

func (s *Source) upstream(err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
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

// list lists the paths matching glob registered in [w.From, w.To], newest first, at most
// limit+1 of them (limit <= 0: all).
func (s *Source) list(ctx context.Context, glob string, w query.Window) ([]Path, bool, error) {
	if _, err := path.Match(glob, ""); err != nil || glob == "" {
		return nil, false, query.Invalidf("job %q is not a derivation name or glob: use a name such as mybench-1 or a glob such as mybench-*", glob)
	}
	want := 0
	if w.Limit > 0 {
		want = w.Limit + 1
	}
	lim := want
	for {
		ps, err := s.db.Paths(ctx, glob, w.From, lim)
		if err != nil {
			return nil, false, s.upstream(err)
		}
		skip := 0
		for skip < len(ps) && !w.To.IsZero() && ps[skip].Registered.After(w.To) {
			skip++
		}
		kept := ps[skip:]
		// Paths registered after To took places of the limit: ask again for more.
		if lim > 0 && len(ps) == lim && len(kept) < want {
			lim = skip + want
			continue
		}
		truncated := want > 0 && len(kept) > w.Limit
		if truncated {
			kept = kept[:w.Limit]
		}
		return kept, truncated, nil
	}
}

// Builds implements query.Source: the valid paths whose name matches job.Job.
func (s *Source) Builds(ctx context.Context, job query.JobRef, w query.Window) (query.Listing, error) {
	ps, truncated, err := s.list(ctx, job.Job, w)
	if err != nil {
		return query.Listing{}, err
	}
	l := query.Listing{Truncated: truncated, Builds: make([]query.Build, 0, len(ps)),
		Requests: []string{fmt.Sprintf("Nix database %s: valid paths matching %s registered in [%s, %s]",
			s.dbFile, job.Job, w.From.UTC().Format(time.RFC3339), w.To.UTC().Format(time.RFC3339))}}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range ps {
		id := BuildID(p.Path)
		if _, ok := s.paths[id]; !ok && len(s.paths) >= maxRemembered {
			clear(s.paths)
		}
		s.paths[id] = p.Path
		j := job
		j.Job = p.Name
		l.Builds = append(l.Builds, query.Build{ID: id, Job: j, Finished: true, Status: 0,
			Timestamp: p.Registered, Stop: p.Registered, NixName: p.Name})
	}
	return l, nil
}

// Complete implements query.Source: the times are known already.
func (s *Source) Complete(context.Context, []query.Build) error { return nil }

// pathOf finds the store path of a build listed before, else looks its name up again.
func (s *Source) pathOf(ctx context.Context, b query.Build) (string, error) {
	s.mu.Lock()
	p, ok := s.paths[b.ID]
	s.mu.Unlock()
	if ok {
		return p, nil
	}
	name := b.NixName
	if name == "" {
		name = b.Job.Job
	}
	if name != "" {
		ps, err := s.db.Paths(ctx, globEscape(name), time.Time{}, 0)
		if err != nil {
			return "", s.upstream(err)
		}
		for _, p := range ps {
			if BuildID(p.Path) == b.ID {
				return p.Path, nil
			}
		}
	}
	return "", fmt.Errorf("store path of build %d (%s) is no longer valid: %w", b.ID, name, query.ErrNoArtifact)
}

// globEscape quotes path.Match's special characters so that name matches only itself.
func globEscape(name string) string {
	return strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`, `[`, `\[`).Replace(name)
}

// ArtifactURL implements query.Source.
func (s *Source) ArtifactURL(b query.Build, product string) string {
	return fmt.Sprintf("the file %s of %s/<hash>-%s (by nix-support/hydra-build-products, else the path inside the output)",
		product, s.store, b.NixName)
}

// Artifact implements query.Source: product is a build product's name or path suffix
// (nix-support/hydra-build-products), else a relative path inside the output.
func (s *Source) Artifact(ctx context.Context, b query.Build, product string) ([]byte, error) {
	out, err := s.pathOf(ctx, b)
	if err != nil {
		return nil, err
	}
	file, err := s.resolve(out, product)
	if err != nil {
		return nil, err
	}
	return s.readFile(file, s.maxBytes, product)
}

// resolve names the file of product in the output out, not yet checked against symlinks.
func (s *Source) resolve(out, product string) (string, error) {
	if product == "" {
		return "", query.Invalidf("no product given: name a file of the output such as bench.json")
	}
	if body, err := s.readFile(filepath.Join(out, "nix-support", "hydra-build-products"), MaxFileSize, ""); err == nil {
		ps, _ := ParseProducts(bytes.NewReader(body), s.store, []string{out})
		for _, p := range ps {
			if p.Path != out && (p.Name == product || strings.HasSuffix(p.Path, "/"+strings.TrimLeft(product, "/"))) {
				return p.Path, nil
			}
		}
	} else if !errors.Is(err, query.ErrNoArtifact) {
		return "", err
	}
	rel := filepath.Clean(product)
	if filepath.IsAbs(product) || rel == "." || rel == ".." || strings.HasPrefix(rel, "../") {
		return "", query.Invalidf("product %q must be a name or a relative path inside the build's output, without ..", product)
	}
	return filepath.Join(out, rel), nil
}

// readFile reads file, refusing one that resolves outside the store (after symlinks), is
// not a regular file or is larger than max. A missing file wraps query.ErrNoArtifact.
func (s *Source) readFile(file string, max int64, product string) ([]byte, error) {
	what := product
	if what == "" {
		what = file
	}
	real, err := filepath.EvalSymlinks(file)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s does not exist: %w", file, query.ErrNoArtifact)
	}
	if err != nil {
		return nil, query.Upstreamf(err, "reading %s: %v", file, err)
	}
	if !strings.HasPrefix(real, s.realDir+"/") {
		return nil, query.Upstreamf(nil, "refused to read %s: it resolves to %s, outside the Nix store %s", what, real, s.store)
	}
	f, err := os.Open(real)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s does not exist: %w", file, query.ErrNoArtifact)
		}
		return nil, query.Upstreamf(err, "reading %s: %v", file, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, query.Upstreamf(err, "reading %s: %v", file, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file: %w", file, query.ErrNoArtifact)
	}
	if fi.Size() > max {
		return nil, query.Upstreamf(nil, "%s is %d bytes, more than the %d bytes this datasource reads (maxArtifactBytes setting)",
			what, fi.Size(), max)
	}
	body, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, query.Upstreamf(err, "reading %s: %v", file, err)
	}
	if int64(len(body)) > max {
		return nil, query.Upstreamf(nil, "%s is more than the %d bytes this datasource reads (maxArtifactBytes setting)", what, max)
	}
	return body, nil
}

// metrics reads the output's nix-support/hydra-metrics; none when it has no such file.
func (s *Source) metrics(out string) ([]Metric, error) {
	body, err := s.readFile(filepath.Join(out, "nix-support", "hydra-metrics"), MaxFileSize, "")
	if errors.Is(err, query.ErrNoArtifact) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	ms, _ := ParseMetrics(bytes.NewReader(body))
	return ms, nil
}

// Metric implements query.Source: the named metric of every build in w, oldest first.
func (s *Source) Metric(ctx context.Context, job query.JobRef, name string, w query.Window) ([]query.MetricPoint, []string, error) {
	l, err := s.Builds(ctx, job, w)
	if err != nil {
		return nil, nil, err
	}
	var pts []query.MetricPoint
	for i := len(l.Builds) - 1; i >= 0; i-- {
		b := l.Builds[i]
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		out, err := s.pathOf(ctx, b)
		if err != nil {
			continue
		}
		ms, err := s.metrics(out)
		if err != nil {
			return nil, nil, err
		}
		for _, m := range ms {
			if m.Name == name {
				pts = append(pts, query.MetricPoint{Build: b.ID, Timestamp: b.Timestamp, Value: m.Value, Unit: m.Unit})
			}
		}
	}
	return pts, append(l.Requests, "then nix-support/hydra-metrics of each path"), nil
}

// recent lists the newest n builds of job at any time.
func (s *Source) recent(ctx context.Context, job query.JobRef, n int) ([]query.Build, error) {
	l, err := s.Builds(ctx, job, query.Window{To: time.Now().Add(24 * time.Hour), Limit: n})
	return l.Builds, err
}

// MetricNames implements query.Source: the metric names of the newest 5 builds.
func (s *Source) MetricNames(ctx context.Context, job query.JobRef) ([]string, error) {
	builds, err := s.recent(ctx, job, 5)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var names []string
	for _, b := range builds {
		out, err := s.pathOf(ctx, b)
		if err != nil {
			continue
		}
		ms, err := s.metrics(out)
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			if !seen[m.Name] {
				seen[m.Name] = true
				names = append(names, m.Name)
			}
		}
	}
	return names, nil
}

// Origins implements query.Source: a store knows no evaluations or commits.
func (s *Source) Origins(context.Context, query.JobRef, []query.Build) (map[int64]query.Origin, error) {
	return map[int64]query.Origin{}, nil
}

// BuildURLPrefix implements query.Source: store paths have no web page.
func (s *Source) BuildURLPrefix() string { return "" }

// Projects implements query.Catalog: a store has no projects.
func (s *Source) Projects(context.Context) ([]query.Item, error) { return []query.Item{}, nil }

// Jobsets implements query.Catalog: a store has no jobsets.
func (s *Source) Jobsets(context.Context, string) ([]query.Item, error) { return []query.Item{}, nil }

// JobNames implements query.Catalog: not listed (the job is a name or glob typed in).
func (s *Source) JobNames(context.Context, string, string) ([]query.Item, error) {
	return []query.Item{}, nil
}

// ProductNames implements query.Catalog: the build products and top-level regular files of
// the newest build of job.
func (s *Source) ProductNames(ctx context.Context, job query.JobRef) ([]query.Item, error) {
	builds, err := s.recent(ctx, job, 1)
	if err != nil || len(builds) == 0 {
		return []query.Item{}, err
	}
	out, err := s.pathOf(ctx, builds[0])
	if err != nil {
		return []query.Item{}, nil
	}
	items := []query.Item{}
	seen := map[string]bool{}
	if body, err := s.readFile(filepath.Join(out, "nix-support", "hydra-build-products"), MaxFileSize, ""); err == nil {
		ps, _ := ParseProducts(bytes.NewReader(body), s.store, []string{out})
		for _, p := range ps {
			if p.Name != "" && !seen[p.Name] {
				seen[p.Name] = true
				items = append(items, query.Item{Value: p.Name})
			}
		}
	}
	var entries []os.DirEntry
	if real, err := filepath.EvalSymlinks(out); err == nil && strings.HasPrefix(real, s.realDir+"/") {
		entries, _ = os.ReadDir(real)
	}
	for _, e := range entries {
		if e.Type().IsRegular() && !seen[e.Name()] {
			seen[e.Name()] = true
			items = append(items, query.Item{Value: e.Name()})
		}
	}
	return items, nil
}
