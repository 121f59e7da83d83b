package hydradb_test

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/hydra/hydratest"
)

// seedMany adds n builds of bench:main:bench (every tenth failed) with two metrics each,
// one evaluation per build with a git input, and noise builds of 200 jobs of another
// jobset, all with generate_series. The job's builds are queued ten minutes apart and end
// at hydratest.DefaultGenEnd; the noise builds are queued among them, evenly, and ids
// follow queue times as in Hydra, so the job's build i (1..n) has id jobBuildID(i, n, noise).
func (e *env) seedMany(tb testing.TB, n, noise int) {
	tb.Helper()
	e.bulkLoad(tb, e.manyStatements(n, noise))
}

// jobBuildID is the id of the job's build i (1..n) among noise builds of other jobs: i
// plus the noise builds queued before it.
func jobBuildID(i, n, noise int) int64 { return int64(i) + int64(i)*int64(noise)/int64(n) }

// seedHistory seeds as seedMany does (with n noise builds, at most 100,000), adds every
// build's output and product bench.json (productStatements) and writes the files of the
// newest files builds; it logs how long the database and the files took, and returns how
// many noise builds it added.
func (e *env) seedHistory(tb testing.TB, n, files int) (noise int) {
	tb.Helper()
	start := time.Now()
	noise = min(n, 100_000)
	e.bulkLoad(tb, append(e.manyStatements(n, noise), productStatements(e.store)...))
	db := time.Since(start)
	e.writeProducts(tb, files)
	tb.Logf("seeded n=%d (and %d builds of other jobs) in %.1f s, %d product files in %.1f s",
		n, noise, db.Seconds(), files, (time.Since(start) - db).Seconds())
	return noise
}

// statement is one seeding statement and its arguments.
type statement struct {
	sql  string
	args []any
}

// manyStatements are seedMany's inserts. Noise build j is queued a second before the
// job's build ceil(j * n / noise).
func (e *env) manyStatements(n, noise int) []statement {
	jsID := e.ensureJobset("bench", "main", "")
	otherID := e.ensureJobset("bench", "other", "")
	end := hydratest.DefaultGenEnd.Unix()
	return []statement{
		{`INSERT INTO builds (id, finished, timestamp, jobset_id, job, nixname, drvpath, system, starttime, stoptime,
			iscachedbuild, buildstatus, iscurrent)
		SELECT i + i::bigint * $4 / $2, 1, $1::bigint - ($2::int - i) * 600, $3, 'bench', 'bench',
			'/nix/store/' || md5(i::text) || '-bench.drv', 'x86_64-linux',
			$1::bigint - ($2::int - i) * 600 + 30, $1::bigint - ($2::int - i) * 600 + 230 + i % 200,
			0, CASE WHEN i % 10 = 0 THEN 1 ELSE 0 END, 0
		FROM generate_series(1, $2::int) i`, []any{end, n, jsID, noise}},
		{`INSERT INTO builds (id, finished, timestamp, jobset_id, job, drvpath, system, starttime, stoptime, iscachedbuild, buildstatus)
		SELECT j + next - 1, 1, $1::bigint - ($2::int - next) * 600 - 1, $3::int, 'noise' || j % 200,
			'/nix/store/' || md5((-j)::text) || '-noise.drv', 'x86_64-linux', $1::bigint, $1::bigint, 0, 0
		FROM generate_series(1, $4::int) j, LATERAL (SELECT (j::bigint * $2 + $4 - 1) / $4 AS next) x`,
			[]any{end, n, otherID, noise}},
		{`INSERT INTO buildmetrics (build, name, unit, value, project, jobset, job, timestamp)
		SELECT b.id, m.name, m.unit, CASE m.name WHEN 'time' THEN 200 + b.id % 200 ELSE 100000 + b.id % 50000 END,
			'bench', j.name, b.job, b.timestamp
		FROM builds b JOIN jobsets j ON j.id = b.jobset_id, (VALUES ('time', 's'), ('maxresident', 'KiB')) m(name, unit)
		WHERE b.buildstatus = 0`, nil},
		{`INSERT INTO jobsetevals (id, jobset_id, timestamp, checkouttime, evaltime, hasnewbuilds, hash, nrbuilds, nixexprinput, nixexprpath)
		SELECT id, jobset_id, timestamp, 1, 5, 1, md5(id::text), 1, 'src', 'release.nix' FROM builds`, nil},
		{`INSERT INTO jobsetevalinputs (eval, name, altnr, type, uri, revision)
		SELECT id, 'src', 0, 'git', 'https://example.org/bench.git', encode(sha256(id::text::bytea), 'hex') FROM jobsetevals`, nil},
		{`INSERT INTO jobsetevalmembers (eval, build, isnew) SELECT id, id, 1 FROM builds`, nil},
	}
}

// benchProduct is the product every successful seeded build of bench:main:bench has.
const benchProduct = "bench.json"

// productStatements give the seeded builds of bench:main:bench what Hydra records for
// them: the output out (<store>/<md5(id)>-bench) of every build and the product
// bench.json inside it of every successful one.
func productStatements(store string) []statement {
	return []statement{
		{`INSERT INTO buildoutputs (build, name, path)
		SELECT id, 'out', $1 || '/' || md5(id::text) || '-bench' FROM builds WHERE job = 'bench'`, []any{store}},
		{`INSERT INTO buildproducts (build, productnr, type, subtype, filesize, path, name)
		SELECT id, 1, 'file', 'json', 40, $1 || '/' || md5(id::text) || '-bench/` + benchProduct + `', '` + benchProduct + `'
		FROM builds WHERE job = 'bench' AND buildstatus = 0`, []any{store}},
	}
}

// bulkTables are the tables the seeding statements fill.
var bulkTables = []string{"builds", "buildmetrics", "jobsetevals", "jobsetevalinputs", "jobsetevalmembers",
	"buildoutputs", "buildproducts"}

// bulkLoad runs the statements in one transaction with the foreign keys and secondary
// indexes of bulkTables dropped, then recreates them as they were (same names and
// definitions, the foreign keys checked again), and vacuums and analyzes the tables so
// that neither autovacuum nor hint-bit writes run during a benchmark. Loading first and
// indexing after is what makes a million builds take seconds rather than minutes.
func (e *env) bulkLoad(tb testing.TB, stmts []statement) {
	tb.Helper()
	ctx := context.Background()
	err := pgx.BeginFunc(ctx, e.db, func(tx pgx.Tx) error {
		// (drop, recreate) pairs: foreign keys first, so that they are added back last
		rows, err := tx.Query(ctx, `
			SELECT format('ALTER TABLE %s DROP CONSTRAINT %I', conrelid::regclass, conname),
				format('ALTER TABLE %s ADD CONSTRAINT %I %s', conrelid::regclass, conname, pg_get_constraintdef(oid)), 0
			FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY($1::text[]::regclass[])
			UNION ALL
			SELECT format('DROP INDEX %s', indexrelid::regclass), pg_get_indexdef(indexrelid), 1
			FROM pg_index WHERE indrelid = ANY($1::text[]::regclass[]) AND NOT indisprimary AND NOT indisunique
			ORDER BY 3`, bulkTables)
		if err != nil {
			return err
		}
		pairs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) ([2]string, error) {
			var p [2]string
			var order int
			return p, r.Scan(&p[0], &p[1], &order)
		})
		if err != nil {
			return err
		}
		var all []statement
		for _, p := range pairs {
			all = append(all, statement{sql: p[0]})
		}
		all = append(all, statement{sql: `SET LOCAL maintenance_work_mem = '256MB'`})
		all = append(all, stmts...)
		for i := len(pairs) - 1; i >= 0; i-- {
			all = append(all, statement{sql: pairs[i][1]})
		}
		for _, s := range all {
			if _, err := tx.Exec(ctx, s.sql, s.args...); err != nil {
				return fmt.Errorf("%s: %w", strings.Join(strings.Fields(s.sql), " "), err)
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("seeding: %v", err)
	}
	if _, err := e.db.Exec(ctx, `VACUUM ANALYZE `+strings.Join(bulkTables, ", ")); err != nil {
		tb.Fatalf("seeding: %v", err)
	}
}

// writeProducts writes into the local store the bench.json of the successful builds
// among the newest files of bench:main:bench, each {"results":{"throughput":<build id>}}.
func (e *env) writeProducts(tb testing.TB, files int) {
	tb.Helper()
	rows, err := e.db.Query(context.Background(),
		`SELECT id FROM (SELECT id, buildstatus FROM builds WHERE job = 'bench' ORDER BY id DESC LIMIT $1) b WHERE buildstatus = 0`, files)
	if err != nil {
		tb.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		tb.Fatal(err)
	}
	for _, id := range ids {
		sum := md5.Sum([]byte(fmt.Sprint(id)))
		dir := filepath.Join(e.store, hex.EncodeToString(sum[:])+"-bench")
		if err := os.Mkdir(dir, 0o755); err != nil {
			tb.Fatal(err)
		}
		body := fmt.Appendf(nil, `{"results":{"throughput":%d}}`, id)
		if err := os.WriteFile(filepath.Join(dir, benchProduct), body, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
}

// memDir is a temporary directory in memory (/dev/shm) where there is one, else on disk:
// creating thousands of small files costs a millisecond each on some disks, and what the
// benchmarks time is reading them, which the page cache serves alike.
func memDir(tb testing.TB) string {
	tb.Helper()
	dir, err := os.MkdirTemp("/dev/shm", "nixci-hydradb-")
	if err != nil {
		return tb.TempDir()
	}
	tb.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}
