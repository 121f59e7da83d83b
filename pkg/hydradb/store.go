package hydradb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

// readLocal reads file from the local store when it lies under StoreDir and exists there.
// ok is false when the file is not local (then it is downloaded instead). Paths outside
// StoreDir are never read, and neither are symlinks that lead out of it or files over
// MaxArtifactBytes.
func (s *Source) readLocal(file string) (body []byte, ok bool, err error) {
	file = filepath.Clean(file)
	rel, under := strings.CutPrefix(file, s.opts.StoreDir+"/")
	if !under {
		return nil, false, nil
	}
	root, err := os.OpenRoot(s.opts.StoreDir)
	if err != nil {
		return nil, false, nil // no local store here: Grafana runs elsewhere than Hydra
	}
	defer root.Close()
	// os.Root confines the open to the store and follows only relative symlinks that stay
	// inside it, which a product's file usually needs none of; the absolute symlinks
	// between store paths take the longer way.
	f, err := root.Open(rel)
	switch {
	case errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR):
		return nil, false, nil // garbage-collected, or never copied here
	case err != nil:
		if f, ok, err = s.openLinked(file); f == nil {
			return nil, ok, err
		}
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, true, &query.UpstreamError{Err: err, Msg: fmt.Sprintf("cannot read %s from the local store: %v", file, err)}
	}
	if fi.IsDir() {
		return nil, true, query.Invalidf("%s is a directory: name a file inside it as the product, e.g. %s/<file>", file, strings.TrimPrefix(rel, "/"))
	}
	if fi.Size() > s.opts.MaxArtifactBytes {
		return nil, true, s.tooLarge(file, fi.Size())
	}
	return s.readCapped(file, f)
}

// openLinked opens a store file whose path crosses absolute symlinks: it resolves them,
// insists that the file still lies in the store, and opens it there. f is nil when the
// file is not local (ok false) or cannot be read (err).
func (s *Source) openLinked(file string) (f *os.File, ok bool, err error) {
	store, err := filepath.EvalSymlinks(s.opts.StoreDir)
	if err != nil {
		return nil, false, nil
	}
	real, err := filepath.EvalSymlinks(file)
	switch {
	case errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR):
		return nil, false, nil // garbage-collected, or never copied here
	case err != nil:
		return nil, true, &query.UpstreamError{Err: err, Msg: fmt.Sprintf("cannot read %s from the local store: %v", file, err)}
	}
	rel, under := strings.CutPrefix(real, store+"/")
	if !under {
		return nil, true, &query.UpstreamError{Msg: fmt.Sprintf(
			"refusing to read %s: it is a symlink that leads out of the store directory %s", file, s.opts.StoreDir)}
	}
	root, err := os.OpenRoot(store)
	if err != nil {
		return nil, false, nil
	}
	defer root.Close()
	if f, err = root.Open(rel); err != nil { // os.Root also refuses a symlink swapped in since
		return nil, true, &query.UpstreamError{Err: err, Msg: fmt.Sprintf("cannot read %s from the local store: %v", file, err)}
	}
	return f, true, nil
}

// readCapped reads at most MaxArtifactBytes, refusing anything longer.
func (s *Source) readCapped(what string, r io.Reader) ([]byte, bool, error) {
	body, err := io.ReadAll(io.LimitReader(r, s.opts.MaxArtifactBytes+1))
	if err != nil {
		return nil, true, &query.UpstreamError{Err: err, Msg: fmt.Sprintf("reading %s failed: %v", what, err)}
	}
	if int64(len(body)) > s.opts.MaxArtifactBytes {
		return nil, true, s.tooLarge(what, -1)
	}
	return body, true, nil
}

func (s *Source) tooLarge(what string, size int64) error {
	got := "more than " + strconv.FormatInt(s.opts.MaxArtifactBytes, 10)
	if size > 0 {
		got = strconv.FormatInt(size, 10)
	}
	return &query.UpstreamError{HTTPStatus: http.StatusRequestEntityTooLarge, Msg: fmt.Sprintf(
		"%s is %s bytes, over the datasource's limit of %d bytes (maxArtifactBytes): raise the limit or pick a smaller product",
		what, got, s.opts.MaxArtifactBytes)}
}

// download reads a product from Hydra's web server. 404 (no such file, or garbage-
// collected) and 410 mean the build has no artifact any more.
func (s *Source) download(ctx context.Context, path string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	defer cancel()
	u := s.opts.HydraURL + path
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, query.Invalidf("cannot build a request for %s: %v", u, err)
	}
	resp, err := s.opts.HTTP.Do(req)
	if err != nil {
		if ctx.Err() != nil && errors.Is(err, context.DeadlineExceeded) {
			return nil, &query.UpstreamError{Err: err, Msg: fmt.Sprintf(
				"Hydra did not answer %s within the datasource's timeout (%s)", u, s.opts.Timeout)}
		}
		return nil, &query.UpstreamError{Err: err, Msg: fmt.Sprintf("cannot download %s from Hydra: %v", u, err)}
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		return nil, fmt.Errorf("Hydra has nothing at %s (%d): %w", u, resp.StatusCode, query.ErrNoArtifact)
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return nil, &query.UpstreamError{HTTPStatus: resp.StatusCode, Msg: fmt.Sprintf(
			"Hydra refused %s (%d): the hydradb source downloads anonymously, so a private Hydra's products can only be read "+
				"from the local store (run Grafana on the Hydra host, with storeDir set)", u, resp.StatusCode)}
	case resp.StatusCode != http.StatusOK:
		return nil, &query.UpstreamError{HTTPStatus: resp.StatusCode, Msg: fmt.Sprintf("Hydra answered %s with status %d", u, resp.StatusCode)}
	}
	if resp.ContentLength > s.opts.MaxArtifactBytes {
		return nil, s.tooLarge(u, resp.ContentLength)
	}
	body, _, err := s.readCapped(u, resp.Body)
	return body, err
}
