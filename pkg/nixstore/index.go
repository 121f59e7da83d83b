package nixstore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of the index.
const (
	// DefaultRefresh is how often the index is refreshed at most.
	DefaultRefresh = 2 * time.Second
	// patience is how long a query with a snapshot in hand waits for a refresh in flight
	// before it answers from the snapshot.
	patience = 100 * time.Millisecond
	// refreshTimeout bounds one refresh (a first load of a large store included).
	refreshTimeout = 5 * time.Minute
)

// index is an in-memory copy of the store's valid build outputs and of the journal's
// recorded builds, so that no query scans the store. It loads everything once, then at
// most every `every` reads only what was added (ValidPaths rows with a higher id, journal
// lines past the last offset). When rows vanished (nix-collect-garbage) it loads again.
//
// Queries share one refresh at a time; with a snapshot in hand they wait for it at most
// briefly, and a refresh that fails leaves them the previous snapshot.
type index struct {
	store    string
	stateDir string
	dbFile   string
	every    time.Duration

	db    atomic.Pointer[DB]
	cur   atomic.Pointer[snapshot]
	lists lists

	mu      sync.Mutex
	flight  chan struct{} // closed when the refresh in flight ends; nil when none
	lastTry time.Time
	lastErr error
	closed  bool
	wg      sync.WaitGroup
	base    context.Context
	stop    context.CancelFunc

	w           writer       // owned by the refresh in flight
	metricBytes atomic.Int64 // bytes of metrics the items hold, bounded by metricCacheBytes
	loads       atomic.Int64 // full loads so far, for tests
	runs        atomic.Int64 // refreshes started so far, for tests
	rows        atomic.Int64 // ValidPaths rows read so far, for tests
}

// snapshot is the index as one refresh left it. Its fields never change.
type snapshot struct {
	ep    *epoch
	gen   uint64
	items []*item // every item of the epoch up to gen, replaced ones included
	at    time.Time
	j     *journal
	jerr  error // why the journal could not be read this time
}

// epoch is what the index holds since its last full load.
type epoch struct {
	mu   sync.RWMutex
	byID map[int64]*item // the current item of every build id
}

// current is lookup for the refresh, which alone changes the map; nil for a nil epoch.
func (e *epoch) current(id int64) *item {
	if e == nil {
		return nil
	}
	return e.byID[id]
}

// lookup returns the current item of a build id, nil when none.
func (e *epoch) lookup(id int64) *item {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.byID[id]
}

func newIndex(db *DB, store, stateDir string, every time.Duration) *index {
	if every <= 0 {
		every = DefaultRefresh
	}
	x := &index{store: store, stateDir: stateDir, dbFile: db.file, every: every}
	x.db.Store(db)
	x.w.dbInfo, _ = os.Stat(db.file)
	x.w.j = newJournal(stateDir)
	x.base, x.stop = context.WithCancel(context.Background())
	return x
}

// close stops a refresh in flight and closes the database.
func (x *index) close() error {
	x.mu.Lock()
	x.closed = true
	x.mu.Unlock()
	x.stop()
	x.wg.Wait()
	x.w.dropConn()
	return x.db.Load().Close()
}

// get returns a snapshot no older than the refresh interval when the store can be read,
// else the last one; an error only when there is none.
func (x *index) get(ctx context.Context) (*snapshot, error) {
	s := x.cur.Load()
	if s != nil && time.Since(s.at) < x.every {
		return s, nil
	}
	x.mu.Lock()
	if x.closed {
		x.mu.Unlock()
		return nil, errors.New("the store source is closed")
	}
	if s = x.cur.Load(); s != nil && time.Since(s.at) < x.every {
		x.mu.Unlock()
		return s, nil
	}
	ch := x.flight
	if ch == nil {
		if err := x.lastErr; err != nil && time.Since(x.lastTry) < x.every {
			x.mu.Unlock() // it failed a moment ago: do not hammer a locked database
			if s != nil {
				return s, nil
			}
			return nil, err
		}
		ch = make(chan struct{})
		x.flight, x.lastTry = ch, time.Now()
		x.wg.Add(1)
		go x.run(ch)
	}
	x.mu.Unlock()
	var timeout <-chan time.Time
	if s != nil {
		t := time.NewTimer(patience)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-ch:
	case <-timeout:
		return s, nil
	case <-ctx.Done():
		if s != nil {
			return s, nil
		}
		return nil, ctx.Err()
	}
	if n := x.cur.Load(); n != nil {
		return n, nil
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	return nil, x.lastErr
}

// run is one refresh, on its own so that no query's cancellation stops it.
func (x *index) run(ch chan struct{}) {
	defer x.wg.Done()
	x.runs.Add(1)
	ctx, cancel := context.WithTimeout(x.base, refreshTimeout)
	err := x.refresh(ctx)
	cancel()
	if err != nil {
		err = fmt.Errorf("reading the Nix store at %s: %w", x.store, err)
	}
	x.mu.Lock()
	x.lastErr, x.flight = err, nil
	x.mu.Unlock()
	close(ch)
}

// refresh reads what changed and publishes a new snapshot.
func (x *index) refresh(ctx context.Context) error {
	w := &x.w
	db, reopened, err := x.openDB()
	if err != nil {
		return err
	}
	if w.j.replaced() {
		w.j, w.reload = newJournal(x.stateDir), true
	}
	full := w.ep == nil || reopened || w.reload
	w.reload = full // until the load below is done
	sc, err := w.scan(ctx, db, full)
	if err != nil {
		return err
	}
	full = full || sc.all
	x.rows.Add(int64(len(sc.rows)))
	recs, jerr := w.j.tail(x.store)
	w.total, w.lastID = sc.total, sc.maxID
	prev := x.cur.Load()
	switch {
	case full:
		x.loads.Add(1)
		x.metricBytes.Store(w.load(sc.rows, w.j.recs))
		w.reload = false
	case len(sc.rows) > 0 || len(recs) > 0:
		w.add(sc.rows, recs)
	case prev != nil && prev.j == w.j && (prev.jerr == nil) == (jerr == nil):
		x.cur.Store(&snapshot{ep: prev.ep, gen: prev.gen, items: prev.items, at: time.Now(), j: prev.j, jerr: jerr})
		return nil
	}
	x.cur.Store(&snapshot{ep: w.ep, gen: w.gen, items: w.items, at: time.Now(), j: w.j, jerr: jerr})
	return nil
}

// openDB returns the database, opened again when its file was replaced.
func (x *index) openDB() (*DB, bool, error) {
	fi, err := os.Stat(x.dbFile)
	if errors.Is(err, os.ErrNotExist) {
		return nil, false, fmt.Errorf("nix store database %s does not exist (any more): set nixStateDir to the Nix state directory (default /nix/var/nix)", x.dbFile)
	}
	if err != nil {
		return nil, false, fmt.Errorf("nix store database %s: %w: check the nixStateDir setting and that the plugin may read it", x.dbFile, err)
	}
	db := x.db.Load()
	if x.w.dbInfo != nil && os.SameFile(fi, x.w.dbInfo) {
		return db, false, nil
	}
	n, err := openFile(x.dbFile, busyTimeout)
	if err != nil {
		return nil, false, err
	}
	x.w.dropConn()
	x.db.Store(n)
	x.w.dbInfo = fi
	_ = db.Close()
	return n, true, nil
}
