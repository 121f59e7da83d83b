package record

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
)

// Version is the format version written in every journal line.
const Version = 1

// Naming says where a build's job name came from; an eval import renames only builds whose
// job was derived from the derivation name.
const (
	NamedByFlag       = "flag"       // --job (or --project/--jobset) given by the user
	NamedByDerivation = "derivation" // derived from the derivation name (mybench-1.2 → mybench)
	NamedByEval       = "eval"       // an attribute of an imported nix-eval-jobs evaluation
)

// Record is one recorded build: its outputs, where it came from, and copies of its artifact
// files and metrics.
type Record struct {
	Project  string     `json:"project"`
	Jobset   string     `json:"jobset"`
	Job      string     `json:"job"`
	NamedBy  string     `json:"namedBy"`
	DrvPath  string     `json:"drvPath,omitempty"`
	Outputs  []Output   `json:"outputs"`
	NixName  string     `json:"nixName"` // derivation name, e.g. mybench-1.2
	System   string     `json:"system,omitempty"`
	Commit   string     `json:"commit,omitempty"`
	Status   int        `json:"status"` // Hydra build status: 0 succeeded, 1 failed
	Time     time.Time  `json:"time"`   // when the build ended (recorded)
	Host     string     `json:"host,omitempty"`
	Products []Artifact `json:"products,omitempty"` // files kept, from hydra-build-products or --artifact
	Metrics  []Metric   `json:"metrics,omitempty"`  // nix-support/hydra-metrics
}

// Output is one output of the derivation.
type Output struct {
	Name string `json:"name"` // out, dev, ...
	Path string `json:"path"`
}

// Artifact is one file of an output that was kept: its name (the product name, else the
// file's base name), store path, size and SHA-256 (hex). Content travels in the spool and
// to the index; the journal keeps it in a content-addressed copy instead.
type Artifact struct {
	Name    string `json:"name"`
	Path    string `json:"path"`
	Size    int64  `json:"size"`
	SHA256  string `json:"sha256"`
	Content []byte `json:"content,omitempty"`
}

// Metric is one line of nix-support/hydra-metrics.
type Metric struct {
	Name  string `json:"name"`
	Value Float  `json:"value"`
	Unit  string `json:"unit,omitempty"`
}

// Float is a float64 that survives JSON when it is NaN or infinite (written as the strings
// "NaN", "+Inf", "-Inf"), as hydra-metrics values may be.
type Float float64

// MarshalJSON writes finite values as numbers and the others as strings.
func (f Float) MarshalJSON() ([]byte, error) {
	v := float64(f)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return json.Marshal(strconv.FormatFloat(v, 'g', -1, 64))
	}
	return json.Marshal(v)
}

// UnmarshalJSON reads a number or a string such as "NaN" or "+Inf".
func (f *Float) UnmarshalJSON(b []byte) error {
	var s string
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	} else {
		s = string(b)
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("metric value %s is not a number", b)
	}
	*f = Float(v)
	return nil
}

// MainOutput is the path of the output named out, else the first output ("" if none).
func (r Record) MainOutput() string {
	for _, o := range r.Outputs {
		if o.Name == "out" {
			return o.Path
		}
	}
	if len(r.Outputs) > 0 {
		return r.Outputs[0].Path
	}
	return ""
}

// Key identifies the record across retries and runners: one build per job and main output
// (a derivation built twice, or on two runners, is one build). Hex, 32 characters.
func (r Record) Key() string {
	h := sha256.New()
	for _, s := range []string{r.Project, r.Jobset, r.Job, r.MainOutput()} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// Validate says what a record lacks to be stored.
func (r Record) Validate() error {
	switch {
	case r.Job == "":
		return errors.New("the build has no job name: give --job or a derivation")
	case r.MainOutput() == "":
		return errors.New("the build has no output path: give result links or OUT_PATHS")
	case r.Time.IsZero():
		return errors.New("the build has no time")
	}
	return nil
}

// Eval is one imported evaluation (nix-eval-jobs output): the jobs of a jobset at a commit.
type Eval struct {
	Project string    `json:"project"`
	Jobset  string    `json:"jobset"`
	Commit  string    `json:"commit,omitempty"`
	Time    time.Time `json:"time"`
	Jobs    []EvalJob `json:"jobs"`
}

// EvalJob is one line of nix-eval-jobs: an attribute and its derivation, or its error.
type EvalJob struct {
	Attr    string   `json:"attr"`
	DrvPath string   `json:"drvPath,omitempty"`
	NixName string   `json:"nixName,omitempty"`
	System  string   `json:"system,omitempty"`
	Outputs []Output `json:"outputs,omitempty"`
	Error   string   `json:"error,omitempty"`
}

// Key identifies the evaluation: one per project, jobset, commit and time (hex, 32 characters).
func (e Eval) Key() string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%d", e.Project, e.Jobset, e.Commit, e.Time.UnixNano())
	return hex.EncodeToString(h.Sum(nil))[:32]
}
