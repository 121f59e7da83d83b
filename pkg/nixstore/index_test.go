package nixstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

func TestIndexReadsOnlyWhatWasAdded(t *testing.T) {
	st := newSynthStore(t)
	now := time.Now().Add(-time.Hour).Truncate(time.Second)
	st.add(bench("mybench-1", now, 1), bench("mybench-2", now.Add(time.Second), 2), bench("other-1", now, 9))
	// The interval is long enough that a loaded machine does not pass it between the
	// first two listings; when it does anyway, that check says nothing and is left out.
	const every = 500 * time.Millisecond
	src, _ := st.source(every)
	job := query.JobRef{Job: "mybench-*"}
	first := time.Now()
	if got := names(listing(t, src, job, 10)); fmt.Sprint(got) != "[mybench-2 mybench-1]" {
		t.Fatalf("first listing %v", got)
	}
	st.add(bench("mybench-3", now.Add(2*time.Second), 3))
	// Within the interval the index is not read again.
	got := names(listing(t, src, job, 10))
	if within := time.Since(first) < every; within && len(got) != 2 {
		t.Fatalf("listing within the interval: %v", got)
	} else if !within {
		t.Logf("the machine took longer than the %s interval between two listings: not checking that the second reads nothing", every)
	}
	waitRefresh(src)
	if got := names(listing(t, src, job, 10)); fmt.Sprint(got) != "[mybench-3 mybench-2 mybench-1]" {
		t.Fatalf("after a refresh %v", got)
	}
	if loads, rows := src.x.loads.Load(), src.x.rows.Load(); loads != 1 || rows != 4 {
		t.Fatalf("%d full loads and %d rows read; want 1 load and the 3 + 1 output rows", loads, rows)
	}
	// Unchanged: nothing is read.
	waitRefresh(src)
	listing(t, src, job, 10)
	if rows := src.x.rows.Load(); rows != 4 {
		t.Fatalf("%d rows read with nothing added", rows)
	}
}

func TestIndexReloadsAfterGarbageCollection(t *testing.T) {
	st := newSynthStore(t)
	now := time.Now().Add(-time.Hour).Truncate(time.Second)
	paths := st.add(bench("mybench-1", now, 1), bench("mybench-2", now.Add(time.Second), 2))
	src, _ := st.source(20 * time.Millisecond)
	l := listing(t, src, query.JobRef{Job: "mybench-*"}, 10)
	if len(l.Builds) != 2 {
		t.Fatalf("listing %v", names(l))
	}
	st.collect(paths[1])
	// Before the next refresh the path is still listed; its artifact is gone.
	if _, err := src.Artifact(context.Background(), l.Builds[0], "bench.json"); !errors.Is(err, query.ErrNoArtifact) {
		t.Fatalf("artifact of a collected path: %v", err)
	}
	st.add(bench("mybench-3", now.Add(2*time.Second), 3)) // as many rows as before
	l2 := waitListing(t, src, query.JobRef{Job: "mybench-*"}, func(l query.Listing) bool { return len(l.Builds) == 2 })
	if got := names(l2); fmt.Sprint(got) != "[mybench-3 mybench-1]" {
		t.Fatalf("after collecting mybench-2: %v", got)
	}
	if n := src.x.loads.Load(); n != 2 {
		t.Fatalf("%d full loads, want 2", n)
	}
	if _, err := src.Artifact(context.Background(), l.Builds[0], "bench.json"); !errors.Is(err, query.ErrNoArtifact) {
		t.Fatalf("artifact of a build no longer known: %v", err)
	}
}

func TestIndexGlobs(t *testing.T) {
	st := newSynthStore(t)
	now := time.Now().Add(-time.Hour).Truncate(time.Second)
	var outs []output
	for i, n := range []string{"mybench-1", "mybench-2", "mybench-10", "MYBENCH-3", "mybench-1.drv-x", "other-1"} {
		outs = append(outs, bench(n, now.Add(time.Duration(i)*time.Second), i))
	}
	st.add(outs...)
	src, _ := st.source(time.Hour)
	for glob, want := range map[string]string{
		"mybench-1":     "[mybench-1]",
		"mybench-?":     "[mybench-2 mybench-1]",
		"mybench-[12]":  "[mybench-2 mybench-1]",
		"mybench-*":     "[mybench-1.drv-x mybench-10 mybench-2 mybench-1]",
		"*-1":           "[other-1 mybench-1]",
		"mybench-*.drv": "[]",
		"mybench":       "[]",
	} {
		if got := fmt.Sprint(names(listing(t, src, query.JobRef{Job: glob}, 10))); got != want {
			t.Errorf("%s: %s, want %s", glob, got, want)
		}
	}
	if _, err := src.Builds(context.Background(), query.JobRef{Job: "mybench-["}, query.Window{}); err == nil {
		t.Error("a malformed glob gave no error")
	}
	// Limit, truncation and the time window, as SQL gave them before the index.
	l := listing(t, src, query.JobRef{Job: "mybench-*"}, 2)
	if fmt.Sprint(names(l)) != "[mybench-1.drv-x mybench-10]" || !l.Truncated {
		t.Errorf("limit 2: %v, truncated %v", names(l), l.Truncated)
	}
	w := query.Window{From: now.Add(time.Second), To: now.Add(2 * time.Second), Limit: 10}
	if l, err := src.Builds(context.Background(), query.JobRef{Job: "mybench-*"}, w); err != nil || fmt.Sprint(names(l)) != "[mybench-10 mybench-2]" || l.Truncated {
		t.Errorf("window [1 s, 2 s]: %v, %v", names(l), err)
	}
	// The per-glob lists are bounded.
	for i := 0; i < maxLists+10; i++ {
		listing(t, src, query.JobRef{Job: fmt.Sprintf("x%d-*", i)}, 1)
	}
	if n := len(src.x.lists.m); n > maxLists {
		t.Errorf("%d cached lists, more than %d", n, maxLists)
	}
}

// Queries while the store and the journal grow: the race detector watches, and every
// listing must be newest first without a build twice.
func TestIndexConcurrentQueries(t *testing.T) {
	st := newSynthStore(t)
	now := time.Now().Add(-time.Hour).Truncate(time.Second)
	st.add(bench("mybench-0", now, 0))
	src, engine := st.source(time.Millisecond)
	j := st.journal()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				l, err := src.Builds(context.Background(), query.JobRef{Job: "mybench-*"}, query.Window{To: time.Now().Add(time.Hour)})
				if err != nil {
					t.Error(err)
					return
				}
				seen := map[int64]bool{}
				for i, b := range l.Builds {
					if seen[b.ID] || (i > 0 && b.Timestamp.After(l.Builds[i-1].Timestamp)) {
						t.Errorf("listing out of order or with a build twice: %v", names(l))
						return
					}
					seen[b.ID] = true
				}
				r := engine.Query(context.Background(), queryOf(map[string]any{"queryType": "metric", "job": "mybench-*", "metric": "time"}), false)
				if r.Error != nil {
					t.Error(r.Error)
					return
				}
			}
		}()
	}
	for i := 1; i <= 30; i++ {
		p := st.add(bench(fmt.Sprintf("mybench-%d", i), now.Add(time.Duration(i)*time.Second), i))[0]
		if i%3 == 0 {
			if err := j.AppendBuild(testRecord(p, "mybench", now.Add(time.Duration(i)*time.Second+time.Millisecond), i)); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond)
	cancel()
	wg.Wait()
	if l := listing(t, src, query.JobRef{Job: "mybench-*"}, 0); len(l.Builds) != 31 {
		t.Fatalf("%d builds at the end, want 31: %v", len(l.Builds), names(l))
	}
}
