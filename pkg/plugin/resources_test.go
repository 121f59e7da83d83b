package plugin

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/hydra/hydratest"
)

// The resource answers are golden files that the front end's tests load as the backend's
// answers (src/**/*.test.tsx), so a change on either side breaks the other's tests.
// Rewrite them on purpose: UPDATE_GOLDEN=1 go test ./pkg/plugin/
const resourceDir = "testdata/resources"

// resourceFixture is the Hydra behind the golden resource answers.
func resourceFixture(t *testing.T) *Datasource {
	srv := hydratest.New()
	t.Cleanup(srv.Close)
	srv.AddProject(hydratest.Project{Name: "bench", DisplayName: "Benchmarks", Description: "Performance of the tool", Enabled: true})
	srv.AddProject(hydratest.Project{Name: "infra", DisplayName: "Infrastructure", Enabled: true})
	srv.AddProject(hydratest.Project{Name: "secret", Enabled: true, Hidden: true})
	hydratest.GenerateJob(srv, hydratest.GenOptions{N: 6})
	hydratest.GenerateJob(srv, hydratest.GenOptions{Job: "sizes", N: 3, FirstID: 100, FirstEvalID: 100})
	hydratest.GenerateJob(srv, hydratest.GenOptions{Jobset: "nightly", N: 2, FirstID: 200, FirstEvalID: 200})
	// as in a real Hydra, the newest evaluation holds the current build of every job
	srv.AddEval(hydratest.Eval{ID: 500, Project: "bench", Jobset: "main", Timestamp: hydratest.DefaultGenEnd.Unix() + 60,
		HasNewBuilds: true, Builds: []int64{6, 102}})
	d := newInstance(t, srv.URL, `{}`, nil)
	t.Cleanup(func() { fakeURL = "" })
	fakeURL = srv.URL
	return d
}

// fakeURL is replaced by http://hydra.test in golden files.
var fakeURL string

func TestResourceAnswersAreGolden(t *testing.T) {
	d := resourceFixture(t)
	cases := []struct {
		name, path string
		status     int
	}{
		{"projects", "projects", 200},
		{"jobsets", "jobsets?project=bench", 200},
		{"jobs", "jobs?project=bench&jobset=main", 200},
		{"metrics", "metrics?project=bench&jobset=main&job=bench", 200},
		{"products", "products?project=bench&jobset=main&job=bench", 200},
		{"builds", "builds?project=bench&jobset=main&job=bench", 200},
		{"sample", "sample?project=bench&jobset=main&job=bench&product=bench.json&path=results.throughput", 200},
		{"sample-many", "sample?project=bench&jobset=main&job=bench&product=bench.json&path=benchmarks.%23.mean", 200},
		{"sample-nomatch", "sample?project=bench&jobset=main&job=bench&product=bench.json&path=results.nothing", 200},
		{"sample-noproduct", "sample?project=bench&jobset=main&job=bench&product=missing.json", 400},
		{"error-missing-param", "jobsets", 400},
		{"error-no-jobset", "jobs?project=bench&jobset=nope", 404},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, body := callResource(t, d, c.path)
			if status != c.status {
				t.Fatalf("status %d, want %d: %s", status, c.status, body)
			}
			checkGoldenJSON(t, c.name, body)
		})
	}
}

func callResource(t *testing.T, d *Datasource, path string) (int, []byte) {
	t.Helper()
	resource, _, _ := strings.Cut(path, "?")
	var status int
	var body []byte
	err := d.CallResource(context.Background(), &backend.CallResourceRequest{Path: resource, Method: http.MethodGet,
		URL: "/api/datasources/uid/u/resources/" + path},
		backend.CallResourceResponseSenderFunc(func(r *backend.CallResourceResponse) error {
			status, body = r.Status, append(body, r.Body...)
			return nil
		}))
	if err != nil {
		t.Fatal(err)
	}
	return status, body
}

// checkGoldenJSON compares body with testdata/resources/NAME.json, indented and with the
// fake Hydra's address hidden; it rewrites the file only when UPDATE_GOLDEN=1.
func checkGoldenJSON(t *testing.T, name string, body []byte) {
	t.Helper()
	var v any
	if err := json.Unmarshal(bytes.ReplaceAll(body, []byte(fakeURL), []byte("http://hydra.test")), &v); err != nil {
		t.Fatalf("the answer is not JSON: %v: %s", err, body)
	}
	got, _ := json.MarshalIndent(v, "", "  ")
	got = append(got, '\n')
	file := filepath.Join(resourceDir, name+".json")
	if os.Getenv("UPDATE_GOLDEN") == "1" {
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("no golden file (create it with UPDATE_GOLDEN=1): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs from the golden file:\n got: %s\nwant: %s", name, got, want)
	}
}
