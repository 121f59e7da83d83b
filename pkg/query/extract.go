package query

import (
	"math"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
)

// Value is one number taken from an artifact, named by the path that selected it.
type Value struct {
	Series string
	V      float64
}

// Values are the numbers one path selected from one artifact. Size is for the cache.
type Values []Value

// Size approximates the memory the values hold.
func (vs Values) Size() int64 {
	n := int64(24)
	for _, v := range vs {
		n += int64(len(v.Series)) + 32
	}
	return n
}

// maxSeries bounds how many series one path may produce from one artifact.
const maxSeries = 500

// maxModifiers bounds the gjson modifiers (@this, @reverse, ...) in one path: each
// "|[@this,@this]" doubles the document gjson builds, so a short path could otherwise
// ask for gigabytes.
const maxModifiers = 2

// ValidatePath checks a gjson path's syntax well enough to tell the user what is wrong.
func ValidatePath(p string) error {
	if strings.HasPrefix(p, ".") || strings.HasSuffix(p, ".") || strings.Contains(p, "..") {
		return Invalidf("path %q has an empty key: write keys separated by single dots, e.g. results.throughput", p)
	}
	depth := map[rune]int{}
	pairs := map[rune]rune{')': '(', ']': '[', '}': '{'}
	inQuote := false
	for i, r := range p {
		switch {
		case r == '\\':
			continue
		case r == '"' && (i == 0 || p[i-1] != '\\'):
			inQuote = !inQuote
		case inQuote:
		case r == '(' || r == '[' || r == '{':
			depth[r]++
		case r == ')' || r == ']' || r == '}':
			depth[pairs[r]]--
			if depth[pairs[r]] < 0 {
				return Invalidf("path %q has an unmatched %q", p, string(r))
			}
		}
	}
	for open, n := range depth {
		if n != 0 {
			return Invalidf("path %q has an unclosed %q", p, string(open))
		}
	}
	if inQuote {
		return Invalidf("path %q has an unclosed quote", p)
	}
	if modifiers(p) > maxModifiers {
		return Invalidf("path %q uses more than %d modifiers (@...): simplify it", p, maxModifiers)
	}
	return nil
}

// modifiers counts the gjson modifiers in p: an @ that starts a path component, outside
// quotes and not escaped.
func modifiers(p string) int {
	n, inQuote := 0, false
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case c == '\\':
			i++
		case c == '"':
			inQuote = !inQuote
		case c == '@' && !inQuote && (i == 0 || strings.IndexByte(".|[{,:(!", p[i-1]) >= 0):
			n++
		}
	}
	return n
}

// Extract applies a gjson path to a JSON document. A path matching one number gives one
// value named by the path; a path matching several values (benchmarks.#.mean, or an
// object or array) gives one value per number, each named by its own path.
// A path with more than maxModifiers modifiers matches nothing.
func Extract(doc []byte, path string) (Values, bool) {
	if modifiers(path) > maxModifiers {
		return nil, false
	}
	r := gjson.GetBytes(doc, path)
	if !r.Exists() {
		return nil, false
	}
	var out Values
	switch {
	case r.IsArray() && strings.Contains(path, "#"):
		paths := r.Paths(string(doc))
		for i, el := range r.Array() {
			name := path + "." + strconv.Itoa(i)
			if i < len(paths) && paths[i] != "" {
				name = paths[i]
			}
			out = appendLeaves(out, name, el)
		}
	default:
		out = appendLeaves(out, path, r)
	}
	return out, true
}

// appendLeaves adds every number under r: r itself, or the members of an object or array.
func appendLeaves(out Values, name string, r gjson.Result) Values {
	if len(out) >= maxSeries {
		return out
	}
	switch {
	case r.IsObject():
		r.ForEach(func(k, v gjson.Result) bool {
			out = appendLeaves(out, name+"."+escapeKey(k.String()), v)
			return len(out) < maxSeries
		})
	case r.IsArray():
		for i, v := range r.Array() {
			out = appendLeaves(out, name+"."+strconv.Itoa(i), v)
		}
	default:
		if v, ok := number(r); ok {
			out = append(out, Value{Series: name, V: v})
		}
	}
	return out
}

func escapeKey(k string) string {
	return strings.NewReplacer(".", `\.`, "*", `\*`, "?", `\?`).Replace(k)
}

// number reads a JSON number, a numeric string ("12.5", "NaN", "inf") or a boolean.
func number(r gjson.Result) (float64, bool) {
	switch r.Type {
	case gjson.Number:
		return r.Num, true
	case gjson.True:
		return 1, true
	case gjson.False:
		return 0, true
	case gjson.String:
		return ParseFloat(r.Str)
	}
	return 0, false
}

// ParseFloat reads a decimal number, also Hydra's and C's spellings of infinities and NaN.
func ParseFloat(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "inf", "+inf", "infinity":
		return math.Inf(1), true
	case "-inf", "-infinity":
		return math.Inf(-1), true
	case "nan", "-nan":
		return math.NaN(), true
	}
	v, err := strconv.ParseFloat(s, 64)
	return v, err == nil
}
