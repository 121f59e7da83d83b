package hydra

import (
	"encoding/json"
	"math"
	"testing"
)

func TestFlexibleFields(t *testing.T) {
	var b apiBuild
	doc := `{"id":7,"finished":1,"buildstatus":null,"timestamp":"1634228145","starttime":0,
	"buildmetrics":{"a":{"value":"12.5","unit":"s"},"b":{"value":3,"unit":null},"c":{"value":"NaN"},"d":{"value":"inf"}}}`
	if err := json.Unmarshal([]byte(doc), &b); err != nil {
		t.Fatal(err)
	}
	if b.Finished.V != 1 || b.BuildStatus.Set || b.Timestamp.V != 1634228145 {
		t.Fatalf("ints: %+v", b)
	}
	m := b.BuildMetrics
	if m["a"].Value.V != 12.5 || *m["a"].Unit != "s" || m["b"].Value.V != 3 || m["b"].Unit != nil {
		t.Fatalf("metrics: %+v", m)
	}
	if !math.IsNaN(m["c"].Value.V) || !math.IsInf(m["d"].Value.V, 1) {
		t.Fatalf("special floats: %+v", m)
	}
	var bad apiBuild
	if err := json.Unmarshal([]byte(`{"finished":"yes"}`), &bad); err == nil {
		t.Fatal("a non-numeric finished was accepted")
	}
}

func TestResolveProduct(t *testing.T) {
	b := &apiBuild{ID: 5,
		BuildOutputs: map[string]apiOutput{"out": {Path: "/nix/store/aaa-x"}},
		BuildProducts: map[string]apiProduct{
			"1": {Type: "nix-build", Path: "/nix/store/aaa-x", Name: "aaa-x"},
			"2": {Type: "file", Name: "bench.json", Path: "/nix/store/aaa-x/bench.json", FileSize: flexInt{V: 10, Set: true}},
			"3": {Type: "report", Name: "", Path: "/nix/store/aaa-x/reports/cov.json", FileSize: flexInt{V: 5, Set: true}},
		}}
	cases := map[string]string{
		"bench.json":          "2/bench.json",
		"reports/cov.json":    "3",
		"results/deep.json":   "1/aaa-x/results/deep.json",
		"nested/with.dots.js": "1/aaa-x/nested/with.dots.js",
	}
	for prod, want := range cases {
		got, err := resolveProduct(b, prod)
		if err != nil || got != want {
			t.Errorf("%s: got %q, %v; want %q", prod, got, err, want)
		}
	}
	if _, err := resolveProduct(b, "has space/x.json"); err == nil {
		t.Error("a path Hydra cannot serve was accepted")
	}
}
