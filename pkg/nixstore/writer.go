package nixstore

import (
	"context"
	"database/sql"
	"os"
	"time"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/record"
)

// writer is the state of the refreshes, touched by one at a time.
type writer struct {
	dbInfo    os.FileInfo
	conn      *sql.Conn // the refreshes' own connection, for data_version
	version   int64     // its data_version at the last scan; 0: none yet
	total     int64     // rows of ValidPaths at the last scan
	nextCount time.Time // when rows may be counted again
	uncounted bool      // the database changed since rows were last counted
	lastID    int64     // highest ValidPaths id at the last scan
	gen       uint64
	ep        *epoch
	items     []*item
	j         *journal
	reload    bool // load everything at the next refresh
}

// scan reads what was added to ValidPaths since the last scan, nothing when the database
// did not change (data_version), or all of it when full or when rows vanished below the
// last id (garbage was collected): then sc.all is set. Whether rows vanished is known
// from counting all rows, which takes time in proportion to the store; it is done at
// most every 50 times its last duration, so that it takes no more than 2% of the time
// however large the store. Rows that vanished meanwhile are found by the next count.
func (w *writer) scan(ctx context.Context, db *DB, full bool) (sc scanned, err error) {
	if w.conn == nil {
		if w.conn, err = db.db.Conn(ctx); err != nil {
			return sc, db.wrap("connect", err)
		}
		w.version = 0
	}
	defer func() {
		if err != nil {
			w.dropConn() // start afresh after a lock or a broken connection
		}
	}()
	v, err := db.version(ctx, w.conn)
	if err != nil {
		return sc, err
	}
	now := time.Now()
	count := full || !now.Before(w.nextCount)
	if !full && v == w.version && !(w.uncounted && count) {
		return scanned{total: w.total, maxID: w.lastID}, nil
	}
	if !full {
		if sc, err = db.scan(ctx, w.conn, w.lastID, count); err != nil {
			return sc, err
		}
		if count {
			full = sc.total != w.total+sc.newer
		} else {
			sc.total = w.total + sc.newer
		}
	}
	if full {
		if sc, err = db.scan(ctx, w.conn, 0, true); err != nil {
			return sc, err
		}
		sc.all = true
	}
	if count {
		w.nextCount = now.Add(50 * sc.took)
	}
	w.version, w.uncounted = v, !count
	return sc, nil
}

func (w *writer) dropConn() {
	if w.conn != nil {
		_ = w.conn.Close()
		w.conn = nil
	}
}

// load starts a new epoch with every valid path and every recorded build, and returns
// the bytes of metrics kept over from the previous epoch's items. Rows are taken as the
// database has them, whatever their directory.
func (w *writer) load(rows []row, recs map[string]*record.Record) (kept int64) {
	w.gen++
	prev := w.ep
	ep := &epoch{byID: make(map[int64]*item, len(rows)+len(recs))}
	items := make([]*item, 0, len(rows)+len(recs))
	seen := make(map[string]bool, len(recs))
	for _, r := range rows {
		name := outputName("", r.path)
		if name == "" {
			continue
		}
		it := validItem(r, name)
		if rec := recs[r.path]; rec != nil {
			it, seen[r.path] = withRecord(it, rec, r.path), true
		} else if old := prev.current(it.id); old != nil && old.path == it.path && old.valid {
			if ms := old.metrics.Load(); ms != nil {
				it.metrics.Store(ms)
				kept += ms.size()
			}
		}
		ep.byID[it.id] = it
		items = append(items, it)
	}
	for p, rec := range recs {
		if !seen[p] {
			it := withRecord(nil, rec, p)
			ep.byID[it.id] = it
			items = append(items, it)
		}
	}
	w.ep, w.items = ep, items
	return kept
}

// add takes new valid paths and records into the epoch: a path recorded before it was
// seen valid, or valid before it was recorded, gets a merged item replacing the old one.
func (w *writer) add(rows []row, recs []*record.Record) {
	w.gen++
	gen := w.gen
	ep := w.ep
	ep.mu.Lock()
	defer ep.mu.Unlock()
	put := func(it *item) {
		if old := ep.byID[it.id]; old != nil {
			old.dead.Store(gen)
		}
		ep.byID[it.id] = it
		w.items = append(w.items, it)
	}
	for _, r := range rows {
		name := outputName("", r.path)
		if name == "" {
			continue
		}
		if old := ep.byID[BuildID(r.path)]; old != nil && old.path == r.path && old.rec != nil {
			put(withRow(old, r))
		} else {
			put(validItem(r, name))
		}
	}
	for _, rec := range recs {
		p := rec.MainOutput()
		old := ep.byID[BuildID(p)]
		if old != nil && old.path != p {
			old = nil
		}
		put(withRecord(old, rec, p))
	}
}
