package query

import (
	"math"
	"testing"
)

const benchDoc = `{"results":{"throughput":1234.5,"latency_ms":"7.25","ok":true,"name":"x"},
 "benchmarks":[{"name":"parse","mean":1.5},{"name":"eval","mean":2.5},{"name":"skip"}],
 "samples":[1,2,3], "weird.key":{"v":9}, "inf":"inf", "nan":"NaN"}`

func TestExtract(t *testing.T) {
	cases := []struct {
		path    string
		want    map[string]float64
		matched bool
	}{
		{"results.throughput", map[string]float64{"results.throughput": 1234.5}, true},
		{"results.latency_ms", map[string]float64{"results.latency_ms": 7.25}, true},
		{"results.ok", map[string]float64{"results.ok": 1}, true},
		{"results.name", map[string]float64{}, true},
		{"results", map[string]float64{"results.throughput": 1234.5, "results.latency_ms": 7.25, "results.ok": 1}, true},
		{"benchmarks.#.mean", map[string]float64{"benchmarks.0.mean": 1.5, "benchmarks.1.mean": 2.5}, true},
		{`benchmarks.#(name=="eval").mean`, map[string]float64{`benchmarks.#(name=="eval").mean`: 2.5}, true},
		{"samples", map[string]float64{"samples.0": 1, "samples.1": 2, "samples.2": 3}, true},
		{`weird\.key.v`, map[string]float64{`weird\.key.v`: 9}, true},
		{"missing.field", map[string]float64{}, false},
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			got, ok := Extract([]byte(benchDoc), c.path)
			if ok != c.matched {
				t.Fatalf("matched = %v, want %v", ok, c.matched)
			}
			if len(got) != len(c.want) {
				t.Fatalf("got %v, want %v", got, c.want)
			}
			for _, v := range got {
				if w, ok := c.want[v.Series]; !ok || w != v.V {
					t.Errorf("series %q = %v, want %v (present %v)", v.Series, v.V, w, ok)
				}
			}
		})
	}
}

func TestExtractSpecialFloats(t *testing.T) {
	got, _ := Extract([]byte(benchDoc), "inf")
	if len(got) != 1 || !math.IsInf(got[0].V, 1) {
		t.Fatalf("inf: %v", got)
	}
	got, _ = Extract([]byte(benchDoc), "nan")
	if len(got) != 1 || !math.IsNaN(got[0].V) {
		t.Fatalf("nan: %v", got)
	}
}

func TestExtractBoundsSeries(t *testing.T) {
	doc := []byte(`{"a":[` + repeat("1,", 2000) + `1]}`)
	got, _ := Extract(doc, "a")
	if len(got) != maxSeries {
		t.Fatalf("got %d series, want the bound %d", len(got), maxSeries)
	}
}

func repeat(s string, n int) string {
	out := make([]byte, 0, len(s)*n)
	for range n {
		out = append(out, s...)
	}
	return string(out)
}

func TestValidatePath(t *testing.T) {
	for _, ok := range []string{"a", "a.b", "benchmarks.#.mean", `benchmarks.#(name=="a b").mean`, `weird\.key`, "@this"} {
		if err := ValidatePath(ok); err != nil {
			t.Errorf("%q rejected: %v", ok, err)
		}
	}
	for _, bad := range []string{".a", "a.", "a..b", "a.#(b==1", "a)b", `a.#(name=="x).b`, "a[b"} {
		if err := ValidatePath(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
