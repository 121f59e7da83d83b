package index_test

import (
	"context"
	"strings"
	"testing"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

func items(list []query.Item) string {
	parts := make([]string, len(list))
	for i, it := range list {
		parts[i] = it.Value
		if it.Description != "" {
			parts[i] += " (" + it.Description + ")"
		}
	}
	return strings.Join(parts, ", ")
}

func TestCatalog(t *testing.T) {
	e := newEnv(t)
	e.seed()
	loose := byDerivation(1, "") // recorded without project and jobset
	e.write(loose)
	hashed := build("hashed", 1)
	hashed.Products[0].Content, hashed.Products[0].Size = nil, 5
	e.write(hashed)
	ctx := context.Background()
	for _, c := range []struct {
		name string
		get  func() ([]query.Item, error)
		want string
	}{
		{"Projects", func() ([]query.Item, error) { return e.src.Projects(ctx) }, "bench"},
		{"Jobsets", func() ([]query.Item, error) { return e.src.Jobsets(ctx, "bench") }, "main"},
		{"JobNames", func() ([]query.Item, error) { return e.src.JobNames(ctx, "bench", "main") },
			"bench (failed), bench-gpu (succeeded), hashed (succeeded), other (queued)"},
		{"JobNames of every jobset", func() ([]query.Item, error) { return e.src.JobNames(ctx, "", "") },
			"bench (failed), bench-gpu (succeeded), hashed (succeeded), mybench (succeeded)"},
		{"ProductNames", func() ([]query.Item, error) {
			return e.src.ProductNames(ctx, query.JobRef{Project: "bench", Jobset: "main", Job: "bench"})
		}, "bench.json (71 bytes)"},
		{"ProductNames by glob", func() ([]query.Item, error) {
			return e.src.ProductNames(ctx, query.JobRef{Job: "bench-*"})
		}, "bench.json (69 bytes)"},
		{"ProductNames kept by hash only", func() ([]query.Item, error) {
			return e.src.ProductNames(ctx, query.JobRef{Job: "hashed"})
		}, "bench.json (5 bytes, content not kept)"},
		{"ProductNames of a job without builds", func() ([]query.Item, error) {
			return e.src.ProductNames(ctx, query.JobRef{Job: "nope"})
		}, ""},
	} {
		got, err := c.get()
		if err != nil || items(got) != c.want {
			t.Errorf("%s: %q, %v; want %q", c.name, items(got), err, c.want)
		}
	}
}

// An empty index lists no names as an empty list, which the editor's pickers read as
// "nothing yet" (JSON null would be no answer at all).
func TestEmptyCatalogIsAnEmptyList(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for name, get := range map[string]func() ([]query.Item, error){
		"Projects": func() ([]query.Item, error) { return e.src.Projects(ctx) },
		"Jobsets":  func() ([]query.Item, error) { return e.src.Jobsets(ctx, "bench") },
	} {
		got, err := get()
		if err != nil || got == nil || len(got) != 0 {
			t.Errorf("%s of an empty index: %#v, %v; want an empty, non-nil list", name, got, err)
		}
	}
}
