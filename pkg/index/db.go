package index

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/pgfail"
)

// DB writes recorded builds and imported evaluations into the index. It is safe for
// concurrent use, and so are several DBs (runners) writing the same index at once.
type DB struct {
	*conn
}

// writesLock is the advisory lock key that orders writes: builds take it shared (they run
// side by side), eval imports exclusive, so that a build recorded while an evaluation of
// its derivation is imported is named by it either way ("nixci" + 2).
const writesLock int64 = 0x6e69786369_02

// writeAttempts bounds how often a write transaction is retried after a deadlock,
// a serialisation failure or a lost connection; every write is idempotent.
const writeAttempts = 4

// Open connects to the index's database and checks that it answers. A malformed URL is an
// *query.InvalidError; a refused connection or login an *query.UpstreamError saying what
// to fix. No message carries the password.
func Open(ctx context.Context, o Options) (*DB, error) {
	c, err := connect(ctx, o, false)
	if err != nil {
		return nil, err
	}
	pctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	if err := c.pool.Ping(pctx); err != nil {
		c.pool.Close()
		return nil, c.fail(pctx, err, "connecting to the build index")
	}
	return &DB{conn: c}, nil
}

// Close releases the pool's connections; the DB must not be used afterwards.
func (d *DB) Close() { d.pool.Close() }

// write runs fn in one transaction holding writesLock (exclusive or shared), within the
// timeout, retrying it on a conflict or a lost connection; once it committed, it bumps the
// change counter (even when fn changed nothing: a retry may follow a commit whose answer
// was lost).
func (d *DB) write(ctx context.Context, what string, exclusive bool, fn func(pgx.Tx) error) error {
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	lock := `SELECT pg_advisory_xact_lock_shared($1)`
	if exclusive {
		lock = `SELECT pg_advisory_xact_lock($1)`
	}
	var err error
	for attempt := 1; attempt <= writeAttempts; attempt++ {
		err = pgx.BeginFunc(ctx, d.pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, lock, writesLock); err != nil {
				return err
			}
			return fn(tx)
		})
		if err == nil || ctx.Err() != nil || !(conflict(err) || pgfail.Lost(err)) {
			break
		}
		time.Sleep(time.Duration(attempt*attempt) * 10 * time.Millisecond)
	}
	if err != nil {
		return d.fail(ctx, err, what)
	}
	if err := d.changed(ctx); err != nil {
		return d.fail(ctx, err, what+" (it was stored, but readers were not told and may show it only after "+
			memoTTL.String()+"; recording it again tells them)")
	}
	return nil
}

// bumpSQL adds one to the change counter that readers check (migration 002).
const bumpSQL = `UPDATE nixci.changes SET n = n + 1`

// changed bumps the change counter in a statement of its own, after the write committed:
// a reader that sees the new count then also sees what was written.
func (d *DB) changed(ctx context.Context) error {
	var err error
	for attempt := 1; attempt <= writeAttempts; attempt++ {
		if _, err = d.pool.Exec(ctx, bumpSQL); err == nil || ctx.Err() != nil || !pgfail.Lost(err) {
			break
		}
	}
	return err
}
