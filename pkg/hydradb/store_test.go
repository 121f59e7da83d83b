package hydradb_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRelativeSymlinksInTheStore reads products through relative symlinks, which os.Root
// follows itself: one that stays inside the store is read, one that climbs out of it is
// refused as the absolute ones are (TestLocalStoreIsConfinedToStoreDir).
func TestRelativeSymlinksInTheStore(t *testing.T) {
	e := newEnv(t, envOpts{maxBytes: 1000})
	ctx := context.Background()
	e.writeStore("ffffffffffffffffffffffffffffffff-data/inner/v.json", []byte(`{"v":1}`))
	link := func(rel, target string) string {
		p := filepath.Join(e.store, rel)
		must(t, os.MkdirAll(filepath.Dir(p), 0o755))
		must(t, os.Symlink(target, p))
		return p
	}
	inside := link("11111111111111111111111111111111-a/v.json", "../ffffffffffffffffffffffffffffffff-data/inner/v.json")
	if got, err := e.src.Artifact(ctx, e.storeBuild(1, inside), "bench.json"); err != nil || string(got) != `{"v":1}` {
		t.Errorf("relative symlink within the store: %q, %v", got, err)
	}
	outside := filepath.Join(t.TempDir(), "secret.json")
	must(t, os.WriteFile(outside, []byte(`{"secret":1}`), 0o644))
	rel, err := filepath.Rel(filepath.Join(e.store, "22222222222222222222222222222222-b"), outside)
	must(t, err)
	out := link("22222222222222222222222222222222-b/v.json", rel)
	if got, err := e.src.Artifact(ctx, e.storeBuild(2, out), "bench.json"); err == nil ||
		!strings.Contains(err.Error(), "is a symlink that leads out of the store directory") {
		t.Errorf("relative symlink out of the store: %q, %v", got, err)
	}
}
