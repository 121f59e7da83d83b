package hydradb_test

import (
	"context"
	"errors"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/testutil"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/hydra/hydratest"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

// storeBuild adds a finished build of bench:main:bench whose product 1 is bench.json at path.
func (e *env) storeBuild(id int64, path string) query.Build {
	ts := hydratest.DefaultGenEnd.Unix()
	e.addBuild(hydratest.Build{ID: id, Project: "bench", Jobset: "main", Job: "bench", Finished: true, Timestamp: ts,
		StartTime: ts + 1, StopTime: ts + 9, System: "x86_64-linux",
		Products: []hydratest.Product{{Type: "file", Subtype: "json", Name: "bench.json", Path: path, FileSize: 7}}}, 0)
	return query.Build{ID: id, Finished: true}
}

func TestLocalStoreIsConfinedToStoreDir(t *testing.T) {
	e := newEnv(t, envOpts{maxBytes: 1000})
	ctx := context.Background()
	outside := filepath.Join(t.TempDir(), "secret.json")
	if err := os.WriteFile(outside, []byte(`{"x":1}`), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(e.store, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-x", "bench.json")
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, link); err != nil {
		t.Fatal(err)
	}
	inStore := e.writeStore("cccccccccccccccccccccccccccccccc-y/data.json", []byte(`{"y":2}`))
	e.writeStore("dddddddddddddddddddddddddddddddd-z/bench.json", []byte(`{"pad":"`+strings.Repeat("a", 2000)+`"}`))

	// a symlink inside the store that leads out of it is refused, not followed
	_, err := e.src.Artifact(ctx, e.storeBuild(1, link), "bench.json")
	var up *query.UpstreamError
	if !errors.As(err, &up) || !strings.Contains(err.Error(), "is a symlink that leads out of the store directory") {
		t.Errorf("symlink escaping the store: %v", err)
	}
	// a symlink to another store path is fine
	e.writeStore("eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee-w/.keep", nil)
	inner := filepath.Join(e.store, "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee-w", "bench.json")
	if err := os.Symlink(inStore, inner); err != nil {
		t.Fatal(err)
	}
	if got, err := e.src.Artifact(ctx, e.storeBuild(2, inner), "bench.json"); err != nil || string(got) != `{"y":2}` {
		t.Errorf("symlink within the store: %q, %v", got, err)
	}
	// '..' in a recorded path is never resolved outside the store
	dots := e.store + "/cccccccccccccccccccccccccccccccc-y/../../" + filepath.Base(filepath.Dir(outside)) + "/secret.json"
	if got, err := e.src.Artifact(ctx, e.storeBuild(3, dots), "bench.json"); err == nil {
		t.Errorf("read %q through '..'", got)
	}
	// a path outside the store directory is never read locally: it is downloaded (404 here)
	if _, err := e.src.Artifact(ctx, e.storeBuild(4, outside), "bench.json"); !errors.Is(err, query.ErrNoArtifact) {
		t.Errorf("path outside the store: %v", err)
	}
	// files over maxArtifactBytes are refused without reading them whole
	_, err = e.src.Artifact(ctx, e.storeBuild(5, filepath.Join(e.store, "dddddddddddddddddddddddddddddddd-z/bench.json")), "bench.json")
	if err == nil || !strings.Contains(err.Error(), "over the datasource's limit of 1000 bytes (maxArtifactBytes)") {
		t.Errorf("too large a local file: %v", err)
	}
	// a product the build does not have
	if _, err := e.src.Artifact(ctx, query.Build{ID: 2}, "other.json"); !errors.Is(err, query.ErrNoArtifact) {
		t.Errorf("missing product: %v", err)
	}
}

func TestDownloadsWhenNotLocal(t *testing.T) {
	e := newEnv(t, envOpts{maxBytes: 1000})
	ts := hydratest.DefaultGenEnd.Unix()
	big := []byte(`{"x":1,"pad":"` + strings.Repeat("a", 5000) + `"}`)
	b := hydratest.Build{ID: 9, Project: "bench", Jobset: "main", Job: "bench", Finished: true,
		Timestamp: ts, StartTime: ts, StopTime: ts + 1, System: "x86_64-linux",
		Outputs:  map[string]string{"out": "/nix/store/bbbb-x"},
		Products: []hydratest.Product{{Type: "file", Name: "big.json", Path: "/nix/store/bbbb-x/big.json"}, {Type: "nix-build", Name: "bbbb-x", Path: "/nix/store/bbbb-x", Dir: true}},
		Files:    map[string][]byte{"/nix/store/bbbb-x/big.json": big, "/nix/store/bbbb-x/sub/small.json": []byte(`{"x": 3}`)}}
	e.srv.AddBuild(b)
	e.addBuild(b, 0)
	r := e.run(testutil.Job(map[string]any{"queryType": "artifact", "product": "big.json", "path": "x"}))
	if r.Error == nil || !strings.Contains(r.Error.Error(), "maxArtifactBytes") || r.ErrorSource != backend.ErrorSourceDownstream {
		t.Fatalf("want a downstream error naming maxArtifactBytes, got %v (%v)", r.Error, r.ErrorSource)
	}
	r = e.run(testutil.Job(map[string]any{"queryType": "artifact", "product": "sub/small.json", "path": "x"}))
	testutil.MustOK(t, r)
	if r.Frames[0].Rows() != 1 || r.Frames[0].Fields[1].At(0).(float64) != 3 {
		t.Fatalf("a file inside a directory product was not downloaded: %s", table(r.Frames[0]))
	}
}

func TestNoHydraURLAndNotLocal(t *testing.T) {
	e := newEnv(t, envOpts{noHydra: true})
	e.generate(hydratest.GenOptions{N: 3})
	r := e.run(testutil.Job(map[string]any{"queryType": "artifact", "product": "bench.json", "path": "results.throughput"}))
	testutil.MustOK(t, r)
	if !testutil.HasNotice(r, "3 builds have no product bench.json") {
		t.Fatalf("products neither local nor downloadable are not counted as missing: %+v", r.Frames[0].Meta)
	}
	if l := r.Frames[0].Fields[1].Config; l != nil && len(l.Links) > 0 {
		t.Fatalf("links without a Hydra URL: %+v", l.Links)
	}
}
