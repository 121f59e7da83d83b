package nixstore

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// layoutStore is a made-up store with one output, layout-1, holding every kind of file
// and link a build can leave, next to another output and a file outside the store:
//
//	bench.json, big.json (100 bytes), dir/, nix-support (a file, so that paths below it
//	are no directory), rel-link and abs-link (to other-1/bench.json, relatively and
//	absolutely), out-link and up-link (to outside.txt, absolutely and by ..), loop.
func layoutStore(t *testing.T) (*synthStore, string) {
	t.Helper()
	st := newSynthStore(t)
	out, other := st.add(output{name: "layout-1", reg: time.Now()}, output{name: "other-1", reg: time.Now()})[0], st.storePath("other-1")
	outside := filepath.Join(filepath.Dir(st.store), "outside.txt")
	for _, d := range []string{out, other, filepath.Join(out, "dir")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for file, body := range map[string]string{
		filepath.Join(out, "bench.json"):   `{"results":{"throughput":1}}`,
		filepath.Join(out, "big.json"):     fmt.Sprintf(`{"pad":%q}`, make([]byte, 90)),
		filepath.Join(out, "nix-support"):  "not a directory",
		filepath.Join(other, "bench.json"): `{"results":{"throughput":2}}`,
		outside:                            "outside the store",
	} {
		if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for link, to := range map[string]string{
		"rel-link": "../" + filepath.Base(other) + "/bench.json",
		"abs-link": filepath.Join(other, "bench.json"),
		"out-link": outside,
		"up-link":  "../../outside.txt",
		"loop":     "loop",
	} {
		if err := os.Symlink(to, filepath.Join(out, link)); err != nil {
			t.Fatal(err)
		}
	}
	return st, out
}

// Reading below the store in one system call (beneath, on Linux) answers exactly as the
// portable way (os.Root, then resolving links the root does not follow) for every kind of
// file and link: the same bytes, or the same error.
func TestReadFileFastAndPortableAgree(t *testing.T) {
	st, out := layoutStore(t)
	fast, _ := st.source(time.Hour)
	slow, _ := st.source(time.Hour)
	slow.fast.close() // every read the portable way
	for _, name := range []string{"bench.json", "big.json", "dir", "missing.json", "nix-support/hydra-metrics",
		"rel-link", "abs-link", "out-link", "up-link", "loop"} {
		file := filepath.Join(out, name)
		fb, ferr := fast.readFile(file, 64, "")
		sb, serr := slow.readFile(file, 64, "")
		if string(fb) != string(sb) || fmt.Sprint(ferr) != fmt.Sprint(serr) {
			t.Errorf("%s: fast %q, %v; portable %q, %v", name, fb, ferr, sb, serr)
		}
		if name == "rel-link" || name == "abs-link" {
			if string(fb) != `{"results":{"throughput":2}}` {
				t.Errorf("%s: %q, %v", name, fb, ferr)
			}
		}
	}
	if n := fast.opened.Load(); n != 10 {
		t.Errorf("%d files counted, want 10", n)
	}
}
