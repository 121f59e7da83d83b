package index

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/cache"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

// A Source keeps what it read of a job (its listing with the builds' origins, its metric
// series, its metric names) under the index's change counter, which every writer bumps
// right after its commit (DB.write). Each question reads the counter with one cheap
// statement and, while it is the same, is answered from memory: a window is cut from the
// kept rows exactly as the windowed statement would cut it. What is kept is bounded in
// bytes (Options.CacheBytes) and dropped after memoTTL however the counter stands.

// DefaultCacheBytes is how much a Source keeps between queries unless Options say otherwise.
const DefaultCacheBytes = 32 << 20

// memoTTL bounds how long anything read is used again while the counter stays the same,
// for writes that did not bump it: a writer that died between its commit and its bump, a
// recorder older than schema 2, a change made by hand.
const memoTTL = 60 * time.Second

// changesSQL reads the change counter (migration 002).
const changesSQL = `SELECT n FROM nixci.changes`

// change reads the change counter for one question. ok is false when the Source keeps
// nothing (Options.CacheBytes < 0) or the index refuses the counter (a privilege revoked):
// the question then goes to the index as it is. Not reaching the index is an error.
func (s *Source) change(ctx context.Context) (n int64, ok bool, err error) {
	if s.memo == nil {
		return 0, false, nil
	}
	err = s.read(ctx, "reading the index's change counter", func(ctx context.Context) error {
		return s.pool.QueryRow(ctx, changesSQL).Scan(&n)
	})
	var pg *pgconn.PgError
	if errors.As(err, &pg) && strings.HasPrefix(pg.Code, "42") { // no privilege, no table: ask the index instead
		return 0, false, nil
	}
	return n, err == nil, err
}

// kept is a job's rows that a Source keeps: every row timed from since on, newest first
// (or the newest of them, when there were more than it keeps).
type kept interface {
	cache.Sized
	from() time.Time
}

// recall returns what was read at change n under key, when it holds the rows from since
// on; else it reads them with load, once for all who ask at the same time. fresh says
// that they were read for this question.
func recall[T kept](ctx context.Context, s *Source, n int64, key string, since time.Time,
	load func(ctx context.Context, since time.Time) (T, error)) (v T, fresh bool, err error) {
	key = strconv.FormatInt(n, 10) + "\x00" + key
	if got, ok := s.memo.Get(key); ok && !since.Before(got.(T).from()) {
		return got.(T), false, nil
	}
	got, err := s.memo.Load(ctx, key+"\x00"+strconv.FormatInt(since.UnixMicro(), 10), 0, func(ctx context.Context) (any, bool, error) {
		if got, ok := s.memo.Get(key); ok && !since.Before(got.(T).from()) { // kept by a load that just ended
			return got, false, nil
		}
		s.loads.Add(1)
		v, err := load(ctx, since)
		if err != nil {
			return nil, false, err
		}
		if old, ok := s.memo.Get(key); !ok || !old.(T).from().Before(since) { // keep the one reaching further back
			s.memo.Set(key, v, s.ttl)
		}
		return v, false, nil // kept under key, not under this load's own
	})
	if err != nil {
		return v, false, err
	}
	return got.(T), true, nil
}

// jobKey names a job in the memo's keys (names never hold a NUL).
func jobKey(job query.JobRef) string { return job.Project + "\x00" + job.Jobset + "\x00" + job.Job }

// micro is a time as PostgreSQL receives it from pgx: cut down to whole microseconds.
func micro(t time.Time) time.Time { return t.Truncate(time.Microsecond) }

// inWindow finds in a newest-first list of n rows (at gives a row's time) the rows that
// "time BETWEEN w.From AND w.To ORDER BY time DESC LIMIT w.Limit+1" returns: rows lo to hi.
// ok is false when the list was cut (only the newest rows kept) before it could tell.
func inWindow(n int, at func(i int) time.Time, w query.Window, cut bool) (lo, hi int, ok bool) {
	from, to := micro(w.From), micro(w.To)
	lo = sort.Search(n, func(i int) bool { return !at(i).After(to) })
	end := max(lo, sort.Search(n, func(i int) bool { return at(i).Before(from) }))
	hi = min(end, lo+w.Limit+1)
	return lo, hi, hi-lo == w.Limit+1 || end < n || !cut
}

// shownFrom says, for ExecutedQueryString, that a window was cut in memory from the rows
// that read (a statement as shown) returned at change n, just now or earlier.
func shownFrom(read string, n int64, fresh bool, col string, w query.Window) []string {
	when := "just now"
	if !fresh {
		when = "before, kept in memory: nothing changed since"
	}
	return []string{read, fmt.Sprintf("-- then in memory: %s BETWEEN %s AND %s LIMIT %d, of the rows read at index change %d (%s)",
		col, micro(w.From).UTC().Format(time.RFC3339Nano), micro(w.To).UTC().Format(time.RFC3339Nano), w.Limit+1, n, when)}
}
