package nixstore

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/record"
)

// A list extended generation by generation equals the list matched from scratch, with
// paths added at any time and records replacing items, and an older snapshot asked for
// after a newer one still gets its own list.
func TestListsExtendAsMatchingAgain(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	store := "/nix/store"
	pathOf := func(i int) string { return fmt.Sprintf("%s/%032d-bench-%d", store, i, i%7) }
	var w writer
	var c lists
	id := int64(0)
	newRows := func(from, to int) []row {
		var rows []row
		for i := from; i < to; i++ {
			id++
			rows = append(rows, row{id: id, path: pathOf(i), reg: 1_700_000_000 + rng.Int64N(1000)})
		}
		return rows
	}
	w.load(newRows(0, 50), map[string]*record.Record{})
	matchers := []matcher{newMatcher(query.JobRef{Job: "bench-*"}), newMatcher(query.JobRef{Job: "bench-3"}),
		newMatcher(query.JobRef{Job: "job-?", Project: "p"})}
	var snaps []*snapshot
	n := 50
	for gen := 0; gen < 30; gen++ {
		var recs []*record.Record
		for k := rng.IntN(4); k > 0; k-- { // records of paths valid, not yet valid, or recorded before
			p := pathOf(rng.IntN(n + 5))
			recs = append(recs, &record.Record{Project: "p", Job: fmt.Sprintf("job-%d", rng.IntN(3)),
				Outputs: []record.Output{{Name: "out", Path: p}}, Time: time.Unix(1_700_000_000+rng.Int64N(1000), 0)})
		}
		add := rng.IntN(5)
		w.add(newRows(n, n+add), recs)
		n += add
		s := &snapshot{ep: w.ep, gen: w.gen, items: w.items}
		snaps = append(snaps, s)
		for _, m := range matchers {
			got, want := c.get(s, m), s.match(nil, m)
			if !slices.Equal(got, want) {
				t.Fatalf("generation %d, %+v: extended list of %d differs from the %d matched again", gen, m, len(got), len(want))
			}
			seen := map[int64]bool{}
			for _, it := range got {
				if seen[it.id] {
					t.Fatalf("generation %d: build %s listed twice", gen, it.path)
				}
				seen[it.id] = true
			}
		}
	}
	old := snaps[3]
	if got, want := c.get(old, matchers[0]), old.match(nil, matchers[0]); !slices.Equal(got, want) {
		t.Fatalf("an older snapshot got %d builds, want %d", len(got), len(want))
	}
}
