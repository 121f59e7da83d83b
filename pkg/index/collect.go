package index

// firstBlock is the most rows a collector makes room for before it has seen any.
const firstBlock = 1 << 14

// collector gathers a statement's rows in blocks and joins them once at the end: appended
// to one slice that grows, a listing of 100,000 builds would be copied about four times
// over (and left as garbage as often), which was most of a refresh's time at that size.
// size is the most rows the statement returns (its LIMIT).
type collector[T any] struct {
	blocks [][]T
	n      int
	size   int
}

func newCollector[T any](size int) *collector[T] { return &collector[T]{size: size} }

// add appends one row.
func (c *collector[T]) add(v T) {
	last := len(c.blocks) - 1
	if last < 0 || len(c.blocks[last]) == cap(c.blocks[last]) {
		next := min(firstBlock, c.size)
		if c.n > 0 {
			next = min(2*c.n, c.size-c.n) // each block as large as all before it, twice
		}
		c.blocks = append(c.blocks, make([]T, 0, max(next, 1)))
		last++
	}
	c.blocks[last] = append(c.blocks[last], v)
	c.n++
}

// all returns the rows in order (nil for none, or for a nil collector).
func (c *collector[T]) all() []T {
	if c == nil {
		return nil
	}
	switch len(c.blocks) {
	case 0:
		return nil
	case 1:
		return c.blocks[0]
	}
	out := make([]T, 0, c.n)
	for _, b := range c.blocks {
		out = append(out, b...)
	}
	return out
}
