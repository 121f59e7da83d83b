package nixstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/record"
)

// ArtifactURL implements query.Source.
func (s *Source) ArtifactURL(b query.Build, product string) string {
	return fmt.Sprintf("the file %s of %s/<hash>-%s (the journal's copy for recorded builds, else by nix-support/hydra-build-products, else the path inside the output)",
		product, s.store, b.NixName)
}

// Artifact implements query.Source: for a recorded build the journal's copy of the
// product (matched by name, else by path suffix); otherwise, or without a copy, the file
// of a valid output: a build product's name or path suffix
// (nix-support/hydra-build-products), else a relative path inside the output.
func (s *Source) Artifact(ctx context.Context, b query.Build, product string) ([]byte, error) {
	it, err := s.itemOf(ctx, b)
	if err != nil {
		return nil, err
	}
	if it.rec != nil {
		body, err := s.copyOf(ctx, it.rec, product)
		if err == nil || !errors.Is(err, record.ErrNoCopy) {
			return body, err
		}
	}
	if !it.valid {
		return nil, fmt.Errorf("the output %s of build %d was garbage-collected and the journal keeps no copy of %s: %w",
			it.path, it.id, product, query.ErrNoArtifact)
	}
	file, err := s.resolve(it.path, product)
	if err != nil {
		return nil, err
	}
	return s.readFile(file, s.maxBytes, product)
}

// copyOf reads the journal's copy of a recorded build's product, or fails with
// record.ErrNoCopy. The copy must resolve inside the journal's directory.
func (s *Source) copyOf(ctx context.Context, r *record.Record, product string) ([]byte, error) {
	var sha string
	suffix := "/" + strings.TrimLeft(product, "/")
	for _, a := range r.Products {
		if a.Name == product {
			sha = a.SHA256
			break
		}
		if sha == "" && strings.HasSuffix(a.Path, suffix) {
			sha = a.SHA256
		}
	}
	if len(sha) != 64 || strings.Trim(sha, "0123456789abcdef") != "" {
		return nil, record.ErrNoCopy
	}
	snap, err := s.x.get(ctx)
	if err != nil {
		return nil, s.upstream(err)
	}
	snap.j.mu.RLock()
	realDir := snap.j.realDir
	snap.j.mu.RUnlock()
	file := record.CopyPath(s.jdir, sha)
	real, err := filepath.EvalSymlinks(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, record.ErrNoCopy
	}
	if err != nil {
		return nil, query.Upstreamf(err, "reading the kept copy of %s: %v", product, err)
	}
	if fi, err := os.Lstat(real); realDir == "" || !strings.HasPrefix(real, realDir+"/") || err != nil || !fi.Mode().IsRegular() {
		return nil, query.Upstreamf(nil, "refused to read the kept copy of %s: %s is no regular file inside the journal directory %s", product, file, s.jdir)
	}
	body, err := record.ReadCopy(s.jdir, sha, s.maxBytes)
	if err != nil && !errors.Is(err, record.ErrNoCopy) {
		return nil, query.Upstreamf(err, "reading the kept copy of %s (%s): %v (maxArtifactBytes setting %d)", product, file, err, s.maxBytes)
	}
	return body, err
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
	s.opened.Add(1)
	if rel, ok := strings.CutPrefix(file, s.store+"/"); ok {
		switch body, size, r := s.fast.read(rel, max); r {
		case readDone:
			return body, nil
		case readMissing:
			return nil, missingFile(file)
		case readNotRegular:
			return nil, notRegular(file)
		case readTooLarge:
			return nil, tooLarge(what, size, max)
		}
	}
	f, err := s.open(file, what)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, query.Upstreamf(err, "reading %s: %v", file, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, notRegular(file)
	}
	if fi.Size() > max {
		return nil, tooLarge(what, fi.Size(), max)
	}
	// Store files never change: the size read is the size to read, in one go.
	body := make([]byte, fi.Size())
	if _, err := io.ReadFull(f, body); err != nil {
		return nil, query.Upstreamf(err, "reading %s: %v", file, err)
	}
	return body, nil
}

// readResult is how a fast read below the store (beneath) ended.
type readResult int

const (
	readDone       readResult = iota // the file's bytes
	readMissing                      // no such file
	readNotRegular                   // not a regular file
	readTooLarge                     // larger than asked for
	readSlow                         // not answered: read it with open
)

func notRegular(file string) error {
	return fmt.Errorf("%s is not a regular file: %w", file, query.ErrNoArtifact)
}

func tooLarge(what string, size, max int64) error {
	return query.Upstreamf(nil, "%s is %d bytes, more than the %d bytes this datasource reads (maxArtifactBytes setting)",
		what, size, max)
}

// open opens a file of the store, the portable way, for what beneath did not read. Below
// the store's root (os.Root: symlinks are followed while they stay inside) it opens one
// path component at a time; a symlink the root does not follow (an absolute one, or one
// leading out) is resolved, and refused when it leads outside.
func (s *Source) open(file, what string) (*os.File, error) {
	if rel, ok := strings.CutPrefix(file, s.store+"/"); ok {
		f, err := s.root.Open(rel)
		if err == nil {
			return f, nil
		}
		if errors.Is(err, fs.ErrNotExist) {
			return nil, missingFile(file)
		}
	}
	real, err := filepath.EvalSymlinks(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, missingFile(file)
	}
	if err != nil {
		return nil, query.Upstreamf(err, "reading %s: %v", file, err)
	}
	if !strings.HasPrefix(real, s.realDir+"/") {
		return nil, query.Upstreamf(nil, "refused to read %s: it resolves to %s, outside the Nix store %s", what, real, s.store)
	}
	f, err := os.Open(real)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, missingFile(file)
	}
	if err != nil {
		return nil, query.Upstreamf(err, "reading %s: %v", file, err)
	}
	return f, nil
}

// missingFile is a file that does not exist, wrapping query.ErrNoArtifact; its message
// is made only when shown (most such errors are a hydra-build-products probed for).
type missingFile string

func (m missingFile) Error() string {
	return string(m) + " does not exist: " + query.ErrNoArtifact.Error()
}
func (m missingFile) Is(e error) bool { return e == query.ErrNoArtifact }

// ProductNames implements query.Catalog: the newest build's kept copies (when recorded),
// build products and top-level regular files.
func (s *Source) ProductNames(ctx context.Context, job query.JobRef) ([]query.Item, error) {
	items := []query.Item{}
	newest, err := s.recent(ctx, job, 1)
	if err != nil || len(newest) == 0 {
		return items, err
	}
	it := newest[0]
	seen := map[string]bool{}
	add := func(name string) {
		if name != "" && !seen[name] {
			seen[name] = true
			items = append(items, query.Item{Value: name})
		}
	}
	if it.rec != nil {
		for _, a := range it.rec.Products {
			add(a.Name)
		}
	}
	if !it.valid {
		return items, nil
	}
	if body, err := s.readFile(filepath.Join(it.path, "nix-support", "hydra-build-products"), MaxFileSize, ""); err == nil {
		ps, _ := ParseProducts(bytes.NewReader(body), s.store, []string{it.path})
		for _, p := range ps {
			add(p.Name)
		}
	}
	var entries []os.DirEntry
	if real, err := filepath.EvalSymlinks(it.path); err == nil && strings.HasPrefix(real, s.realDir+"/") {
		entries, _ = os.ReadDir(real)
	}
	for _, e := range entries {
		if e.Type().IsRegular() {
			add(e.Name())
		}
	}
	return items, nil
}
