package recorder

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/record"
)

// maxEvalLine bounds one nix-eval-jobs line (with --meta and --constituents they grow).
const maxEvalLine = 16 << 20

// evalLine is one line of nix-eval-jobs output: a job, or {attr, attrPath, error}.
type evalLine struct {
	Attr     string             `json:"attr"`
	AttrPath []string           `json:"attrPath"`
	DrvPath  string             `json:"drvPath"`
	Name     string             `json:"name"`
	System   string             `json:"system"`
	Outputs  map[string]*string `json:"outputs"` // null for content-addressed outputs
	Error    string             `json:"error"`
}

// ParseEvalJobs reads nix-eval-jobs JSON lines into jobs. A line that is not a job is
// skipped with a warning naming its line number; a read error ends the input.
func ParseEvalJobs(r io.Reader) ([]record.EvalJob, []string, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxEvalLine)
	var jobs []record.EvalJob
	var warn []string
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var l evalLine
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			warn = append(warn, fmt.Sprintf("line %d is not a nix-eval-jobs JSON object: %v", n, err))
			continue
		}
		attr := l.Attr
		if attr == "" && len(l.AttrPath) > 0 {
			attr = strings.Join(l.AttrPath, ".")
		}
		if attr == "" {
			warn = append(warn, fmt.Sprintf("line %d has no attr", n))
			continue
		}
		if err := CheckName("attribute", attr); err != nil {
			warn = append(warn, fmt.Sprintf("line %d: %v", n, err))
			continue
		}
		j := record.EvalJob{Attr: attr, DrvPath: l.DrvPath, NixName: l.Name, System: l.System, Error: l.Error}
		if j.Error == "" && j.DrvPath == "" {
			warn = append(warn, fmt.Sprintf("line %d (%s) has neither drvPath nor error", n, attr))
			continue
		}
		names := make([]string, 0, len(l.Outputs))
		for k := range l.Outputs {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			if p := l.Outputs[k]; p != nil && *p != "" {
				j.Outputs = append(j.Outputs, record.Output{Name: k, Path: *p})
			}
		}
		jobs = append(jobs, j)
	}
	if err := sc.Err(); err != nil {
		return jobs, warn, fmt.Errorf("reading nix-eval-jobs output: %w", err)
	}
	return jobs, warn, nil
}
