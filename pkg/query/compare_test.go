package query

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

func TestFlattenNumericLeaves(t *testing.T) {
	doc := `{"results":{"throughput":1234.5,"latency_ms":"7.25","ok":true,"none":null,"name":"x"},
	 "benchmarks":[{"name":"parse","mean":1.5},{"name":"eval","mean":2.5,"runs":[[1,2],[3]]}],
	 "weird.key":{"v":9}, "neg":-3e2}`
	vals, cut := flatten(gjson.Parse(doc), "", maxCompareFields)
	got := map[string]float64{}
	for _, v := range vals {
		got[v.Series] = v.V
	}
	want := map[string]float64{
		"results.throughput": 1234.5, "benchmarks.0.mean": 1.5, "benchmarks.1.mean": 2.5,
		"benchmarks.1.runs.0.0": 1, "benchmarks.1.runs.0.1": 2, "benchmarks.1.runs.1.0": 3,
		`weird\.key.v`: 9, "neg": -300,
	}
	if cut || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("flatten = %v (cut %v), want %v", got, cut, want)
	}
	// every name is a gjson path to its own value
	for _, v := range vals {
		if r := gjson.Get(doc, v.Series); r.Num != v.V {
			t.Errorf("path %s selects %v, not %v", v.Series, r.Raw, v.V)
		}
	}
	// a subtree is named below its path; a number alone by the path itself
	vals, _ = flatten(gjson.Get(doc, "benchmarks.0"), "benchmarks.0", maxCompareFields)
	if len(vals) != 1 || vals[0].Series != "benchmarks.0.mean" {
		t.Fatalf("subtree: %v", vals)
	}
	vals, _ = flatten(gjson.Get(doc, "neg"), "neg", maxCompareFields)
	if len(vals) != 1 || vals[0].Series != "neg" || vals[0].V != -300 {
		t.Fatalf("one number: %v", vals)
	}
	if vals, cut := flatten(gjson.Parse(`{"a":"1","b":[true,false,null]}`), "", 10); len(vals) != 0 || cut {
		t.Fatalf("numeric strings and booleans are not numbers: %v", vals)
	}
}

func TestFlattenBound(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"xs":[`)
	for i := range maxCompareFields + 5 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%d", i)
	}
	b.WriteString(`]}`)
	vals, cut := flatten(gjson.Parse(b.String()), "", maxCompareFields)
	if len(vals) != maxCompareFields || !cut || vals[maxCompareFields-1].Series != fmt.Sprintf("xs.%d", maxCompareFields-1) {
		t.Fatalf("%d values, cut %v", len(vals), cut)
	}
	vals, cut = flatten(gjson.Parse(`[1,2,3]`), "", 3)
	if len(vals) != 3 || cut {
		t.Fatalf("exactly the bound is not cut: %d values, cut %v", len(vals), cut)
	}
	// the rows of both sides together are bounded too
	rows, cut := pairRows(Values{{"a", 1}, {"b", 2}}, Values{{"c", 3}, {"d", 4}}, 3)
	if len(rows) != 3 || !cut || rows[2].name != "c" {
		t.Fatalf("pairRows bound: %v, cut %v", rows, cut)
	}
}

func TestPairRowsAndChange(t *testing.T) {
	base := Values{{"z", 4}, {"a", 10}, {"zero", 0}, {"only.base", 1}, {"neg", -4}, {"a", 99}}
	target := Values{{"a", 12.5}, {"zero", 3}, {"only.target", 7}, {"neg", -5}, {"z", 4}}
	rows, cut := pairRows(base, target, maxCompareFields)
	if cut {
		t.Fatal("cut")
	}
	type want struct {
		base, target, change, relative *float64
	}
	f := func(v float64) *float64 { return &v }
	wants := map[string]want{
		"a":           {f(10), f(12.5), f(2.5), f(0.25)},
		"neg":         {f(-4), f(-5), f(-1), f(-0.25)}, // a fall is negative whatever the sign
		"only.base":   {f(1), nil, nil, nil},
		"only.target": {nil, f(7), nil, nil},
		"z":           {f(4), f(4), f(0), f(0)},
		"zero":        {f(0), f(3), f(3), nil}, // no fraction of 0
	}
	var names []string
	for _, r := range rows {
		names = append(names, r.name)
		w := wants[r.name]
		for _, c := range []struct {
			what      string
			got, want *float64
		}{{"base", r.base, w.base}, {"target", r.target, w.target}, {"change", r.change(), w.change}, {"relative", r.relative(), w.relative}} {
			if (c.got == nil) != (c.want == nil) || (c.got != nil && math.Abs(*c.got-*c.want) > 1e-12) {
				t.Errorf("%s %s = %v, want %v", r.name, c.what, deref(c.got), deref(c.want))
			}
		}
	}
	if strings.Join(names, ",") != "a,neg,only.base,only.target,z,zero" {
		t.Fatalf("rows not sorted by name: %v", names)
	}
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

func TestValidateCompare(t *testing.T) {
	job := `"project":"p","jobset":"j","job":"bench"`
	for q, want := range map[string]string{
		`{"queryType":"compare",` + job + `,"base":"12"}`:                                         "",
		`{"queryType":"compare",` + job + `,"base":"3f2a9c1","target":"ABCDEF0123"}`:              "",
		`{"queryType":"compare",` + job + `,"base":"12","product":"bench.json","path":"results"}`: "",
		`{"queryType":"compare",` + job + `,"base":"12","metric":"*.time"}`:                       "",
		`{"queryType":"compare",` + job + `}`:                                                     "needs base",
		`{"queryType":"compare",` + job + `,"base":"abc12"}`:                                      "neither a build id",
		`{"queryType":"compare",` + job + `,"base":"main"}`:                                       "neither a build id",
		`{"queryType":"compare",` + job + `,"base":"12","target":"HEAD~1"}`:                       "target",
		`{"queryType":"compare",` + job + `,"base":"0"}`:                                          "is not a build id",
		`{"queryType":"compare",` + job + `,"base":"99999999999999999999"}`:                       "is not a build id",
		`{"queryType":"compare",` + job + `,"base":"12","product":"../x.json"}`:                   "without '..'",
		`{"queryType":"compare",` + job + `,"base":"12","product":"b.json","path":"a..b"}`:        "empty key",
		`{"queryType":"compare","project":"p","jobset":"j","base":"12"}`:                          "job is empty",
	} {
		_, _, err := Parse(dq(q), true)
		switch {
		case want == "" && err != nil:
			t.Errorf("%s: %v", q, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%s: error %v, want one saying %q", q, err, want)
		}
	}
	// the store needs only the job
	if _, _, err := Parse(dq(`{"queryType":"compare","job":"mybench-*","base":"12"}`), false); err != nil {
		t.Fatal(err)
	}
}
