package index

import (
	"slices"
	"testing"
)

// A collector returns the rows in order whatever their number, in as many blocks as
// doubling needs, and never makes room for more rows than the statement's LIMIT.
func TestCollectorKeepsOrder(t *testing.T) {
	for _, c := range []struct{ n, size, blocks int }{
		{0, 100, 0}, {1, 1, 1}, {100, 101, 1}, {firstBlock, firstBlock + 1, 1},
		{firstBlock + 1, 100_001, 2}, {100_000, 100_001, 3}, {100_001, 100_001, 3},
	} {
		col := newCollector[int](c.size)
		want := make([]int, c.n)
		for i := range c.n {
			want[i] = i
			col.add(i)
		}
		got := col.all()
		room := 0
		for _, b := range col.blocks {
			room += cap(b)
		}
		if !slices.Equal(got, want) || len(col.blocks) != c.blocks || room > max(c.size, 1) {
			t.Errorf("%d rows of at most %d: %d rows back, %d blocks (want %d), room for %d", c.n, c.size, len(got), len(col.blocks), c.blocks, room)
		}
	}
	var none *collector[int]
	if none.all() != nil {
		t.Error("a nil collector has rows")
	}
}
