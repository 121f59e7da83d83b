package recorder

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/record"
)

// maxSpooled bounds one spooled entry (a record with its artifact contents).
const maxSpooled = 256 << 20

// Spool holds entries (records with their artifact contents, or evals) that are still to
// be delivered to the index, one file each, so that nothing is lost while the database is
// unreachable. Files are written whole (to a temporary name, then renamed) and delivered
// oldest first; one that cannot be read is moved to bad/ and reported.
type Spool struct{ dir string }

// NewSpool keeps the spool in dir/spool.
func NewSpool(dir string) *Spool { return &Spool{dir: filepath.Join(dir, "spool")} }

// Dir is the spool's directory.
func (s *Spool) Dir() string { return s.dir }

// Put writes one entry and returns its file.
func (s *Spool) Put(e record.Entry) (string, error) {
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return "", fmt.Errorf("creating the spool: %w", err)
	}
	e.Version = record.Version
	b, err := json.Marshal(e)
	if err != nil {
		return "", fmt.Errorf("encoding the spooled entry: %w", err)
	}
	rnd := make([]byte, 4)
	_, _ = rand.Read(rnd)
	name := fmt.Sprintf("%020d-%d-%s.json", time.Now().UnixNano(), os.Getpid(), hex.EncodeToString(rnd))
	tmp, err := os.CreateTemp(s.dir, ".tmp-*")
	if err != nil {
		return "", fmt.Errorf("spooling: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return "", fmt.Errorf("spooling: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return "", fmt.Errorf("spooling: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("spooling: %w", err)
	}
	file := filepath.Join(s.dir, name)
	return file, os.Rename(tmp.Name(), file)
}

// Pending lists the spooled files, oldest first.
func (s *Spool) Pending() ([]string, error) {
	ents, err := os.ReadDir(s.dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the spool: %w", err)
	}
	var out []string
	for _, e := range ents {
		if e.Type().IsRegular() && strings.HasSuffix(e.Name(), ".json") && !strings.HasPrefix(e.Name(), ".") {
			out = append(out, filepath.Join(s.dir, e.Name()))
		}
	}
	sort.Strings(out)
	return out, nil
}

// Load reads one spooled entry; an unreadable one is moved to bad/ and reported.
func (s *Spool) Load(file string) (record.Entry, error) {
	var e record.Entry
	fi, err := os.Stat(file)
	if err != nil {
		return e, err
	}
	if fi.Size() > maxSpooled {
		return e, s.bad(file, fmt.Errorf("%d bytes, more than %d", fi.Size(), maxSpooled))
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return e, err
	}
	if err := json.Unmarshal(b, &e); err != nil {
		return e, s.bad(file, err)
	}
	if (e.Kind == record.KindBuild && e.Build == nil) || (e.Kind == record.KindEval && e.Eval == nil) ||
		(e.Kind != record.KindBuild && e.Kind != record.KindEval) {
		return e, s.bad(file, errors.New("neither a build nor an eval"))
	}
	return e, nil
}

// ErrBadSpoolFile marks a spooled file that could not be read; it was moved to bad/.
var ErrBadSpoolFile = errors.New("unreadable spool file moved aside")

func (s *Spool) bad(file string, why error) error {
	dst := filepath.Join(s.dir, "bad", filepath.Base(file))
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err == nil {
		_ = os.Rename(file, dst)
	}
	return fmt.Errorf("%w: %s (%v)", ErrBadSpoolFile, dst, why)
}

// Done removes a delivered file (already removed by another process is fine).
func (s *Spool) Done(file string) error {
	if err := os.Remove(file); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}
