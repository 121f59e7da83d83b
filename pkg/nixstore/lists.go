package nixstore

import (
	"slices"
	"sync"
)

// Bounds of the per-job cache of matched lists.
const (
	maxLists     = 64      // jobs (names or globs) kept
	maxListItems = 4 << 20 // items held by all lists together
)

// lists caches, per job, the matching builds of one generation of the index, newest
// first. A later generation of the same epoch extends the list with the items added
// since instead of matching the whole store again.
type lists struct {
	mu    sync.Mutex
	m     map[string]*list
	items int
	tick  uint64
}

type list struct {
	ep    *epoch
	gen   uint64
	n     int     // how many of the snapshot's items it covers
	items []*item // newest first; set before done is closed
	done  chan struct{}
	used  uint64
	size  int // len(items) once counted in lists.items
}

// get returns the builds of snapshot s that m selects, newest first. The list is shared:
// callers must not change it.
func (c *lists) get(s *snapshot, m matcher) []*item {
	key := m.key()
	c.mu.Lock()
	if c.m == nil {
		c.m = map[string]*list{}
	}
	c.tick++
	old := c.m[key]
	if old != nil && old.ep == s.ep && old.gen == s.gen {
		old.used = c.tick
		c.mu.Unlock()
		<-old.done
		return old.items
	}
	if old != nil && old.gen > s.gen { // generations grow across epochs too
		c.mu.Unlock() // an older snapshot than the cached list: answer without caching
		return s.match(nil, m)
	}
	var base *list
	if old != nil && old.ep == s.ep && closed(old.done) {
		base = old
	}
	l := &list{ep: s.ep, gen: s.gen, n: len(s.items), done: make(chan struct{}), used: c.tick}
	if old != nil {
		c.items -= old.size
	}
	c.m[key] = l
	c.mu.Unlock()

	l.items = s.match(base, m)
	close(l.done)

	c.mu.Lock()
	if c.m[key] == l {
		l.size = len(l.items)
		c.items += l.size
		c.evict(key)
	}
	c.mu.Unlock()
	return l.items
}

// evict drops the least recently used lists (other than keep) beyond the bounds.
func (c *lists) evict(keep string) {
	for len(c.m) > maxLists || c.items > maxListItems {
		var oldest string
		var at uint64
		for k, l := range c.m {
			if k != keep && closed(l.done) && (oldest == "" || l.used < at) {
				oldest, at = k, l.used
			}
		}
		if oldest == "" {
			return
		}
		c.items -= c.m[oldest].size
		delete(c.m, oldest)
	}
}

func closed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// match lists the live items of s that m selects, newest first: from base (a list of an
// earlier generation of the same epoch) and the items added since, else from all items.
func (s *snapshot) match(base *list, m matcher) []*item {
	from := 0
	var kept []*item
	if base != nil {
		from = base.n
		kept = make([]*item, 0, len(base.items)+8)
		for _, it := range base.items {
			if it.liveAt(s.gen) {
				kept = append(kept, it)
			}
		}
	}
	var added []*item
	for _, it := range s.items[from:] {
		if it.liveAt(s.gen) && m.match(it) {
			added = append(added, it)
		}
	}
	slices.SortFunc(added, newer)
	if len(kept) == 0 {
		return added
	}
	if len(added) == 0 {
		return kept
	}
	out := make([]*item, 0, len(kept)+len(added))
	i, j := 0, 0
	for i < len(kept) && j < len(added) {
		if newer(kept[i], added[j]) <= 0 {
			out = append(out, kept[i])
			i++
		} else {
			out = append(out, added[j])
			j++
		}
	}
	return append(append(out, kept[i:]...), added[j:]...)
}
