package hydradb_test

import (
	"context"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/testutil"
	"strings"
	"testing"
	"time"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/hydra/hydratest"
)

// TestLegacyLayout reads a Hydra from before upgrade-80, whose builds still carry project
// and jobset text columns (jobset_id exists since upgrade-63).
func TestLegacyLayout(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.exec(`ALTER TABLE builds ADD COLUMN project text, ADD COLUMN jobset text`)
	e.generate(hydratest.GenOptions{N: 6, FailFraction: 0.5})
	e.exec(`UPDATE builds b SET project = j.project, jobset = j.name FROM jobsets j WHERE j.id = b.jobset_id`)
	e.exec(`ALTER TABLE builds ALTER COLUMN project SET NOT NULL, ALTER COLUMN jobset SET NOT NULL`)
	e.exec(`UPDATE schemaversion SET version = 79`)
	msg, err := e.src.Health(context.Background())
	if err != nil || !strings.Contains(msg, "schema version 79") || !strings.Contains(msg, "before upgrade-80") {
		t.Fatalf("Health: %q, %v", msg, err)
	}
	r := e.run(testutil.Job(map[string]any{"queryType": "builds"}))
	testutil.MustOK(t, r)
	e.golden("builds", r) // the same answer as the current layout
	r = e.run(testutil.Job(map[string]any{"queryType": "artifact", "product": "bench.json", "path": "results.throughput"}))
	testutil.MustOK(t, r)
	if r.Frames[0].Rows() != 3 {
		t.Fatalf("legacy layout: %d points, want the 3 successful builds", r.Frames[0].Rows())
	}
}

// TestStoreDirLayout reads a Hydra in the middle of the store-dir conversion (schema 89):
// converted rows hold a store path's basename, its store dir and a product's path inside
// it; the others still hold full paths. Times are bigint since upgrade-88.
func TestStoreDirLayout(t *testing.T) {
	e := newEnv(t, envOpts{noHydra: true})
	for _, sql := range []string{
		`ALTER TABLE builds ALTER COLUMN timestamp TYPE bigint, ALTER COLUMN starttime TYPE bigint, ALTER COLUMN stoptime TYPE bigint`,
		`ALTER TABLE buildmetrics ALTER COLUMN timestamp TYPE bigint`,
		`ALTER TABLE jobsetevals ALTER COLUMN timestamp TYPE bigint`,
		`ALTER TABLE builds ADD COLUMN storedir text`,
		`ALTER TABLE buildoutputs ADD COLUMN storedir text`,
		`ALTER TABLE buildproducts ADD COLUMN storedir text, ADD COLUMN subpath text`,
		`UPDATE schemaversion SET version = 89`,
	} {
		e.exec(sql)
	}
	e.seedDemo()
	// convert build 500's rows as hydra-backfill-store-dirs does; leave build 501's as they are
	e.exec(`UPDATE buildproducts SET storedir = $1, path = split_part(substr(path, length($1) + 2), '/', 1),
		subpath = nullif(substr(substr(path, length($1) + 2), length(split_part(substr(path, length($1) + 2), '/', 1)) + 2), '')
		WHERE build = 500`, e.store)
	e.exec(`UPDATE buildoutputs SET storedir = $1, path = substr(path, length($1) + 2) WHERE build = 500`, e.store)
	var path, sub string
	must(t, e.db.QueryRow(context.Background(), `SELECT path, subpath FROM buildproducts WHERE build = 500 AND productnr = 1`).Scan(&path, &sub))
	if strings.Contains(path, "/") || sub != "bench.json" {
		t.Fatalf("conversion went wrong: path %q, subpath %q", path, sub)
	}
	r := e.run(map[string]any{"queryType": "artifact", "project": "demo", "jobset": "flake", "job": "bench",
		"product": "bench.json", "path": "results.throughput"})
	testutil.MustOK(t, r)
	e.golden("demo_artifact_local", r) // the same answer as before the conversion
	r = e.run(map[string]any{"queryType": "artifact", "project": "demo", "jobset": "flake", "job": "bench",
		"product": "results/deep.json", "path": "x"})
	testutil.MustOK(t, r)
	if r.Frames[0].Rows() != 2 {
		t.Fatalf("a file inside a converted directory product: %s", table(r.Frames[0]))
	}
	r = e.runRange(map[string]any{"queryType": "metric", "project": "demo", "jobset": "flake", "job": "bench", "metric": "time",
		"timeField": "stoptime"}, rangeFrom, rangeTo.Add(time.Hour))
	testutil.MustOK(t, r)
	if r.Frames[0].Rows() != 2 {
		t.Fatalf("metric on bigint times: %s", table(r.Frames[0]))
	}
}
