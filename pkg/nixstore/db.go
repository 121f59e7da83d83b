package nixstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// busyTimeout is how long a read waits for the Nix daemon's write lock
// before it fails with a "locked" error.
var busyTimeout = 5 * time.Second

// hashLen is the length of the base-32 hash that starts a store path's base name.
const hashLen = 32

// Path is one valid path of the Nix store, as registered in the store database.
type Path struct {
	Path       string    // full store path, e.g. /nix/store/<hash>-mybench-1
	Name       string    // the path's name without the hash and dash, e.g. mybench-1
	Deriver    string    // the .drv that built it; empty when unknown
	Registered time.Time // when the path became valid in this store (second precision)
	NarSize    int64     // size of the path's NAR serialisation in bytes
	Ultimate   bool      // built here rather than substituted
}

// DB reads the Nix store database (<nixStateDir>/db/db.sqlite) strictly
// read-only. It is safe for concurrent use.
type DB struct {
	db   *sql.DB
	file string
}

// OpenDB opens <stateDir>/db/db.sqlite read-only. It never creates the file,
// never writes and never takes a write lock; reads wait up to a few seconds
// while the Nix daemon holds its write lock.
func OpenDB(stateDir string) (*DB, error) {
	return openFile(filepath.Join(stateDir, "db", "db.sqlite"), busyTimeout)
}

func openFile(file string, busy time.Duration) (*DB, error) {
	abs, err := filepath.Abs(file)
	if err != nil {
		return nil, fmt.Errorf("nix store database %s: %w", file, err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("nix store database %s does not exist: set nixStateDir to the Nix state directory (default /nix/var/nix) of a machine with a local Nix store: %w", abs, err)
		}
		return nil, fmt.Errorf("nix store database %s: %w: check that the plugin may read it (nixStateDir setting)", abs, err)
	}
	if fi.IsDir() {
		return nil, fmt.Errorf("nix store database %s is a directory: set nixStateDir to the Nix state directory (default /nix/var/nix)", abs)
	}
	q := url.Values{}
	q.Set("mode", "ro")
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busy.Milliseconds()))
	q.Add("_pragma", "query_only(1)")
	dsn := (&url.URL{Scheme: "file", OmitHost: true, Path: abs, RawQuery: q.Encode()}).String()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("nix store database %s: %w", abs, err)
	}
	d := &DB{db: db, file: abs}
	// Check the file really is a Nix store database now rather than at the first query.
	var n int
	ctx, cancel := context.WithTimeout(context.Background(), busy+5*time.Second)
	defer cancel()
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('ValidPaths', 'DerivationOutputs')`).Scan(&n); err != nil {
		db.Close()
		return nil, d.wrap("open", err)
	}
	if n != 2 {
		db.Close()
		return nil, fmt.Errorf("%s is not a Nix store database (no ValidPaths/DerivationOutputs tables): check the nixStateDir setting", abs)
	}
	return d, nil
}

// Close closes the database.
func (d *DB) Close() error { return d.db.Close() }

// Paths returns the valid store paths whose Name matches nameGlob (path.Match
// syntax, e.g. "mybench-*" or an exact name), registered at or after since
// (compared in whole seconds; a zero since means any time), newest
// registration first, at most limit of them (limit <= 0: no limit).
// Derivations (.drv files) are never returned: they are not build outputs.
func (d *DB) Paths(ctx context.Context, nameGlob string, since time.Time, limit int) ([]Path, error) {
	if _, err := path.Match(nameGlob, ""); err != nil || nameGlob == "" {
		return nil, fmt.Errorf("invalid derivation name or glob %q: use a name such as mybench-1 or a glob such as mybench-*", nameGlob)
	}
	// Narrow in SQL by the glob's literal prefix (LIKE is case-insensitive,
	// so the exact match happens below) and by time.
	like := "%/" + strings.Repeat("_", hashLen) + "-" + likeEscape(literalPrefix(nameGlob)) + "%"
	var sinceSec int64 = -1 << 62
	if !since.IsZero() {
		sinceSec = since.Unix()
	}
	rows, err := d.db.QueryContext(ctx, `
		SELECT path, registrationTime, COALESCE(deriver, ''), COALESCE(narSize, 0), COALESCE(ultimate, 0)
		FROM ValidPaths
		WHERE path LIKE ? ESCAPE '\' AND path NOT LIKE '%.drv' AND registrationTime >= ?
		ORDER BY registrationTime DESC, id DESC`, like, sinceSec)
	if err != nil {
		return nil, d.wrap("list store paths", err)
	}
	defer rows.Close()
	var out []Path
	for rows.Next() {
		var p Path
		var reg, ultimate int64
		if err := rows.Scan(&p.Path, &reg, &p.Deriver, &p.NarSize, &ultimate); err != nil {
			return nil, d.wrap("list store paths", err)
		}
		p.Name = nameOf(p.Path)
		if p.Name == "" || strings.HasSuffix(p.Name, ".drv") {
			continue
		}
		if ok, _ := path.Match(nameGlob, p.Name); !ok {
			continue
		}
		p.Registered = time.Unix(reg, 0)
		p.Ultimate = ultimate != 0
		out = append(out, p)
		if limit > 0 && len(out) >= limit {
			break
		}
	}
	if err := rows.Err(); err != nil {
		return nil, d.wrap("list store paths", err)
	}
	return out, nil
}

// Outputs returns the outputs of the derivation drvPath (a full .drv store
// path) as output name → store path, e.g. "out" → /nix/store/<hash>-mybench-1.
// The output paths need not be valid (built) yet. A derivation that is not
// valid in this store has no outputs: the map is empty.
func (d *DB) Outputs(ctx context.Context, drvPath string) (map[string]string, error) {
	rows, err := d.db.QueryContext(ctx, `
		SELECT o.id, o.path
		FROM DerivationOutputs o JOIN ValidPaths v ON v.id = o.drv
		WHERE v.path = ?`, drvPath)
	if err != nil {
		return nil, d.wrap("read outputs of "+drvPath, err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var name, p string
		if err := rows.Scan(&name, &p); err != nil {
			return nil, d.wrap("read outputs of "+drvPath, err)
		}
		out[name] = p
	}
	if err := rows.Err(); err != nil {
		return nil, d.wrap("read outputs of "+drvPath, err)
	}
	return out, nil
}

// wrap turns a driver error into one that says what happened and what to do.
func (d *DB) wrap(what string, err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return fmt.Errorf("%s: the Nix database %s is locked by the daemon: try again: %w", what, d.file, err)
		case sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM, sqlite3.SQLITE_AUTH, sqlite3.SQLITE_READONLY:
			return fmt.Errorf("%s: cannot read the Nix database %s: give the plugin read access to it and its db directory (nixStateDir setting): %w", what, d.file, err)
		case sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT:
			return fmt.Errorf("%s: %s is not a readable Nix store database: check the nixStateDir setting: %w", what, d.file, err)
		}
	}
	return fmt.Errorf("%s: Nix database %s: %w", what, d.file, err)
}

// nameOf returns the name part of a store path: its base name without the
// hash and dash, or "" when the base name has no such hash.
func nameOf(storePath string) string {
	base := path.Base(storePath)
	if len(base) < hashLen+2 || base[hashLen] != '-' {
		return ""
	}
	return base[hashLen+1:]
}

// literalPrefix is the part of a path.Match pattern before its first special character.
func literalPrefix(glob string) string {
	if i := strings.IndexAny(glob, `*?[\`); i >= 0 {
		return glob[:i]
	}
	return glob
}

// likeEscape escapes LIKE's wildcards with a backslash.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// row is one build output of ValidPaths as the index keeps it.
type row struct {
	id      int64
	path    string
	reg     int64 // registrationTime, Unix seconds
	deriver string
}

// scan reads through conn, in one read transaction, the highest id of ValidPaths, how
// many rows have an id above after, and those of them that are build outputs (not .drv
// files), by id; with countAll also the number of all rows (derivations included), which
// costs a read of SQLite's smallest index of the table. ValidPaths.id only grows
// (AUTOINCREMENT), so after is where the previous scan ended.
func (d *DB) scan(ctx context.Context, conn *sql.Conn, after int64, countAll bool) (s scanned, err error) {
	tx, err := conn.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return s, d.wrap("read the store paths", err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only: nothing to undo
	counts := []struct {
		sql  string
		args []any
		dst  *int64
	}{
		{`SELECT COALESCE(max(id), 0) FROM ValidPaths`, nil, &s.maxID},
		{`SELECT count(*) FROM ValidPaths WHERE id > ?`, []any{after}, &s.newer},
		{`SELECT count(*) FROM ValidPaths`, nil, &s.total}, // a statement of its own: counted from the smallest index
	}
	if !countAll {
		counts, s.total = counts[:2], -1
	}
	for _, c := range counts {
		start := time.Now()
		if err := tx.QueryRowContext(ctx, c.sql, c.args...).Scan(c.dst); err != nil {
			return s, d.wrap("count the store paths", err)
		}
		s.took = time.Since(start) // of the last, the count of all rows when asked for
	}
	if s.newer == 0 {
		return s, nil
	}
	rs, err := tx.QueryContext(ctx, `SELECT id, path, registrationTime, COALESCE(deriver, '')
		FROM ValidPaths WHERE id > ? AND path NOT LIKE '%.drv' ORDER BY id`, after)
	if err != nil {
		return s, d.wrap("read the store paths", err)
	}
	defer rs.Close()
	s.rows = make([]row, 0, min(s.newer, 1<<20))
	for rs.Next() {
		var r row
		if err := rs.Scan(&r.id, &r.path, &r.reg, &r.deriver); err != nil {
			return s, d.wrap("read the store paths", err)
		}
		s.rows = append(s.rows, r)
	}
	if err := rs.Err(); err != nil {
		return s, d.wrap("read the store paths", err)
	}
	return s, nil
}

// version is PRAGMA data_version of conn: it changes when another connection (the Nix
// daemon) commits to the database, and costs no read of the tables.
func (d *DB) version(ctx context.Context, conn *sql.Conn) (int64, error) {
	var v int64
	if err := conn.QueryRowContext(ctx, `PRAGMA data_version`).Scan(&v); err != nil {
		return 0, d.wrap("check the Nix database for changes", err)
	}
	return v, nil
}

// scanned is what one scan read.
type scanned struct {
	total, maxID, newer int64 // total is -1 when not counted
	rows                []row
	all                 bool          // rows are all the outputs, not only the new ones
	took                time.Duration // how long counting all rows took
}
