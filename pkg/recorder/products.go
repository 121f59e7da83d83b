package recorder

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/nixstore"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/record"
)

// products keeps the files declared in each output's nix-support/hydra-build-products
// (regular files only: directories such as a `doc` product are not copied) and the
// files named by --artifact (a product name, else a path inside the main output).
func (c collector) products(extra []string, warn []string) ([]record.Artifact, []string) {
	var out []record.Artifact
	seen := map[string]bool{}
	var declared []nixstore.Product
	for _, o := range c.outs {
		b, err := c.read(filepath.Join(o, "nix-support", "hydra-build-products"), nixstore.MaxFileSize)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			warn = append(warn, "products: "+err.Error())
			continue
		}
		ps, err := nixstore.ParseProducts(bytes.NewReader(b), c.st.Dir, c.outs)
		if err != nil {
			warn = append(warn, fmt.Sprintf("products of %s: %v", o, err))
		}
		declared = append(declared, ps...)
	}
	keep := func(name, file string, explicit bool) {
		if seen[file] {
			return
		}
		seen[file] = true
		body, err := c.read(file, c.st.MaxBytes)
		if err != nil {
			// Declared directories (doc, report) are expected; say so only for what was asked.
			if explicit || !isDirErr(err) {
				warn = append(warn, fmt.Sprintf("artifact %s: %v", name, err))
			}
			return
		}
		sum := sha256.Sum256(body)
		out = append(out, record.Artifact{Name: name, Path: file, Size: int64(len(body)),
			SHA256: hex.EncodeToString(sum[:]), Content: body})
	}
	for _, p := range declared {
		n := p.Name
		if n == "" {
			n = filepath.Base(p.Path)
		}
		keep(n, p.Path, false)
	}
	for _, a := range extra {
		file, ok := "", false
		for _, p := range declared {
			if p.Name == a {
				file, ok = p.Path, true
			}
		}
		if !ok {
			rel := filepath.Clean(a)
			if filepath.IsAbs(a) || rel == "." || rel == ".." || strings.HasPrefix(rel, "../") {
				warn = append(warn, fmt.Sprintf("artifact %q must be a product name or a relative path inside the output, without ..", a))
				continue
			}
			file = filepath.Join(c.main, rel)
		}
		keep(a, file, true)
	}
	return out, warn
}

func isDirErr(err error) bool { return errors.Is(err, errNotRegular) }
