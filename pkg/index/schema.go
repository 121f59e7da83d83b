package index

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Schema is the PostgreSQL schema holding the index's tables, apart from anything else
// the database holds.
const Schema = "nixci"

// migrationLock is the pg_advisory_xact_lock key that serialises migrations ("nixci" + 1).
const migrationLock int64 = 0x6e69786369_01

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one numbered step of the schema, from migrations/NNN_name.sql.
type migration struct {
	version int
	name    string
	sql     string
}

// NewestSchema is the schema version this package writes and reads: the number of the
// last migration.
const NewestSchema = 2

// migrations are the steps in order; their numbers count from 1 to NewestSchema.
var migrations = mustLoadMigrations()

func mustLoadMigrations() []migration {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		panic(err)
	}
	sort.Strings(names)
	out := make([]migration, 0, len(names))
	for i, name := range names {
		base := strings.TrimPrefix(name, "migrations/")
		num, _, _ := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if err != nil || v != i+1 {
			panic(fmt.Sprintf("index migration %s: want number %03d", base, i+1))
		}
		body, err := migrationFiles.ReadFile(name)
		if err != nil {
			panic(err)
		}
		out = append(out, migration{version: v, name: strings.TrimSuffix(base, ".sql"), sql: string(body)})
	}
	if len(out) != NewestSchema {
		panic(fmt.Sprintf("index: %d migrations embedded, NewestSchema says %d", len(out), NewestSchema))
	}
	return out
}

// Migrate creates the index's schema or brings it to NewestSchema. It runs in one
// transaction under an advisory lock, so runners migrating at once wait for each other
// and the first does the work; a schema newer than this package knows is left alone.
func (d *DB) Migrate(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	err := pgx.BeginFunc(ctx, d.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLock); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+Schema); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+Schema+`.schema_version (
			version integer PRIMARY KEY, name text NOT NULL, applied timestamptz NOT NULL DEFAULT now())`); err != nil {
			return err
		}
		var have int
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM `+Schema+`.schema_version`).Scan(&have); err != nil {
			return err
		}
		for _, m := range migrations[min(have, len(migrations)):] {
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return fmt.Errorf("migration %s: %w", m.name, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO `+Schema+`.schema_version (version, name) VALUES ($1, $2)`, m.version, m.name); err != nil {
				return err
			}
		}
		return nil
	})
	return d.fail(ctx, err, "creating or upgrading the index schema")
}

// schemaVersion reads the index's schema version; 0 when the database has no index.
func schemaVersion(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}) (int, error) {
	var exists bool
	if err := q.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, Schema+".schema_version").Scan(&exists); err != nil || !exists {
		return 0, err
	}
	var v int
	err := q.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM `+Schema+`.schema_version`).Scan(&v)
	return v, err
}
