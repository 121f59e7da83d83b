package recorder

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/nixstore"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/record"
)

// Input is what one `record` call was told about a build.
type Input struct {
	DrvPath              string   // DRV_PATH or --drv
	OutPaths             []string // OUT_PATHS, or the store paths the result links point to
	Project, Jobset, Job string   // flags; Job "" derives it
	Commit               string   // flag or CI environment
	Artifacts            []string // --artifact: product names or paths inside the main output
	Status               int
	Time                 time.Time
	Host                 string
}

// Store says where the Nix store is and how much of an artifact is kept.
type Store struct {
	Dir      string // e.g. /nix/store
	MaxBytes int64  // largest artifact file kept
}

// Collect gathers the build described by in into a record. Problems that leave a usable
// record (a missing artifact, a malformed metrics line) are returned as warnings.
func Collect(in Input, st Store, names *Names) (record.Record, []string, error) {
	var warn []string
	realStore, err := filepath.EvalSymlinks(st.Dir)
	if err != nil {
		return record.Record{}, nil, fmt.Errorf("the Nix store %s cannot be read: %w", st.Dir, err)
	}
	r := record.Record{Project: in.Project, Jobset: in.Jobset, Commit: in.Commit, Status: in.Status,
		Time: in.Time.UTC(), Host: in.Host, DrvPath: in.DrvPath}
	var drv Derivation
	if in.DrvPath != "" {
		if !inside(st.Dir, in.DrvPath) {
			return record.Record{}, nil, fmt.Errorf("derivation %s is not in the Nix store %s", in.DrvPath, st.Dir)
		}
		if drv, err = ReadDerivation(in.DrvPath); err != nil {
			return record.Record{}, nil, err
		}
	}
	r.Outputs, warn = outputs(in.OutPaths, drv, warn)
	if len(r.Outputs) == 0 {
		return record.Record{}, warn, errors.New("no output paths: OUT_PATHS is empty and the derivation names none (content-addressed?); give result links")
	}
	for _, o := range r.Outputs {
		if !inside(st.Dir, o.Path) {
			return record.Record{}, warn, fmt.Errorf("output %s is not in the Nix store %s", o.Path, st.Dir)
		}
	}
	r.NixName, r.System = drv.Name, drv.System
	if r.NixName == "" {
		r.NixName = storeName(r.MainOutput())
	}
	name(&r, in, names)
	paths := make([]string, len(r.Outputs))
	for i, o := range r.Outputs {
		paths[i] = o.Path
	}
	c := collector{st: st, real: realStore, outs: paths, main: r.MainOutput()}
	r.Metrics, warn = c.metrics(warn)
	r.Products, warn = c.products(in.Artifacts, warn)
	return r, warn, r.Validate()
}

// name sets the job: the flag, else the imported eval's attribute, else the derivation's name.
func name(r *record.Record, in Input, names *Names) {
	switch {
	case in.Job != "":
		r.Job, r.NamedBy = in.Job, record.NamedByFlag
	default:
		if n, ok := names.Lookup(r.DrvPath, r.MainOutput()); ok {
			r.Project, r.Jobset, r.Job, r.NamedBy = n.Project, n.Jobset, n.Attr, record.NamedByEval
			if r.Commit == "" {
				r.Commit = n.Commit
			}
			return
		}
		r.Job, r.NamedBy = JobName(r.NixName), record.NamedByDerivation
	}
}

// outputs names the output paths by the derivation's outputs; with no paths given (Nix
// 2.8's post-build-hook, NixOS/nix#6446) they come from the derivation itself.
func outputs(paths []string, drv Derivation, warn []string) ([]record.Output, []string) {
	var out []record.Output
	if len(paths) == 0 {
		for _, o := range drv.Outputs {
			if o.Path == "" {
				warn = append(warn, fmt.Sprintf("output %s of the derivation is content-addressed: its path is unknown without OUT_PATHS", o.Name))
				continue
			}
			out = append(out, o)
		}
		return out, warn
	}
	seen := map[string]bool{}
	for i, p := range paths {
		p = filepath.Clean(p)
		if seen[p] {
			continue
		}
		seen[p] = true
		n := ""
		for _, o := range drv.Outputs {
			if o.Path == p {
				n = o.Name
			}
		}
		if n == "" {
			n = "out"
			if i > 0 {
				n = fmt.Sprintf("out%d", i)
			}
		}
		out = append(out, record.Output{Name: n, Path: p})
	}
	return out, warn
}

// inside reports whether p is a path below dir (lexically).
func inside(dir, p string) bool {
	return filepath.IsAbs(p) && strings.HasPrefix(filepath.Clean(p), filepath.Clean(dir)+"/")
}

// errNotRegular marks a product that is a directory or a special file: it is not kept.
var errNotRegular = errors.New("not kept")

type collector struct {
	st   Store
	real string // the store directory with symlinks resolved
	outs []string
	main string // the output named out, where --artifact paths are looked up
}

// read reads a regular file that resolves inside the store, at most max bytes.
func (c collector) read(file string, max int64) ([]byte, error) {
	real, err := filepath.EvalSymlinks(file)
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(real, c.real+"/") {
		return nil, fmt.Errorf("%s resolves to %s, outside the Nix store: not kept", file, real)
	}
	f, err := os.Open(real)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file: %w", file, errNotRegular)
	}
	if fi.Size() > max {
		return nil, fmt.Errorf("%s is %d bytes, more than the %d kept (--max-artifact-bytes)", file, fi.Size(), max)
	}
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err == nil && int64(len(b)) > max {
		err = fmt.Errorf("%s grew past %d bytes while read", file, max)
	}
	return b, err
}

func (c collector) metrics(warn []string) ([]record.Metric, []string) {
	var out []record.Metric
	index := map[string]int{}
	for _, o := range c.outs {
		b, err := c.read(filepath.Join(o, "nix-support", "hydra-metrics"), nixstore.MaxFileSize)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			warn = append(warn, "metrics: "+err.Error())
			continue
		}
		ms, err := nixstore.ParseMetrics(bytes.NewReader(b))
		if err != nil {
			warn = append(warn, fmt.Sprintf("metrics of %s: %v", o, err))
		}
		if n := bytes.Count(b, []byte("\n")); len(ms) < n {
			warn = append(warn, fmt.Sprintf("%s/nix-support/hydra-metrics: %d of %d lines were skipped (not NAME VALUE [UNIT]) or repeat a name", o, n-len(ms), n))
		}
		for _, m := range ms {
			rm := record.Metric{Name: m.Name, Value: record.Float(m.Value), Unit: m.Unit}
			if i, ok := index[m.Name]; ok {
				out[i] = rm
				continue
			}
			index[m.Name] = len(out)
			out = append(out, rm)
		}
	}
	return out, warn
}
