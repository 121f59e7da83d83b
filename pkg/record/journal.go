package record

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// DirName is the journal's directory below the Nix state directory.
const DirName = "nixci-artifacts"

// JournalFile is the name of the journal inside its directory.
const JournalFile = "journal.jsonl"

// DefaultDir is where the journal of a Nix state directory lives: <stateDir>/nixci-artifacts.
func DefaultDir(stateDir string) string { return filepath.Join(stateDir, DirName) }

// maxLine bounds one journal line when reading (records hold no contents, only hashes).
const maxLine = 16 << 20

// Kinds of journal lines.
const (
	KindBuild = "build"
	KindEval  = "eval"
)

// Entry is one journal line.
type Entry struct {
	Version int     `json:"v"`
	Kind    string  `json:"kind"`
	Build   *Record `json:"build,omitempty"`
	Eval    *Eval   `json:"eval,omitempty"`
}

// Journal appends to the journal in one directory. Appends from several processes at once
// are serialised by a lock on the file, so no line is torn or lost.
type Journal struct{ dir string }

// OpenJournal creates dir (and its artifacts directory) when missing.
func OpenJournal(dir string) (*Journal, error) {
	if err := os.MkdirAll(filepath.Join(dir, "artifacts"), 0o755); err != nil {
		return nil, fmt.Errorf("creating the journal directory: %w", err)
	}
	return &Journal{dir: dir}, nil
}

// Dir is the journal's directory.
func (j *Journal) Dir() string { return j.dir }

// AppendBuild copies r's artifact contents into the content-addressed store beside the
// journal, then appends r without the contents.
func (j *Journal) AppendBuild(r Record) error {
	if err := r.Validate(); err != nil {
		return err
	}
	kept := make([]Artifact, len(r.Products))
	for i, a := range r.Products {
		if a.Content != nil {
			sha, err := j.keep(a)
			if err != nil {
				return err
			}
			a.SHA256, a.Size = sha, int64(len(a.Content))
		}
		a.Content = nil
		kept[i] = a
	}
	r.Products = kept
	return j.append(Entry{Version: Version, Kind: KindBuild, Build: &r})
}

// AppendEval appends an imported evaluation.
func (j *Journal) AppendEval(e Eval) error {
	return j.append(Entry{Version: Version, Kind: KindEval, Eval: &e})
}

// keep writes a's content to artifacts/<sha256[:2]>/<sha256> unless it is there already,
// and returns the hash.
func (j *Journal) keep(a Artifact) (string, error) {
	sum := sha256.Sum256(a.Content)
	sha := hex.EncodeToString(sum[:])
	if a.SHA256 != "" && a.SHA256 != sha {
		return "", fmt.Errorf("artifact %s: content does not match its SHA-256 %s", a.Name, a.SHA256)
	}
	dst := CopyPath(j.dir, sha)
	if _, err := os.Stat(dst); err == nil {
		return sha, nil
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return "", fmt.Errorf("keeping artifact %s: %w", a.Name, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".tmp-*")
	if err != nil {
		return "", fmt.Errorf("keeping artifact %s: %w", a.Name, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(a.Content); err != nil {
		tmp.Close()
		return "", fmt.Errorf("keeping artifact %s: %w", a.Name, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("keeping artifact %s: %w", a.Name, err)
	}
	return sha, os.Rename(tmp.Name(), dst)
}

func (j *Journal) append(e Entry) error {
	line, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encoding the journal line: %w", err)
	}
	line = append(line, '\n')
	f, err := os.OpenFile(filepath.Join(j.dir, JournalFile), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("opening the journal: %w", err)
	}
	defer f.Close()
	if err := lockFile(f); err != nil {
		return fmt.Errorf("locking the journal: %w", err)
	}
	if _, err := f.Write(line); err != nil {
		return fmt.Errorf("appending to the journal: %w", err)
	}
	return f.Sync()
}

// CopyPath is where the copy of the artifact with this SHA-256 (hex) is kept.
func CopyPath(dir, sha string) string {
	if len(sha) < 2 {
		return filepath.Join(dir, "artifacts", "invalid")
	}
	return filepath.Join(dir, "artifacts", sha[:2], sha)
}

// ErrNoCopy means no copy of an artifact is kept.
var ErrNoCopy = errors.New("no copy of the artifact is kept")

// ReadCopy reads the kept copy of an artifact, at most max bytes. Only a regular file is
// read: a symlink or anything else in its place is refused.
func ReadCopy(dir, sha string, max int64) ([]byte, error) {
	if len(sha) != 64 || strings.Trim(sha, "0123456789abcdef") != "" {
		return nil, fmt.Errorf("artifact hash %q is not a SHA-256: %w", sha, ErrNoCopy)
	}
	file := CopyPath(dir, sha)
	fi, err := os.Lstat(file)
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNoCopy
	}
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("the kept copy %s is not a regular file: refused", file)
	}
	f, err := os.OpenFile(file, os.O_RDONLY|syscallNoFollow, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	body, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(body)) > max {
		return nil, fmt.Errorf("the kept artifact is more than %d bytes", max)
	}
	return body, nil
}

// ReadJournal reads the journal in dir from byte offset on, calling fn with each complete
// line, and returns the offset after the last complete line (a line being written is left
// for the next read). Lines that are not valid entries are counted in bad and skipped. A
// missing journal reads as empty. A journal shorter than offset (replaced) reads from 0.
func ReadJournal(dir string, offset int64, fn func(Entry) error) (next int64, bad int, err error) {
	f, err := os.Open(filepath.Join(dir, JournalFile))
	if errors.Is(err, os.ErrNotExist) {
		return 0, 0, nil
	}
	if err != nil {
		return offset, 0, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() < offset {
		offset = 0
	}
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return offset, 0, err
	}
	br := bufio.NewReaderSize(f, 64<<10)
	next = offset
	for {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			// A line longer than the buffer: gather it, bounded; past the bound it is
			// skipped (read up to its newline) and counted as bad.
			long := append([]byte(nil), line...)
			size := int64(len(line))
			for errors.Is(err, bufio.ErrBufferFull) {
				line, err = br.ReadSlice('\n')
				size += int64(len(line))
				if len(long) <= maxLine {
					long = append(long, line...)
				}
			}
			if err == nil && size > maxLine {
				next += size
				bad++
				continue
			}
			line = long
		}
		if err == io.EOF {
			return next, bad, nil // an incomplete last line waits for its writer
		}
		if err != nil {
			return next, bad, err
		}
		next += int64(len(line))
		var e Entry
		if json.Unmarshal(line, &e) != nil || !e.valid() {
			bad++
			continue
		}
		if err := fn(e); err != nil {
			return next, bad, err
		}
	}
}

func (e Entry) valid() bool {
	switch e.Kind {
	case KindBuild:
		return e.Build != nil && e.Build.Validate() == nil
	case KindEval:
		return e.Eval != nil
	}
	return false
}
