package nixstore

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestPathsRealStore(t *testing.T) {
	requireNix(t)
	ctx := context.Background()
	sfx := uniqueSuffix(t)
	var built []builtBench
	for i := 1; i <= 3; i++ {
		built = append(built, buildBench(t, "mybench-"+sfx+"-"+string(rune('0'+i)), i*100))
		time.Sleep(5 * time.Millisecond)
	}

	dbFile := filepath.Join(testStateDir(), "db", "db.sqlite")
	before, err := os.Stat(dbFile)
	if err != nil {
		t.Fatal(err)
	}
	d, err := OpenDB(testStateDir())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()

	all, err := d.Paths(ctx, "mybench-"+sfx+"-*", time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 3 {
		t.Fatalf("want the 3 outputs, got %d: %+v", len(all), all)
	}
	for i, p := range all {
		want := built[2-i] // newest first; equal seconds are ordered by id
		if p.Path != want.Out || p.Name != want.Name || p.Deriver != want.Drv {
			t.Errorf("path %d = %+v, want out %s name %s deriver %s", i, p, want.Out, want.Name, want.Drv)
		}
		if p.NarSize <= 0 || !p.Ultimate {
			t.Errorf("path %d: NarSize %d, Ultimate %v", i, p.NarSize, p.Ultimate)
		}
		if age := time.Since(p.Registered); age < -time.Minute || age > 10*time.Minute {
			t.Errorf("path %d registered at %v, not just now", i, p.Registered)
		}
		if i > 0 && p.Registered.After(all[i-1].Registered) {
			t.Errorf("not newest first: %v after %v", p.Registered, all[i-1].Registered)
		}
	}

	// An exact name matches one path (not mybench-<sfx>-10 and the like).
	one, err := d.Paths(ctx, built[0].Name, time.Time{}, 0)
	if err != nil || len(one) != 1 || one[0].Path != built[0].Out {
		t.Errorf("exact name: %+v, %v", one, err)
	}
	// Other globs: ?, [..], and case matters even though SQL LIKE ignores it.
	for glob, want := range map[string]int{
		"mybench-" + sfx + "-?":        3,
		"mybench-" + sfx + "-[12]":     2,
		"*-" + sfx + "-3":              1,
		"MYBENCH-" + sfx + "-*":        0,
		"mybench-" + sfx + "-nothing*": 0,
		"mybench-" + sfx + "-*.drv":    0,
		"mybench-" + sfx:               0,
	} {
		got, err := d.Paths(ctx, glob, time.Time{}, 0)
		if err != nil || len(got) != want {
			t.Errorf("Paths(%q) = %d paths, %v; want %d", glob, len(got), err, want)
		}
	}
	if _, err := d.Paths(ctx, "mybench-[", time.Time{}, 0); err == nil {
		t.Error("a malformed glob gave no error")
	}

	// limit keeps the newest.
	two, err := d.Paths(ctx, "mybench-"+sfx+"-*", time.Time{}, 2)
	if err != nil || len(two) != 2 || two[0].Path != all[0].Path || two[1].Path != all[1].Path {
		t.Errorf("limit 2: %+v, %v", two, err)
	}
	// since is inclusive at second precision.
	for _, since := range []time.Time{all[2].Registered, all[0].Registered, all[0].Registered.Add(time.Second)} {
		got, err := d.Paths(ctx, "mybench-"+sfx+"-*", since, 0)
		want := 0
		for _, p := range all {
			if !p.Registered.Before(since) {
				want++
			}
		}
		if err != nil || len(got) != want {
			t.Errorf("since %v: %d paths, %v; want %d", since, len(got), err, want)
		}
	}

	// No .drv file in the whole store listing.
	every, err := d.Paths(ctx, "*", time.Time{}, 0)
	if err != nil || len(every) < 3 {
		t.Fatalf("Paths(*): %d, %v", len(every), err)
	}
	for _, p := range every {
		if strings.HasSuffix(p.Path, ".drv") {
			t.Errorf("a derivation was returned: %s", p.Path)
		}
	}

	outs, err := d.Outputs(ctx, built[1].Drv)
	if err != nil || len(outs) != 1 || outs["out"] != built[1].Out {
		t.Errorf("Outputs(%s) = %v, %v; want out=%s", built[1].Drv, outs, err, built[1].Out)
	}
	if outs, err := d.Outputs(ctx, "/nix/store/00000000000000000000000000000000-none.drv"); err != nil || len(outs) != 0 {
		t.Errorf("Outputs of an unknown drv = %v, %v", outs, err)
	}

	after, err := os.Stat(dbFile)
	if err != nil {
		t.Fatal(err)
	}
	if !after.ModTime().Equal(before.ModTime()) || after.Size() != before.Size() {
		t.Errorf("reading changed %s: %v %d -> %v %d", dbFile, before.ModTime(), before.Size(), after.ModTime(), after.Size())
	}
}

func TestOpenReadOnlyCopy(t *testing.T) {
	requireNix(t)
	dir := copyStoreDB(t)
	file := filepath.Join(dir, "db", "db.sqlite")
	if err := os.Chmod(file, 0o444); err != nil {
		t.Fatal(err)
	}
	before, _ := os.Stat(file)
	d, err := OpenDB(dir)
	if err != nil {
		t.Fatalf("open a read-only copy: %v", err)
	}
	if _, err := d.Paths(context.Background(), "*", time.Time{}, 5); err != nil {
		t.Fatal(err)
	}
	// Even through the package's own connection no write goes through.
	if _, err := d.db.Exec("CREATE TABLE nixci_probe (x)"); err == nil {
		t.Error("a write through the read-only connection succeeded")
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	after, _ := os.Stat(file)
	if !after.ModTime().Equal(before.ModTime()) || after.Size() != before.Size() {
		t.Errorf("reading changed the file: %v %d -> %v %d", before.ModTime(), before.Size(), after.ModTime(), after.Size())
	}
}

func TestOpenErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no-such-state")
	_, err := OpenDB(missing)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(missing, "db", "db.sqlite")) || !strings.Contains(err.Error(), "nixStateDir") {
		t.Errorf("missing state dir: %v", err)
	}
	t.Logf("missing state dir: %v", err)
	if _, statErr := os.Stat(missing); !os.IsNotExist(statErr) {
		t.Errorf("OpenDB created %s", missing)
	}

	garbage := t.TempDir()
	if err := os.MkdirAll(filepath.Join(garbage, "db"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(garbage, "db", "db.sqlite"), []byte(strings.Repeat("not sqlite ", 200)), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenDB(garbage); err == nil || !strings.Contains(err.Error(), "nixStateDir") {
		t.Errorf("garbage file: %v", err)
	}

	// A valid SQLite file without the Nix tables.
	other := t.TempDir()
	if err := os.MkdirAll(filepath.Join(other, "db"), 0o755); err != nil {
		t.Fatal(err)
	}
	w, err := sql.Open("sqlite", filepath.Join(other, "db", "db.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Exec("CREATE TABLE t (x)"); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if _, err := OpenDB(other); err == nil || !strings.Contains(err.Error(), "not a Nix store database") {
		t.Errorf("non-Nix database: %v", err)
	}
}

// TestLockedCopy holds a write lock on a COPY of the store database (never the
// real one) and checks that reads wait for it, then fail clearly or succeed
// once it is released.
func TestLockedCopy(t *testing.T) {
	requireNix(t)
	ctx := context.Background()
	dir := copyStoreDB(t)
	file := filepath.Join(dir, "db", "db.sqlite")

	w, err := sql.Open("sqlite", file)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	// In WAL mode writers do not block readers; the rollback journal makes
	// an exclusive lock block them, like the daemon's checkpoints and
	// schema upgrades do.
	if _, err := w.Exec("PRAGMA journal_mode = DELETE"); err != nil {
		t.Fatal(err)
	}
	lock, err := w.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()

	d, err := openFile(file, 300*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()

	if _, err := lock.ExecContext(ctx, "BEGIN EXCLUSIVE"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = d.Paths(ctx, "*", time.Time{}, 1)
	if waited := time.Since(start); waited < 250*time.Millisecond {
		t.Errorf("the read did not wait for the lock: %v", waited)
	}
	if err == nil || !strings.Contains(err.Error(), "locked by the daemon: try again") {
		t.Errorf("read under a write lock: %v", err)
	}
	t.Logf("under a write lock: %v", err)
	if _, err := lock.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}

	// Released while the read waits: the read succeeds.
	d2, err := openFile(file, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	if _, err := lock.ExecContext(ctx, "BEGIN EXCLUSIVE"); err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(200 * time.Millisecond)
		if _, err := lock.ExecContext(ctx, "ROLLBACK"); err != nil {
			t.Error(err)
		}
	}()
	start = time.Now()
	got, err := d2.Paths(ctx, "*", time.Time{}, 1)
	if err != nil || len(got) != 1 {
		t.Errorf("read after the lock is released: %v, %v", got, err)
	}
	if waited := time.Since(start); waited < 150*time.Millisecond {
		t.Errorf("the read did not wait for the lock: %v", waited)
	}
}
