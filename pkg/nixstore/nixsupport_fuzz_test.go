package nixstore

import (
	"bytes"
	"errors"
	"math"
	"path"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// Seeds besides the corpus in testdata/fuzz/<FuzzName>/.
var metricSeeds = []string{
	"lineCoverage 18 %\nmaxResident 27 KiB\n",
	"a 1\na 2 ms\r\nb\tinf\n\nc -nan x y\n",
	"a 12ms\nb 0x10\nc 1e400\nd .5e-3\n",
}

func FuzzParseMetrics(f *testing.F) {
	for _, s := range metricSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := ParseMetrics(bytes.NewReader(data))
		checkErr(t, data, err)
		if len(got) > bytes.Count(data, []byte("\n"))+1 {
			t.Fatalf("%d metrics from %d lines", len(got), bytes.Count(data, []byte("\n"))+1)
		}
		seen := map[string]bool{}
		for _, m := range got {
			if !metricNameRE.MatchString(m.Name) || seen[m.Name] {
				t.Fatalf("bad or repeated name %q", m.Name)
			}
			seen[m.Name] = true
			if m.Unit != "" && !metricUnitRE.MatchString(m.Unit) {
				t.Fatalf("bad unit %q", m.Unit)
			}
		}
		// The metrics, written back as lines, parse to themselves.
		var b strings.Builder
		for _, m := range got {
			b.WriteString(m.Name + " " + strconv.FormatFloat(m.Value, 'g', -1, 64) + " " + m.Unit + "\n")
		}
		again, err := ParseMetrics(strings.NewReader(b.String()))
		if err != nil || len(again) != len(got) {
			t.Fatalf("round trip: %v, %v != %v", again, err, got)
		}
		for i, m := range again {
			g := got[i]
			if m.Name != g.Name || m.Unit != g.Unit || (m.Value != g.Value && !(math.IsNaN(m.Value) && math.IsNaN(g.Value))) {
				t.Fatalf("round trip: %v != %v", m, g)
			}
		}
	})
}

var typeRE = regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)

var productSeeds = []string{
	"doc none " + outPath + "/text.txt\n",
	"doc none \"" + outPath + "/some text.txt\"\r\n",
	"report cov " + docPath + "/a/../b index.html\nfile x " + otherPath + "/y\n",
	"doc none " + outPath + "/../../etc\tz\n",
}

func FuzzParseProducts(f *testing.F) {
	for _, s := range productSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := ParseProducts(bytes.NewReader(data), testStore, testOutputs)
		checkErr(t, data, err)
		if len(got) > bytes.Count(data, []byte("\n"))+1 {
			t.Fatalf("%d products from %d lines", len(got), bytes.Count(data, []byte("\n"))+1)
		}
		for _, p := range got {
			if !utf8.ValidString(p.Path) || p.Path != path.Clean(p.Path) || !inOutput(p.Path) {
				t.Fatalf("path %q not a clean path in an output", p.Path)
			}
			if !typeRE.MatchString(p.Type) || !typeRE.MatchString(p.Subtype) {
				t.Fatalf("bad type %q or subtype %q", p.Type, p.Subtype)
			}
			if strings.ContainsAny(p.DefaultPath, " \t\r\n\v\f<>\"") {
				t.Fatalf("bad default path %q", p.DefaultPath)
			}
			if !productNameRE.MatchString(p.Name) || (p.Name != "" && p.Name != path.Base(p.Path)) {
				t.Fatalf("bad name %q for %q", p.Name, p.Path)
			}
		}
	})
}

func inOutput(p string) bool {
	for _, o := range testOutputs {
		if p == o || strings.HasPrefix(p, o+"/") {
			return true
		}
	}
	return false
}

// checkErr allows only ErrLineTooLong, and only for a line over MaxLineSize
// (fuzz inputs stay far below MaxFileSize).
func checkErr(t *testing.T, data []byte, err error) {
	t.Helper()
	long := false
	for _, l := range bytes.Split(data, []byte("\n")) {
		long = long || len(l) > MaxLineSize
	}
	if err != nil && !(long && errors.Is(err, ErrLineTooLong)) || err == nil && long {
		t.Fatalf("error %v on %d bytes (long line: %v)", err, len(data), long)
	}
}
