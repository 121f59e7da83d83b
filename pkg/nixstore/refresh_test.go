package nixstore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

// Queries share one refresh: with none loaded yet they all wait for the one in flight;
// with a stale snapshot they answer from it after a short wait. The refresh is held up by
// a lock on the database, as the Nix daemon's writes hold it.
func TestIndexSharesOneRefresh(t *testing.T) {
	old := busyTimeout
	busyTimeout = 300 * time.Millisecond
	defer func() { busyTimeout = old }()
	st := newSynthStore(t)
	st.add(bench("mybench-1", time.Now().Add(-time.Hour), 1))
	fresh, _ := st.source(50 * time.Millisecond)
	warm, _ := st.source(50 * time.Millisecond)
	listing(t, warm, query.JobRef{Job: "mybench-1"}, 1)
	st.add(bench("mybench-2", time.Now().Add(-time.Hour), 2)) // so that the refresh reads
	waitRefresh(warm)
	lock, err := st.db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if _, err := lock.ExecContext(context.Background(), "BEGIN EXCLUSIVE"); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	start := time.Now()
	var slowest [2]time.Duration
	var mu sync.Mutex
	for g := 0; g < 40; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			src := []*Source{fresh, warm}[g%2]
			t0 := time.Now()
			snap, err := src.x.get(context.Background())
			if (g%2 == 0) != (err != nil) || (g%2 == 1 && snap == nil) {
				t.Errorf("query %d: %v, %v", g, snap, err)
			}
			mu.Lock()
			slowest[g%2] = max(slowest[g%2], time.Since(t0))
			mu.Unlock()
		}()
	}
	wg.Wait()
	if _, err := lock.ExecContext(context.Background(), "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	if f, w := fresh.x.runs.Load(), warm.x.runs.Load(); f != 1 || w != 2 {
		t.Errorf("%d refreshes without a snapshot (want 1), %d with one (want 1 + the first load)", f, w)
	}
	if slowest[1] > busyTimeout/2 || slowest[0] < busyTimeout/2 {
		t.Errorf("with a snapshot the slowest query took %v, without %v (the refresh %v)", slowest[1], slowest[0], time.Since(start))
	}
}

// A locked or missing database: an error only when no snapshot was loaded before.
func TestIndexLockedOrMissingDatabase(t *testing.T) {
	old := busyTimeout
	busyTimeout = 200 * time.Millisecond
	defer func() { busyTimeout = old }()
	st := newSynthStore(t)
	now := time.Now().Add(-time.Hour).Truncate(time.Second)
	st.add(bench("mybench-1", now, 1))
	job := query.JobRef{Job: "mybench-*"}

	lock, err := st.db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	exclusive := func() {
		if _, err := lock.ExecContext(context.Background(), "BEGIN EXCLUSIVE"); err != nil {
			t.Fatal(err)
		}
	}
	rollback := func() {
		if _, err := lock.ExecContext(context.Background(), "ROLLBACK"); err != nil {
			t.Fatal(err)
		}
	}

	fresh, _ := st.source(10 * time.Millisecond)
	warm, _ := st.source(10 * time.Millisecond)
	listing(t, warm, job, 10)
	exclusive()
	_, err = fresh.Builds(context.Background(), job, query.Window{To: time.Now()})
	if err == nil || !strings.Contains(err.Error(), "locked by the daemon: try again") {
		t.Fatalf("locked, no snapshot: %v", err)
	}
	var up *query.UpstreamError
	if !errors.As(err, &up) {
		t.Fatalf("not an upstream error: %T", err)
	}
	waitRefresh(warm)
	start := time.Now()
	if got := names(listing(t, warm, job, 10)); fmt.Sprint(got) != "[mybench-1]" {
		t.Fatalf("locked, with a snapshot: %v", got)
	}
	if d := time.Since(start); d > busyTimeout {
		t.Errorf("the query waited %v for the locked refresh", d)
	}
	rollback()
	time.Sleep(busyTimeout + 50*time.Millisecond) // the refresh in flight ends
	waitRefresh(fresh)
	if got := names(listing(t, fresh, job, 10)); fmt.Sprint(got) != "[mybench-1]" {
		t.Fatalf("unlocked again: %v", got)
	}

	file := filepath.Join(st.state, "db", "db.sqlite")
	fresh2, _ := st.source(10 * time.Millisecond)
	if err := os.Rename(file, file+".away"); err != nil {
		t.Fatal(err)
	}
	if _, err := fresh2.Builds(context.Background(), job, query.Window{To: time.Now()}); err == nil ||
		!strings.Contains(err.Error(), "does not exist") || !strings.Contains(err.Error(), "nixStateDir") {
		t.Fatalf("missing, no snapshot: %v", err)
	}
	waitRefresh(warm)
	if got := names(listing(t, warm, job, 10)); fmt.Sprint(got) != "[mybench-1]" {
		t.Fatalf("missing, with a snapshot: %v", got)
	}
	if err := os.Rename(file+".away", file); err != nil {
		t.Fatal(err)
	}
	waitRefresh(fresh2)
	if got := names(listing(t, fresh2, job, 10)); fmt.Sprint(got) != "[mybench-1]" {
		t.Fatalf("back again: %v", got)
	}
}

// A database replaced by another file (a restore) is opened again.
func TestIndexReopensAReplacedDatabase(t *testing.T) {
	st := newSynthStore(t)
	now := time.Now().Add(-time.Hour).Truncate(time.Second)
	st.add(bench("mybench-1", now, 1))
	src, _ := st.source(10 * time.Millisecond)
	listing(t, src, query.JobRef{Job: "mybench-*"}, 10)
	file := filepath.Join(st.state, "db", "db.sqlite")
	st.add(bench("mybench-2", now.Add(time.Second), 2))
	if _, err := st.db.Exec("VACUUM INTO ?", file+".new"); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(file+".new", file); err != nil {
		t.Fatal(err)
	}
	waitRefresh(src)
	if got := names(listing(t, src, query.JobRef{Job: "mybench-*"}, 10)); fmt.Sprint(got) != "[mybench-2 mybench-1]" {
		t.Fatalf("after the replacement: %v", got)
	}
	var n int
	if err := src.x.db.Load().db.QueryRow("SELECT count(*) FROM ValidPaths").Scan(&n); err != nil || n != 4 {
		t.Fatalf("the new database is not the one read: %d, %v", n, err)
	}
}
