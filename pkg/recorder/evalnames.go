package recorder

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/record"
)

// Naming is what an imported evaluation says of one derivation: its job is the attribute.
type Naming struct {
	Project string `json:"project"`
	Jobset  string `json:"jobset"`
	Attr    string `json:"attr"`
	Commit  string `json:"commit,omitempty"`
}

// Names maps derivations and output paths of imported evaluations to their attributes, one
// small file per store path in <journal dir>/names, so a post-build-hook names its build
// with one lookup. The zero value (or nil) knows no names.
type Names struct{ dir string }

// NewNames keeps names below the journal directory dir.
func NewNames(dir string) *Names { return &Names{dir: filepath.Join(dir, "names")} }

// Put remembers the attribute of every job of e, by derivation and by output path.
func (n *Names) Put(e record.Eval) error {
	if err := os.MkdirAll(n.dir, 0o755); err != nil {
		return fmt.Errorf("keeping the eval's names: %w", err)
	}
	for _, j := range e.Jobs {
		if j.Error != "" {
			continue
		}
		b, _ := json.Marshal(Naming{Project: e.Project, Jobset: e.Jobset, Attr: j.Attr, Commit: e.Commit})
		keys := []string{j.DrvPath}
		for _, o := range j.Outputs {
			keys = append(keys, o.Path)
		}
		for _, k := range keys {
			f := n.file(k)
			if f == "" {
				continue
			}
			tmp := f + ".tmp" + fmt.Sprint(os.Getpid())
			if err := os.WriteFile(tmp, b, 0o644); err != nil {
				return fmt.Errorf("keeping the eval's names: %w", err)
			}
			if err := os.Rename(tmp, f); err != nil {
				return fmt.Errorf("keeping the eval's names: %w", err)
			}
		}
	}
	return nil
}

// Lookup finds the naming of the derivation drv, else of the output out.
func (n *Names) Lookup(drv, out string) (Naming, bool) {
	if n == nil || n.dir == "" {
		return Naming{}, false
	}
	for _, k := range []string{drv, out} {
		f := n.file(k)
		if f == "" {
			continue
		}
		b, err := os.ReadFile(f)
		if errors.Is(err, os.ErrNotExist) || err != nil {
			continue
		}
		var nm Naming
		if json.Unmarshal(b, &nm) == nil && nm.Attr != "" {
			return nm, true
		}
	}
	return Naming{}, false
}

// file is the name file of a store path, "" for anything that is not one.
func (n *Names) file(storePath string) string {
	base := filepath.Base(storePath)
	if storePath == "" || len(base) < 34 || strings.ContainsAny(base, "/\x00") || strings.HasPrefix(base, ".") {
		return ""
	}
	return filepath.Join(n.dir, base)
}
