// Package cache is a byte-bounded in-memory LRU cache with optional per-entry expiry and
// singleflight loading. It starts no goroutines: expired entries are dropped when touched
// or evicted by newer ones.
package cache

import (
	"container/list"
	"context"
	"sync"
	"time"
)

// Sized is implemented by values that know their approximate size in bytes.
type Sized interface{ Size() int64 }

// entryOverhead approximates the bookkeeping bytes of one entry besides its key and value:
// its list element (48), the entry (64) and its share of the map (20 to 40), as measured by
// TestAccountsWhatItKeeps.
const entryOverhead = 144

type entry struct {
	key     string
	value   any
	size    int64
	expires time.Time // zero: never
}

// Cache holds values up to a byte bound; the least recently used go first.
type Cache struct {
	mu      sync.Mutex
	max     int64
	used    int64
	ll      *list.List
	items   map[string]*list.Element
	calls   map[string]*call // loads in flight
	now     func() time.Time
	hits    uint64
	misses  uint64
	evicted uint64
}

// New returns a cache that never holds more than maxBytes of accounted size.
func New(maxBytes int64) *Cache {
	return &Cache{max: maxBytes, ll: list.New(), items: map[string]*list.Element{}, calls: map[string]*call{}, now: time.Now}
}

// Stats are counters for tests, benchmarks and the health check.
type Stats struct {
	Entries               int
	Bytes, MaxBytes       int64
	Hits, Misses, Evicted uint64
}

// Stats reports the current occupancy and counters.
func (c *Cache) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Stats{Entries: c.ll.Len(), Bytes: c.used, MaxBytes: c.max, Hits: c.hits, Misses: c.misses, Evicted: c.evicted}
}

// Get returns the value for key if present and not expired.
func (c *Cache) Get(key string) (any, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[key]
	if !ok {
		c.misses++
		return nil, false
	}
	e := el.Value.(*entry)
	if !e.expires.IsZero() && c.now().After(e.expires) {
		c.remove(el)
		c.misses++
		return nil, false
	}
	c.ll.MoveToFront(el)
	c.hits++
	return e.value, true
}

// GetBatch looks n keys up under one lock, building each key in one reused buffer so that
// a batch allocates nothing: key(i, buf) appends the i-th key to buf, and found(i, value)
// is called for each key present and not expired. found runs under the cache's lock: it
// must be quick and must not use the cache.
func (c *Cache) GetBatch(n int, key func(i int, buf []byte) []byte, found func(i int, value any)) {
	buf := make([]byte, 0, 128)
	c.mu.Lock()
	defer c.mu.Unlock()
	var now time.Time
	for i := 0; i < n; i++ {
		buf = key(i, buf[:0])
		el, ok := c.items[string(buf)]
		if !ok {
			c.misses++
			continue
		}
		e := el.Value.(*entry)
		if !e.expires.IsZero() {
			if now.IsZero() {
				now = c.now()
			}
			if now.After(e.expires) {
				c.remove(el)
				c.misses++
				continue
			}
		}
		c.ll.MoveToFront(el)
		c.hits++
		found(i, e.value)
	}
}

// Set stores value under key for ttl (0: until evicted). Values larger than a quarter of
// the bound are not stored, so one huge value cannot flush the cache.
func (c *Cache) Set(key string, value any, ttl time.Duration) {
	size := sizeOf(value) + int64(len(key)) + entryOverhead
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		c.remove(el)
	}
	if size > c.max/4 {
		return
	}
	e := &entry{key: key, value: value, size: size}
	if ttl > 0 {
		e.expires = c.now().Add(ttl)
	}
	c.items[key] = c.ll.PushFront(e)
	c.used += size
	for c.used > c.max {
		c.remove(c.ll.Back())
		c.evicted++
	}
}

func (c *Cache) remove(el *list.Element) {
	e := el.Value.(*entry)
	c.ll.Remove(el)
	delete(c.items, e.key)
	c.used -= e.size
}

// call is one load in flight, shared by every caller of its key.
type call struct {
	done    chan struct{}
	val     any
	err     error
	cancel  context.CancelFunc
	waiters int
}

// Load returns the cached value for key, or runs load once for all concurrent callers of
// the same key and caches its result for ttl when store says so. Errors are never cached.
// The load keeps the first caller's context values; it is cancelled only when every caller
// waiting for it has given up, so one closed panel does not fail the others.
func (c *Cache) Load(ctx context.Context, key string, ttl time.Duration,
	load func(ctx context.Context) (value any, store bool, err error)) (any, error) {
	if v, ok := c.Get(key); ok {
		return v, nil
	}
	c.mu.Lock()
	cl, ok := c.calls[key]
	if ok {
		cl.waiters++
	} else {
		lctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		cl = &call{done: make(chan struct{}), cancel: cancel, waiters: 1}
		c.calls[key] = cl
		go c.run(key, ttl, cl, lctx, load)
	}
	c.mu.Unlock()
	select {
	case <-cl.done:
		return cl.val, cl.err
	case <-ctx.Done():
		c.mu.Lock()
		cl.waiters--
		if cl.waiters == 0 {
			cl.cancel()
			if c.calls[key] == cl {
				delete(c.calls, key) // a later caller starts afresh
			}
		}
		c.mu.Unlock()
		return nil, ctx.Err()
	}
}

func (c *Cache) run(key string, ttl time.Duration, cl *call, ctx context.Context,
	load func(ctx context.Context) (any, bool, error)) {
	defer cl.cancel()
	if v, ok := c.Get(key); ok {
		cl.val = v
	} else {
		v, store, err := load(ctx)
		if err == nil && store {
			c.Set(key, v, ttl)
		}
		cl.val, cl.err = v, err
	}
	c.mu.Lock()
	if c.calls[key] == cl {
		delete(c.calls, key)
	}
	c.mu.Unlock()
	close(cl.done)
}

func sizeOf(v any) int64 {
	switch x := v.(type) {
	case nil:
		return 0
	case Sized:
		return x.Size()
	case []byte:
		return int64(cap(x)) + 24 // all of the array is kept, and the slice header boxed in the entry
	case string:
		return int64(len(x)) + 16
	default:
		return 64
	}
}
