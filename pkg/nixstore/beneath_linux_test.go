//go:build linux

package nixstore

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// beneath answers in one system call for files and links that stay inside the store, and
// leaves what RESOLVE_BENEATH refuses (absolute links, links leading out, loops) to the
// portable way. A FIFO is no regular file: refused at once, where opening it would block.
func TestBeneathAnswersInsideTheStore(t *testing.T) {
	st, out := layoutStore(t)
	if err := syscall.Mkfifo(filepath.Join(out, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	src, _ := st.source(time.Hour)
	rel := strings.TrimPrefix(out, st.store+"/") + "/"
	for name, want := range map[string]readResult{
		"bench.json": readDone, "rel-link": readDone, "missing.json": readMissing,
		"dir": readNotRegular, "fifo": readNotRegular, "big.json": readTooLarge,
		"abs-link": readSlow, "out-link": readSlow, "up-link": readSlow, "loop": readSlow,
		"nix-support/hydra-metrics": readSlow, "../" + rel + "bench.json": readDone, // .. that stays inside
	} {
		if _, _, got := src.fast.read(rel+name, 64); got != want {
			t.Errorf("%s: %d, want %d", name, got, want)
		}
	}
	if _, _, r := src.fast.read("../"+filepath.Base(st.store)+"/"+rel+"bench.json", 64); r != readSlow {
		t.Errorf(".. out of the store and back: %d", r)
	}
	if _, err := src.readFile(filepath.Join(out, "fifo"), 64, ""); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("fifo: %v", err)
	}
	body, size, r := src.fast.read(rel+"big.json", 1<<10)
	if r != readDone || int64(len(body)) != size || !strings.HasPrefix(string(body), `{"pad":`) {
		t.Errorf("big.json: %q, %d, %d", body, size, r)
	}
	// Closed (as Source.Close does), it answers nothing.
	src.fast.close()
	if _, _, r := src.fast.read(rel+"bench.json", 64); r != readSlow {
		t.Errorf("read after close: %d", r)
	}
}
