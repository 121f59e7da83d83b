package hydradb_test

import (
	"context"
	"fmt"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/testutil"
	"strings"
	"testing"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/hydra/hydratest"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

func items(list []query.Item) string {
	var parts []string
	for _, it := range list {
		s := it.Value
		if it.Label != "" {
			s += "|" + it.Label
		}
		if it.Description != "" {
			s += " (" + it.Description + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}

func TestCatalog(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.generate(hydratest.GenOptions{N: 8})
	e.generate(hydratest.GenOptions{Job: "other", N: 2, FirstID: 100})
	e.seedDemo()
	e.ensureProject("secret")
	e.exec(`UPDATE projects SET hidden = 1 WHERE name = 'secret'`)
	e.ensureJobset("bench", "old", "")
	e.exec(`UPDATE jobsets SET hidden = 1, description = 'retired' WHERE name = 'old'`)
	ctx := context.Background()

	checks := []struct {
		name string
		get  func() ([]query.Item, error)
		want string
	}{
		{"Projects", func() ([]query.Item, error) { return e.src.Projects(ctx) },
			"bench|Bench (the bench project), demo|Demo (the demo project)"},
		{"Jobsets", func() ([]query.Item, error) { return e.src.Jobsets(ctx, "bench") }, "main, old (retired (hidden))"},
		{"Jobsets of a flake project", func() ([]query.Item, error) { return e.src.Jobsets(ctx, "demo") }, "flake ((flake))"},
		{"JobNames", func() ([]query.Item, error) { return e.src.JobNames(ctx, "bench", "main") }, "other (succeeded)"},
		{"JobNames with a queued build", func() ([]query.Item, error) { return e.src.JobNames(ctx, "demo", "flake") },
			"bench (queued), slow (timed out)"},
		{"ProductNames", func() ([]query.Item, error) {
			return e.src.ProductNames(ctx, query.JobRef{Project: "bench", Jobset: "main", Job: "bench"})
		}, "bench.json (file json)"},
		{"ProductNames with a directory product", func() ([]query.Item, error) {
			return e.src.ProductNames(ctx, query.JobRef{Project: "demo", Jobset: "flake", Job: "bench"})
		}, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-bench (nix-build ), bench.json (file json)"},
	}
	for _, c := range checks {
		got, err := c.get()
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if items(got) != c.want {
			t.Errorf("%s = %q, want %q", c.name, items(got), c.want)
		}
	}
	names, err := e.src.MetricNames(ctx, query.JobRef{Project: "bench", Jobset: "main", Job: "bench"})
	if err != nil || strings.Join(names, ",") != "maxresident,time" {
		t.Errorf("MetricNames = %v, %v", names, err)
	}
	if _, err := e.src.JobNames(ctx, "bench", "nope"); err == nil || !strings.Contains(err.Error(), "Hydra has no jobset bench:nope") {
		t.Errorf("JobNames of a missing jobset: %v", err)
	}
	if _, err := e.src.JobNames(ctx, "bench", "old"); err == nil || !strings.Contains(err.Error(), "no evaluation with builds yet") {
		t.Errorf("JobNames of a jobset without evaluations: %v", err)
	}
	msg, err := e.src.Health(ctx)
	if err != nil || msg != "Connected to Hydra's database (schema version 87): 2 projects" {
		t.Errorf("Health = %q, %v", msg, err)
	}
}

func TestRenamedJobsetIsExplained(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.generate(hydratest.GenOptions{Jobset: "new", N: 3})
	e.insert("jobsetrenames", row{"project": "bench", "from_": "old", "to_": "new"})
	for _, qt := range []string{"builds", "evals", "jobs"} {
		r := e.run(map[string]any{"queryType": qt, "project": "bench", "jobset": "old", "job": "bench"})
		if r.Error == nil || !strings.Contains(r.Error.Error(), "jobset bench:old was renamed to new: use the new name") {
			t.Errorf("%s of a renamed jobset: %v", qt, r.Error)
		}
	}
	r := e.run(map[string]any{"queryType": "builds", "project": "bench", "jobset": "new", "job": "benhc"})
	testutil.MustOK(t, r)
	if !testutil.HasNotice(r, "No finished build of bench:new:benhc") {
		t.Errorf("a misspelt job gave no notice")
	}
}

func TestOriginsPreferTheEvaluationThatAddedTheBuild(t *testing.T) {
	e := newEnv(t, envOpts{})
	builds := e.generate(hydratest.GenOptions{N: 2})
	// later evaluations list build 2 again (isnew = 0): its origin stays eval 2
	for i := int64(10); i < 13; i++ {
		e.addEval("bench", "main", i, builds[1].Timestamp+i*60, "", nil, []int64{2},
			row{"name": "src", "type": "git", "revision": fmt.Sprintf("%040d", i)})
	}
	// an eval with two inputs: the one named by nixexprinput holds the commit
	e.addBuild(hydratest.Build{ID: 3, Project: "bench", Jobset: "main", Job: "bench", Finished: true, Timestamp: builds[1].Timestamp + 7200,
		StartTime: builds[1].Timestamp + 7201, StopTime: builds[1].Timestamp + 7300, System: "x86_64-linux"}, 0)
	e.addEval("bench", "main", 20, builds[1].Timestamp+7200, "", []int64{3}, nil,
		row{"name": "nixpkgs", "type": "git", "revision": strings.Repeat("e", 40)},
		row{"name": "src", "type": "git", "revision": strings.Repeat("f", 40)})
	got, err := e.src.Origins(context.Background(), query.JobRef{Project: "bench", Jobset: "main", Job: "bench"},
		[]query.Build{{ID: 2}, {ID: 3}, {ID: 99}})
	if err != nil {
		t.Fatal(err)
	}
	if o := got[2]; o.Eval != 2 || len(o.Revision) != 40 {
		t.Errorf("origin of build 2 = %+v, want eval 2", o)
	}
	if o := got[3]; o.Eval != 20 || o.Revision != strings.Repeat("f", 40) {
		t.Errorf("origin of build 3 = %+v, want eval 20 with the src input's revision", o)
	}
	if _, ok := got[99]; ok || len(got) != 2 {
		t.Errorf("a build without evaluation got an origin: %+v", got)
	}
}
