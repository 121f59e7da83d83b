package query

import (
	"context"
	"testing"
	"time"
)

// hashedIDs is a history whose build ids do not follow time, as the store's (hashes of
// store paths): build i (0 oldest) has id (i*7919) mod n + 1.
func hashedIDs(n int) []Build {
	builds := make([]Build, n)
	t0 := time.Unix(1_700_000_000, 0)
	for i := range builds {
		builds[n-1-i] = Build{ID: int64(i*7919%n + 1), Finished: true, Timestamp: t0.Add(time.Duration(i) * time.Minute)}
	}
	return builds // newest first, as listings come
}

// TestOriginsGoToTheNewestBuildsByTimeNotID: the builds whose commits are looked up are the
// newest by time, whatever their ids, both for listings and for metric points.
func TestOriginsGoToTheNewestBuildsByTimeNotID(t *testing.T) {
	n := MaxOrigins + 1000
	builds := hashedIDs(n)
	newest := map[int64]bool{}
	for _, b := range builds[:MaxOrigins] {
		newest[b.ID] = true
	}
	check := func(what string, asked []int64) {
		t.Helper()
		if len(asked) != MaxOrigins {
			t.Fatalf("%s: asked for %d builds' origins, want %d", what, len(asked), MaxOrigins)
		}
		for _, id := range asked {
			if !newest[id] {
				t.Fatalf("%s: build %d is among the oldest 1000 by time but its origin was asked for", what, id)
			}
		}
	}

	src := &originsSource{}
	(&Engine{src: src}).origins(context.Background(), JobRef{}, builds, n)(&frameCtx{})
	check("listing, newest first", src.asked)

	shuffled := append([]Build(nil), builds...)
	for i := range shuffled { // any order: a deterministic scramble
		j := i * 104729 % len(shuffled)
		shuffled[i], shuffled[j] = shuffled[j], shuffled[i]
	}
	src = &originsSource{}
	(&Engine{src: src}).origins(context.Background(), JobRef{}, shuffled, n)(&frameCtx{})
	check("listing in another order", src.asked)

	refs := make([]buildAt, 0, n) // metric points come oldest first
	for i := n - 1; i >= 0; i-- {
		refs = append(refs, buildAt{builds[i].ID, builds[i].Timestamp})
	}
	var ids []int64
	for _, b := range newestFirst(refs, JobRef{}, false) {
		ids = append(ids, b.ID)
	}
	check("metric points", ids)
}
