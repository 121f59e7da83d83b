package hydradb_test

import (
	"context"
	"strings"
	"testing"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/hydra/hydratest"
)

// seedMany adds n builds of bench:main:bench (every tenth failed) with two metrics each,
// one evaluation per build with a git input, and noise builds of 200 jobs of another
// jobset, all with generate_series. The job's builds are queued ten minutes apart and end
// at hydratest.DefaultGenEnd.
func (e *env) seedMany(tb testing.TB, n, noise int) {
	tb.Helper()
	jsID := e.ensureJobset("bench", "main", "")
	otherID := e.ensureJobset("bench", "other", "")
	end := hydratest.DefaultGenEnd.Unix()
	for _, sql := range []string{
		`INSERT INTO builds (id, finished, timestamp, jobset_id, job, nixname, drvpath, system, starttime, stoptime,
			iscachedbuild, buildstatus, iscurrent)
		SELECT i, 1, $1::bigint - ($2::int - i) * 600, $3, 'bench', 'bench', '/nix/store/' || md5(i::text) || '-bench.drv',
			'x86_64-linux', $1::bigint - ($2::int - i) * 600 + 30, $1::bigint - ($2::int - i) * 600 + 230 + i % 200,
			0, CASE WHEN i % 10 = 0 THEN 1 ELSE 0 END, 0
		FROM generate_series(1, $2::int) i`,
		`INSERT INTO builds (id, finished, timestamp, jobset_id, job, drvpath, system, starttime, stoptime, iscachedbuild, buildstatus)
		SELECT $2::int + i, 1, $1::bigint - $2::bigint * 600 + i * $2::bigint * 600 / $4::int, $3::int, 'noise' || i % 200,
			'/nix/store/' || md5((-i)::text) || '-noise.drv', 'x86_64-linux', $1::bigint, $1::bigint, 0, 0
		FROM generate_series(1, $4::int) i`,
		`INSERT INTO buildmetrics (build, name, unit, value, project, jobset, job, timestamp)
		SELECT b.id, m.name, m.unit, CASE m.name WHEN 'time' THEN 200 + b.id % 200 ELSE 100000 + b.id % 50000 END,
			'bench', j.name, b.job, b.timestamp
		FROM builds b JOIN jobsets j ON j.id = b.jobset_id, (VALUES ('time', 's'), ('maxresident', 'KiB')) m(name, unit)
		WHERE b.buildstatus = 0`,
		`INSERT INTO jobsetevals (id, jobset_id, timestamp, checkouttime, evaltime, hasnewbuilds, hash, nrbuilds, nixexprinput, nixexprpath)
		SELECT id, jobset_id, timestamp, 1, 5, 1, md5(id::text), 1, 'src', 'release.nix' FROM builds`,
		`INSERT INTO jobsetevalinputs (eval, name, altnr, type, uri, revision)
		SELECT id, 'src', 0, 'git', 'https://example.org/bench.git', encode(sha256(id::text::bytea), 'hex') FROM jobsetevals`,
		`INSERT INTO jobsetevalmembers (eval, build, isnew) SELECT id, id, 1 FROM builds`,
		`ANALYZE`,
	} {
		var args []any
		switch {
		case strings.Contains(sql, "$4"):
			args = []any{end, n, otherID, noise}
		case strings.Contains(sql, "$3"):
			args = []any{end, n, jsID}
		}
		if _, err := e.db.Exec(context.Background(), sql, args...); err != nil {
			tb.Fatalf("%s: %v", sql, err)
		}
	}
}
