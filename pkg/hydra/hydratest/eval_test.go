package hydratest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

const seedDir = "../testdata/seed"

type evalsPage struct {
	Evals []struct {
		ID           int64
		HasNewBuilds json.RawMessage
	}
	First, Last, Next, Previous string
}

func TestEvalsPaging(t *testing.T) {
	s := New()
	defer s.Close()
	// Evals 1..60: every third one (id%3==0) has no new builds and must be hidden: 40 visible.
	for id := int64(1); id <= 60; id++ {
		s.AddBuild(Build{ID: id, Project: "p", Jobset: "j", Job: "x", Finished: true})
		s.AddEval(Eval{ID: id, Project: "p", Jobset: "j", Timestamp: id, HasNewBuilds: id%3 != 0,
			Builds: []int64{id}, Inputs: map[string]EvalInput{"src": {Type: "git", Revision: "r"}}})
	}
	var p evalsPage
	getJSON(t, s, "/jobset/p/j/evals", &p)
	if len(p.Evals) != 20 || p.Evals[0].ID != 59 || p.Evals[1].ID != 58 || p.Evals[2].ID != 56 ||
		p.First != "?page=1" || p.Last != "?page=2" || p.Next != "?page=2" || p.Previous != "" {
		t.Errorf("page 1: %+v", p)
	}
	for _, e := range p.Evals {
		if e.ID%3 == 0 || string(e.HasNewBuilds) != "1" {
			t.Errorf("eval %d listed with hasnewbuilds %s", e.ID, e.HasNewBuilds)
		}
	}
	p = evalsPage{}
	getJSON(t, s, "/jobset/p/j/evals?page=2", &p)
	if len(p.Evals) != 20 || p.Evals[19].ID != 1 || p.Next != "" || p.Previous != "?page=1" {
		t.Errorf("page 2: %+v", p)
	}
	p = evalsPage{}
	getJSON(t, s, "/jobset/p/j/evals?page=3", &p)
	if len(p.Evals) != 0 || p.Previous != "?page=2" || p.Last != "?page=2" {
		t.Errorf("page 3: %+v", p)
	}

	var e map[string]json.RawMessage
	getJSON(t, s, "/eval/3", &e)
	for k, want := range map[string]string{"hasnewbuilds": "0", "builds": "[]", "jobsetevalinputs": "{}", "flake": "null"} {
		if string(e[k]) != want {
			t.Errorf("hidden eval %s = %s, want %s", k, e[k], want)
		}
	}
	getJSON(t, s, "/eval/4", &e)
	if string(e["jobsetevalinputs"]) != `{"src":{"revision":"r","value":null,"type":"git","uri":null,"dependency":null}}` ||
		string(e["builds"]) != "[4]" {
		t.Errorf("eval 4: %s %s", e["jobsetevalinputs"], e["builds"])
	}
	var b struct{ JobsetEvals []int64 }
	getJSON(t, s, "/build/3", &b)
	if len(b.JobsetEvals) != 0 {
		t.Errorf("build 3 lists hidden eval: %v", b.JobsetEvals)
	}

	s.AddEval(Eval{ID: 70, Project: "p", Jobset: "j", HasNewBuilds: true, Flake: "github:o/r/0123abc", Builds: []int64{1}})
	getJSON(t, s, "/eval/70", &e)
	if string(e["flake"]) != `"github:o/r/0123abc"` || string(e["jobsetevalinputs"]) != "{}" {
		t.Errorf("flake eval: %s %s", e["flake"], e["jobsetevalinputs"])
	}
	resp, _ := get(t, s, "/eval/70/job/x/download/1")
	wantStatus(t, resp, 302)
	if loc := resp.Header.Get("Location"); loc != s.URL+"/build/1/download/1" {
		t.Errorf("eval job redirect %q", loc)
	}
	var js map[string]any
	getJSON(t, s, "/jobset/p/j", &js)
	if js["type"].(float64) != 0 || js["visible"] != true || js["nixexprinput"] != "src" || js["inputs"] == nil {
		t.Errorf("jobset: %v", js)
	}
}

func TestSeedRoundTrip(t *testing.T) {
	s := New()
	defer s.Close()
	if err := s.SeedFixtures(seedDir); err != nil {
		t.Fatal(err)
	}
	read := func(name string) []byte {
		data, err := os.ReadFile(filepath.Join(seedDir, name))
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	var want, got any
	if err := json.Unmarshal(read(SeedBuildFile), &want); err != nil {
		t.Fatal(err)
	}
	resp := getJSON(t, s, "/build/70", &got)
	wantStatus(t, resp, 200)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("/build/70 differs from %s:\n got %v\nwant %v", SeedBuildFile, got, want)
	}
	var list []any
	if err := json.Unmarshal(read(SeedConstituentsFile), &list); err != nil {
		t.Fatal(err)
	}
	getJSON(t, s, "/build/78", &got)
	if !reflect.DeepEqual(got, list[1]) {
		t.Errorf("/build/78 differs from %s[1]:\n got %v\nwant %v", SeedConstituentsFile, got, list[1])
	}
	_, body := get(t, s, "/job/myapp/main/myapp/prometheus")
	if string(body) != string(read(SeedPrometheusFile)) {
		t.Errorf("prometheus:\n%s\nwant\n%s", body, read(SeedPrometheusFile))
	}
	resp, _ = get(t, s, "/job/myapp/main/myapp/latest")
	if resp.StatusCode != 302 || resp.Header.Get("Location") != s.URL+"/build/70" {
		t.Errorf("latest: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	var e struct{ Builds []int64 }
	getJSON(t, s, "/eval/314", &e)
	if !reflect.DeepEqual(e.Builds, []int64{78}) {
		t.Errorf("eval 314 builds %v", e.Builds)
	}
	// A round trip through ParseBuildJSON keeps string and NaN metrics and directories.
	b, _, err := ParseBuildJSON([]byte(`{"id":1,"finished":1,"buildmetrics":{"a":{"value":"1.5","unit":"s"},` +
		`"b":{"value":"nan","unit":null},"c":{"value":2,"unit":"KiB"}},"buildproducts":{"1":{"type":"doc",` +
		`"subtype":"","name":"d","filesize":null,"sha256hash":null,"path":"/nix/store/x-d","defaultpath":""}}}`))
	if err != nil || b.Metrics["a"] != (Metric{Value: 1.5, Unit: "s", AsString: true}) ||
		b.Metrics["b"].Raw != "nan" || b.Metrics["c"] != (Metric{Value: 2, Unit: "KiB"}) || !b.Products[0].Dir {
		t.Errorf("ParseBuildJSON: %+v %v", b, err)
	}
}
