package query

import (
	"math"
	"runtime"
	"strings"
	"testing"
)

// Seeds besides the corpus in testdata/fuzz/FuzzExtract/.
var extractSeeds = []struct{ doc, path string }{
	{benchDoc, "results.throughput"},
	{benchDoc, "benchmarks.#.mean"},
	{benchDoc, `benchmarks.#(name=="eval").mean`},
	{benchDoc, "results"},
	{benchDoc, `weird\.key.v`},
	{`{"a":[[1,2],[3,{"b":4}]]}`, "a.#.#"},
	{`{"a":{"b.c":{"*":1,"?":"2"}}}`, "a"},
	{`{"a":1e400,"b":"-inf","c":"nan","d":"0x1p-3"}`, "@this"},
	{`{"a":[1,2]}`, "@this|[@this,@this]"},
	{`[{"a":1},{"a":"2"}]`, "#.a"},
}

func FuzzExtract(f *testing.F) {
	for _, s := range extractSeeds {
		f.Add([]byte(s.doc), s.path)
	}
	f.Fuzz(func(t *testing.T, doc []byte, path string) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		got, ok := Extract(doc, path)
		runtime.ReadMemStats(&after)

		// Work is bounded by the input: gjson may copy the document about once per
		// path byte (a multipath [a,a,...]), never more; a path must not multiply it.
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20+uint64(64*(len(doc)+1)*(len(path)+1)) {
			t.Fatalf("allocated %d bytes for a %d-byte document and a %d-byte path", alloc, len(doc), len(path))
		}
		if !ok && len(got) != 0 {
			t.Fatalf("no match but %d values", len(got))
		}
		if len(got) > maxSeries {
			t.Fatalf("%d series, bound is %d", len(got), maxSeries)
		}
		special := strings.ContainsAny(strings.ToLower(string(doc)+path), "ein")
		for _, v := range got {
			if v.Series == "" && path != "" || len(v.Series) > 4*(len(doc)+len(path))+32 {
				t.Fatalf("series name of %d bytes for a %d-byte document and a %d-byte path", len(v.Series), len(doc), len(path))
			}
			// Inf and NaN only where the input spells them (inf, nan, or an exponent
			// that overflows); everything else is a finite number.
			if (math.IsInf(v.V, 0) || math.IsNaN(v.V)) && !special {
				t.Fatalf("series %q = %v from input without inf, nan or an exponent", v.Series, v.V)
			}
		}
	})
}
