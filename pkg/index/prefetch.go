package index

import (
	"sync"
)

// batchSize is how many builds' artifacts one statement reads.
const batchSize = 500

// maxRemembered bounds how many builds' places in their listings are remembered.
const maxRemembered = 1 << 17

// maxUnclaimed bounds the artifacts read ahead but not asked for yet (the engine had
// them cached, or stopped); past it the finished ones are dropped and read again if asked.
const maxUnclaimed = 4 * batchSize

// ahead reads artifacts many builds at a time. The engine asks for one build's product at
// a time, several at once, in the order of the listing; so an ask that finds nothing read
// or in flight reads it together with the builds that follow it in the latest listings,
// and the asks for those wait for that one statement instead of making their own. Rarely
// an ask that lagged behind reads a build already answered along; what is read and not
// asked for is dropped once there is more than maxUnclaimed of it.
type ahead struct {
	mu      sync.Mutex
	next    map[int64]int64 // build id → the next (older) succeeded build of its listing
	pending [][]int64       // listings not yet in next: most are never asked for (warm queries)
	waiting int             // ids in pending
	flight  map[flightKey]*flight
}

type flightKey struct {
	id      int64
	product string
}

// flight is one build's share of a batch: done closes when row and err are set.
type flight struct {
	done chan struct{}
	row  artifactRow
	err  error
}

// failed reports whether the flight ended with an error, which is not handed out again.
func (f *flight) failed() bool {
	select {
	case <-f.done:
		return f.err != nil
	default:
		return false
	}
}

func newAhead() *ahead { return &ahead{next: map[int64]int64{}, flight: map[flightKey]*flight{}} }

// listed remembers the order of a listing's succeeded builds, newest first. It is put in
// next only when an artifact is asked for: a warm query asks for none.
func (a *ahead) listed(ids []int64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.pending = append(a.pending, ids)
	a.waiting += len(ids)
	for a.waiting > maxRemembered && len(a.pending) > 1 {
		a.waiting -= len(a.pending[0])
		a.pending = a.pending[1:]
	}
}

// place puts the pending listings in next, in the order they came.
func (a *ahead) place() {
	for _, ids := range a.pending {
		if len(a.next)+len(ids) > maxRemembered {
			clear(a.next)
		}
		for i := 1; i < len(ids); i++ {
			a.next[ids[i-1]] = ids[i]
		}
	}
	a.pending, a.waiting = nil, 0
}

// claim returns the flight reading id's product, or, when there is none, starts a batch:
// id and the builds after it without a flight, whose flights the caller must finish.
func (a *ahead) claim(id int64, product string) (*flight, []int64, map[int64]*flight) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.place()
	if f, ok := a.flight[flightKey{id, product}]; ok {
		delete(a.flight, flightKey{id, product}) // each ask takes its result once
		if !f.failed() {
			return f, nil, nil
		}
	}
	if len(a.flight) > maxUnclaimed {
		for k, f := range a.flight {
			select {
			case <-f.done:
				delete(a.flight, k)
			default:
			}
		}
	}
	own := &flight{done: make(chan struct{})}
	a.flight[flightKey{id, product}] = own // so that no other batch reads it too; finish drops it
	ids := []int64{id}
	batch := map[int64]*flight{id: own}
	for cur, ok := a.next[id]; ok && len(ids) < batchSize; cur, ok = a.next[cur] {
		k := flightKey{cur, product}
		if _, busy := a.flight[k]; busy {
			break
		}
		f := &flight{done: make(chan struct{})}
		a.flight[k], batch[cur] = f, f
		ids = append(ids, cur)
	}
	return own, ids, batch
}

// finish hands each build of a batch its row (or the batch's error) and drops the
// starter's own flight, which it takes itself.
func (a *ahead) finish(id int64, product string, batch map[int64]*flight, rows map[int64]artifactRow, err error) {
	for bid, f := range batch {
		f.row, f.err = rows[bid], err
		close(f.done)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.flight[flightKey{id, product}] == batch[id] {
		delete(a.flight, flightKey{id, product})
	}
}
