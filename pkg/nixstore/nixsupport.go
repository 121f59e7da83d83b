package nixstore

// Parsers for the nix-support files of a build's outputs, following Hydra's
// C++ runner (src/hydra-queue-runner/build-result.cc, last at 752e72de) and
// Rust runner (subprojects/crates/nix-support/src/lib.rs); where they differ,
// the choice is noted beside the rule. All pure: no file system access.
import (
	"bufio"
	"errors"
	"io"
	"math"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Input bounds: the longest line (bytes before '\n') and the largest file the
// parsers read. Hydra's Rust runner parses a file over 16 MiB as empty.
const (
	MaxLineSize = 64 << 10
	MaxFileSize = 16 << 20
)

// Errors for input beyond the bounds. The parsers then stop and return the
// entries of the complete lines before the problem: with ErrFileTooLarge,
// those within the first MaxFileSize bytes, which callers wanting Hydra's
// behaviour (an empty file) discard.
var (
	ErrLineTooLong  = errors.New("nixstore: nix-support line longer than 64 KiB")
	ErrFileTooLarge = errors.New("nixstore: nix-support file larger than 16 MiB")
)

var (
	metricNameRE  = regexp.MustCompile(`^[a-zA-Z0-9._-]+$`)
	metricUnitRE  = regexp.MustCompile(`^[a-zA-Z0-9._%-]+$`)
	releaseNameRE = regexp.MustCompile(`^[a-zA-Z0-9.@:_-]+$`)
	// Rust's f64 grammar: Sign? ('inf' | 'infinity' | 'nan' | Number).
	floatRE       = regexp.MustCompile(`^[+-]?(?:(?i:inf|infinity|nan)|(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)$`)
	productNameRE = regexp.MustCompile(`^[a-zA-Z0-9.@:_ -]*$`)
	// TYPE SUBTYPE PATH [DEFAULTPATH], anchored like C++ std::regex_match.
	productLineRE = regexp.MustCompile(`^([a-zA-Z0-9_-]+)[[:space:]]+([a-zA-Z0-9_-]+)[[:space:]]+` +
		`("[^"]+"|[^[:space:]<>"]+)(?:[[:space:]]+([^[:space:]<>"]+))?$`)
)

// Metric is one line of nix-support/hydra-metrics.
type Metric struct {
	Name  string
	Value float64
	Unit  string // "" when absent or invalid (Hydra stores NULL)
}

// Product is one build product: a BuildProducts row without the file size and
// hash, which need the file system. Its productnr is its index plus one.
type Product struct {
	Type, Subtype, Path, DefaultPath, Name string
}

// eachLine calls fn with every line of r (without '\n') within the limits,
// never with a cut-off line, and says why it stopped early.
func eachLine(r io.Reader, fn func(line []byte)) error {
	lr := &io.LimitedReader{R: r, N: MaxFileSize + 1}
	size := MaxLineSize + 1
	if l, ok := r.(interface{ Len() int }); ok && l.Len() < size {
		size = l.Len() + 1 // no line of a short input needs the whole buffer
	}
	br := bufio.NewReaderSize(lr, size)
	var consumed int64
	for {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			return ErrLineTooLong
		}
		consumed += int64(len(line))
		if consumed > MaxFileSize {
			return ErrFileTooLarge
		}
		if n := len(line); n > 0 && line[n-1] == '\n' {
			line = line[:n-1]
		}
		if len(line) > MaxLineSize { // unterminated last line at EOF
			return ErrLineTooLong
		}
		if len(line) > 0 {
			fn(line)
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// ParseMetrics parses nix-support/hydra-metrics: per line `NAME VALUE [UNIT]`,
// whitespace-separated, more fields ignored. Lines with fewer than 2 fields,
// a NAME not matching [a-zA-Z0-9._-]+ or a VALUE that is no number are
// skipped; a UNIT not matching [a-zA-Z0-9._%-]+ is dropped (""). A repeated
// NAME: the last value wins, in the place the name was first seen.
//
// VALUE is parsed strictly, as Rust's f64::from_str: sign, decimal digits,
// '.', exponent, or inf, infinity, nan in any case; overflow gives ±Inf. The
// C++ runner's std::stod takes a numeric prefix ("12ms" → 12, "0x10" → 16) and
// skips out-of-range values. We follow Rust, Hydra's current runner, as a
// prefix parse records values nobody wrote ("1,5" → 1). On a read error or
// beyond the bounds it returns the metrics before the problem and the error.
func ParseMetrics(r io.Reader) ([]Metric, error) {
	var out []Metric
	index := map[string]int{}
	err := eachLine(r, func(line []byte) {
		m, ok := parseMetricLine(string(line))
		if !ok {
			return
		}
		if i, seen := index[m.Name]; seen {
			out[i] = m
			return
		}
		index[m.Name] = len(out)
		out = append(out, m)
	})
	return out, err
}

func parseMetricLine(line string) (Metric, bool) {
	f := strings.Fields(line)
	if len(f) < 2 || !metricNameRE.MatchString(f[0]) {
		return Metric{}, false
	}
	v, ok := parseFloat(f[1])
	if !ok {
		return Metric{}, false
	}
	m := Metric{Name: f[0], Value: v}
	if len(f) >= 3 && metricUnitRE.MatchString(f[2]) {
		m.Unit = f[2]
	}
	return m, true
}

// parseFloat accepts what Rust's f64::from_str accepts (floatRE).
func parseFloat(s string) (float64, bool) {
	if !floatRE.MatchString(s) {
		return 0, false
	}
	if strings.EqualFold(strings.TrimLeft(s, "+-"), "nan") {
		return math.NaN(), true // strconv rejects "+nan", "-nan"
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, false
	}
	return v, true // on ErrRange v is ±Inf or 0, as in Rust
}

// ParseProducts parses nix-support/hydra-build-products of a build with the
// given output paths in the store storeDir (e.g. "/nix/store"), in file order.
// Lines are `TYPE SUBTYPE PATH [DEFAULTPATH]`; others are skipped:
//
//   - TYPE, SUBTYPE match [a-zA-Z0-9_-]+; PATH is "quoted" (no '"' inside)
//     or, like DEFAULTPATH, a token without whitespace, '<', '>', '"'. The
//     whole line must match, as in C++ (std::regex_match; Rust's unanchored
//     match also takes text around a valid line), but whitespace around the
//     line, e.g. the '\r' of CRLF, is ignored (C++ rejects it, Rust not).
//   - PATH must be absolute; once cleaned (path.Clean = filepath.Clean on
//     Unix: lexical, no symlinks) it must lie in storeDir and be an output or
//     below one. Outputs count only when, cleaned, directly in storeDir.
//   - Name is the base name, "" for an output itself (any output; C++ checks
//     the declaring one, Rust any store path) or unless it matches
//     [a-zA-Z0-9.@:_ -]*.
//   - Lines that are not valid UTF-8 are skipped (C++ takes bytes; Rust
//     drops the whole file).
//
// The file system is not consulted: the caller checks that the path exists,
// as Hydra requires. Errors are as for ParseMetrics.
func ParseProducts(r io.Reader, storeDir string, outputs []string) ([]Product, error) {
	store := path.Clean(storeDir)
	var outs []string
	for _, o := range outputs {
		o = path.Clean(o)
		if path.IsAbs(store) && path.Dir(o) == store && o != store {
			outs = append(outs, o)
		}
	}
	var out []Product
	err := eachLine(r, func(line []byte) {
		if p, ok := parseProductLine(line, store, outs); ok {
			out = append(out, p)
		}
	})
	return out, err
}

func parseProductLine(line []byte, store string, outs []string) (Product, bool) {
	if !utf8.Valid(line) || len(outs) == 0 {
		return Product{}, false
	}
	m := productLineRE.FindStringSubmatch(strings.Trim(string(line), " \t\r\v\f"))
	if m == nil {
		return Product{}, false
	}
	p := m[3]
	if len(p) >= 2 && p[0] == '"' && p[len(p)-1] == '"' {
		p = p[1 : len(p)-1]
	}
	if !strings.HasPrefix(p, "/") {
		return Product{}, false
	}
	p = path.Clean(p)
	if !inDir(p, store) {
		return Product{}, false
	}
	for _, o := range outs {
		if p != o && !inDir(p, o) {
			continue
		}
		name := ""
		if p != o {
			name = path.Base(p)
		}
		if !productNameRE.MatchString(name) {
			name = ""
		}
		return Product{Type: m[1], Subtype: m[2], Path: p, DefaultPath: m[4], Name: name}, true
	}
	return Product{}, false
}

// inDir reports whether the clean path p lies strictly below clean dir.
func inDir(p, dir string) bool {
	return p != dir && strings.HasPrefix(p, strings.TrimSuffix(dir, "/")+"/")
}

// DefaultProducts returns what Hydra (C++) records when no output has a
// hydra-build-products file (Rust decides per output): per output, type
// "nix-build", subtype "" for "out" else the output name, Name the store path
// name ("<hash>-<name>" → "<name>"). outputs maps output name to store path
// and must hold only directories (Hydra skips file outputs; the caller
// checks). Products are sorted by output name, as Hydra's output map is.
func DefaultProducts(outputs map[string]string) []Product {
	names := make([]string, 0, len(outputs))
	for n := range outputs {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]Product, 0, len(names))
	for _, n := range names {
		p := Product{Type: "nix-build", Path: outputs[n], Name: path.Base(outputs[n])}
		if n != "out" {
			p.Subtype = n
		}
		if _, rest, ok := strings.Cut(p.Name, "-"); ok {
			p.Name = rest
		}
		out = append(out, p)
	}
	return out
}

// ParseReleaseName parses nix-support/hydra-release-name: the content with
// surrounding whitespace trimmed if it matches [a-zA-Z0-9.@:_-]+, else "".
// Content longer than MaxLineSize or a read error also give "".
func ParseReleaseName(r io.Reader) string {
	b, err := io.ReadAll(io.LimitReader(r, MaxLineSize+1))
	if err != nil || len(b) > MaxLineSize {
		return ""
	}
	s := strings.TrimSpace(string(b))
	if !releaseNameRE.MatchString(s) {
		return ""
	}
	return s
}
