package hydradb

import (
	"sync"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

// originCacheBytes bounds each of the origin cache's two generations (accounted bytes):
// about 150,000 builds with 64-hex revisions fit in one.
const originCacheBytes = 16 << 20

// originCache keeps the origins of builds, which never change (the evaluation that
// introduced a build stays the one), so a dashboard's refreshes read them once. It holds
// two generations: when the young one reaches its byte bound, the old one is dropped and
// the young one ages, so at most twice the bound is kept and recent entries survive.
type originCache struct {
	mu         sync.Mutex
	young, old map[int64]query.Origin
	bytes      int64
	max        int64
}

func newOriginCache(max int64) *originCache {
	return &originCache{young: map[int64]query.Origin{}, old: map[int64]query.Origin{}, max: max}
}

// lookup fills out with the cached origins of builds and returns the ids it lacks. It
// reads nothing but each build's ID: the engine completes the builds' times meanwhile.
func (c *originCache) lookup(builds []query.Build, out map[int64]query.Origin) []int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	var missing []int64
	for i := range builds {
		if !c.get(builds[i].ID, out) {
			missing = append(missing, builds[i].ID)
		}
	}
	return missing
}

// lookupIDs is lookup for build ids; out may be nil when only the missing ids matter.
func (c *originCache) lookupIDs(ids []int64, out map[int64]query.Origin) []int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	var missing []int64
	for _, id := range ids {
		if !c.get(id, out) {
			missing = append(missing, id)
		}
	}
	return missing
}

// get puts the build's cached origin into out (if not nil) and says whether there is
// one; c.mu is held.
func (c *originCache) get(id int64, out map[int64]query.Origin) bool {
	o, ok := c.young[id]
	if !ok {
		if o, ok = c.old[id]; ok {
			c.add(id, o) // still in use: keep it young
		}
	}
	if ok && out != nil {
		out[id] = o
	}
	return ok
}

// store keeps origins read from the database.
func (c *originCache) store(found map[int64]query.Origin) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for id, o := range found {
		c.add(id, o)
	}
}

func (c *originCache) add(id int64, o query.Origin) {
	if _, ok := c.young[id]; ok {
		return
	}
	if c.bytes >= c.max {
		c.old, c.young, c.bytes = c.young, make(map[int64]query.Origin, len(c.young)), 0
	}
	c.young[id] = o
	c.bytes += int64(48 + len(o.Revision))
}
