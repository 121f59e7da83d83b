package plugin

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"fmt"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/testutil"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/jackc/pgx/v5"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/hydra/hydratest"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/record"
)

// The faults tests break one thing a datasource depends on at a time (the server, the
// password, the schema, a lock, the store) and check that the query and the health check
// say what to fix, blame downstream, and that a good query is served afterwards.

const faultArtifactQuery = `{"queryType":"artifact","job":"bench","product":"bench.json","path":"results.throughput"}`

// faultQuery runs one query and returns its response; a Go error from QueryData fails.
func faultQuery(t *testing.T, d *Datasource, body string) backend.DataResponse {
	t.Helper()
	res, err := d.QueryData(context.Background(), &backend.QueryDataRequest{Queries: []backend.DataQuery{dataQuery("A", body)}})
	if err != nil {
		t.Fatalf("QueryData must not fail as a whole: %v", err)
	}
	return res.Responses["A"]
}

// wantFault checks that the response is a downstream error whose message has phrase.
func wantFault(t *testing.T, what string, r backend.DataResponse, phrase string) {
	t.Helper()
	if r.Error == nil {
		t.Fatalf("%s: no error, %d frames", what, len(r.Frames))
	}
	t.Logf("%s: query: %q (%s)", what, r.Error.Error(), r.ErrorSource)
	if !strings.Contains(r.Error.Error(), phrase) {
		t.Errorf("%s: the query's message %q lacks %q", what, r.Error.Error(), phrase)
	}
	if r.ErrorSource != backend.ErrorSourceDownstream {
		t.Errorf("%s: error source %q, want downstream", what, r.ErrorSource)
	}
	if strings.Contains(r.Error.Error(), secret) {
		t.Errorf("%s: the message carries the password", what)
	}
}

// wantUnhealthy checks that the health check fails with a message that has phrase.
func wantUnhealthy(t *testing.T, what string, d *Datasource, phrase string) {
	t.Helper()
	h, err := d.CheckHealth(context.Background(), &backend.CheckHealthRequest{})
	if err != nil {
		t.Fatalf("%s: CheckHealth: %v", what, err)
	}
	t.Logf("%s: health: %v %q", what, h.Status, h.Message)
	if h.Status != backend.HealthStatusError || !strings.Contains(h.Message, phrase) {
		t.Errorf("%s: health %v %q, want an error with %q", what, h.Status, h.Message, phrase)
	}
}

// wantRows checks that the response has one frame with n rows.
func wantRows(t *testing.T, what string, r backend.DataResponse, n int) {
	t.Helper()
	if r.Error != nil || len(r.Frames) != 1 || r.Frames[0].Rows() != n {
		t.Fatalf("%s: %v, %d frames, want one frame of %d rows", what, r.Error, len(r.Frames), n)
	}
}

// closedPort is a local TCP port that nothing listens on.
func closedPort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

func settingsJSON(m map[string]any) string {
	b, _ := json.Marshal(m)
	return string(b)
}

// seededIndex is a migrated index database holding two builds of bench.
func seededIndex(t *testing.T) (dbURL, password string) {
	dbURL, password = indexDatabase(t)
	db := migratedIndex(t, dbURL, password)
	end := hydratest.DefaultGenEnd
	for i, v := range []string{"41.5", "42.5"} {
		out := fmt.Sprintf("/nix/store/%032d-bench", i)
		_, err := db.WriteBuild(context.Background(), record.Record{Job: "bench", NamedBy: record.NamedByFlag,
			Outputs: []record.Output{{Name: "out", Path: out}}, Time: end.Add(time.Duration(i-2) * time.Hour),
			Products: []record.Artifact{{Name: "bench.json", Path: out + "/bench.json", Content: []byte(`{"results":{"throughput":` + v + `}}`)}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	return dbURL, password
}

func TestFaultsOfTheIndexSource(t *testing.T) {
	good, password := seededIndex(t)
	goodSecure := map[string]string{"databasePassword": password}
	index := func(dbURL string, timeout int) string {
		return settingsJSON(map[string]any{"source": "index", "database": dbURL, "timeoutSeconds": timeout})
	}
	refused, _ := url.Parse(good)
	refused.Host = fmt.Sprintf("127.0.0.1:%d", closedPort(t))
	empty, _ := indexDatabase(t)

	cases := []struct {
		name   string
		dbURL  string
		secure map[string]string
		phrase string
	}{
		{"refused", refused.String(), goodSecure, "Check the host and port"},
		{"wrong password", good, map[string]string{"databasePassword": secret}, "its password (secureJsonData databasePassword"},
		{"not the index", empty, goodSecure, "nixci-artifacts migrate"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := newInstance(t, "", index(tc.dbURL, 5), tc.secure)
			wantFault(t, tc.name, faultQuery(t, d, faultArtifactQuery), tc.phrase)
			wantUnhealthy(t, tc.name, d, tc.phrase)
			// the plugin keeps serving: a good instance answers
			wantRows(t, "after "+tc.name, faultQuery(t, newInstance(t, "", index(good, 5), goodSecure), faultArtifactQuery), 2)
		})
	}

	t.Run("statement timeout", func(t *testing.T) {
		d := newInstance(t, "", index(good, 1), goodSecure)
		wantRows(t, "before the lock", faultQuery(t, d, faultArtifactQuery), 2)
		ctx := context.Background()
		c := connectPG(t, good, password)
		tx, err := c.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(ctx, `LOCK TABLE nixci.builds IN ACCESS EXCLUSIVE MODE`); err != nil {
			t.Fatal(err)
		}
		// another job, so that no answer cached from the first query can serve it
		start := time.Now()
		r := faultQuery(t, d, `{"queryType":"artifact","job":"bench2","product":"bench.json","path":"results.throughput"}`)
		took := time.Since(start)
		if err := tx.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
		wantFault(t, "statement timeout", r, "raise timeoutSeconds")
		if took > 10*time.Second {
			t.Errorf("the query waited %v for the lock with timeoutSeconds 1", took)
		}
		wantRows(t, "after the lock is released, on the same instance", faultQuery(t, d, faultArtifactQuery), 2)
		wantRows(t, "a job not read before, on the same instance",
			faultQuery(t, d, `{"queryType":"builds","job":"bench"}`), 2)
	})
}

// madeUpStore is a Nix store for tests that need no Nix: one output named bench with
// bench.json, registered an hour before the test queries' end, in a store database
// written by the test. It returns the store and state directories.
func madeUpStore(t *testing.T) (storeDir, stateDir string) {
	storeDir, stateDir = filepath.Join(t.TempDir(), "store"), t.TempDir()
	sum := sha256.Sum256([]byte("bench"))
	const alphabet = "0123456789abcdfghijklmnpqrsvwxyz"
	h := make([]byte, 32)
	for i := range h {
		h[i] = alphabet[sum[i]%32]
	}
	out := filepath.Join(storeDir, string(h)+"-bench")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, "bench.json"), []byte(`{"results":{"throughput":7}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(stateDir, "db"), 0o755); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", filepath.Join(stateDir, "db", "db.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(testutil.NixSchema); err != nil {
		t.Fatal(err)
	}
	reg := hydratest.DefaultGenEnd.Add(-time.Hour).Unix()
	if _, err := db.Exec(`INSERT INTO ValidPaths (path, hash, registrationTime, narSize, ultimate) VALUES (?, 'sha256:0', ?, 1, 1)`, out, reg); err != nil {
		t.Fatal(err)
	}
	return storeDir, stateDir
}

func TestFaultsOfTheStoreSource(t *testing.T) {
	storeDir, stateDir := madeUpStore(t)
	store := func(storeDir, stateDir string) string {
		return settingsJSON(map[string]any{"source": "store", "storeDir": storeDir, "nixStateDir": stateDir})
	}
	cases := []struct {
		name            string
		storeDir, state string
		phrase          string
	}{
		{"storeDir missing", filepath.Join(t.TempDir(), "no-such-store"), stateDir, "set storeDir to the Nix store"},
		{"storeDir relative", "nix/store", stateDir, "must be an absolute path"},
		{"no Nix database", storeDir, filepath.Join(t.TempDir(), "no-such-state"), "set nixStateDir"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := newInstance(t, "", store(tc.storeDir, tc.state), nil)
			wantFault(t, tc.name, faultQuery(t, d, faultArtifactQuery), tc.phrase)
			wantUnhealthy(t, tc.name, d, tc.phrase)
			wantRows(t, "after "+tc.name, faultQuery(t, newInstance(t, "", store(storeDir, stateDir), nil), faultArtifactQuery), 1)
		})
	}
}

// hydraDatabase is a fresh database holding Hydra's schema (pkg/hydradb/testdata) and one
// finished build of p:j:bench with the metric time = 7 s.
func hydraDatabase(t *testing.T) (dbURL, password string) {
	dbURL, password = indexDatabase(t)
	schema, err := os.ReadFile("../hydradb/testdata/hydra-schema.sql")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	c := connectPG(t, dbURL, password)
	ts := hydratest.DefaultGenEnd.Add(-time.Hour).Unix()
	for _, s := range []string{string(schema),
		`INSERT INTO projects (name, displayname, owner) VALUES ('p', 'P', 'admin')`,
		`INSERT INTO jobsets (project, name, emailoverride, type, nixexprinput, nixexprpath) VALUES ('p', 'j', '', 0, 'src', 'release.nix')`,
		fmt.Sprintf(`INSERT INTO builds (id, finished, timestamp, jobset_id, job, nixname, drvpath, system, iscurrent, buildstatus, starttime, stoptime, iscachedbuild)
			SELECT 1, 1, %[1]d, id, 'bench', 'bench', '/nix/store/00000000000000000000000000000001-bench.drv', 'x86_64-linux', 1, 0, %[1]d, %[1]d, 0 FROM jobsets`, ts),
		`INSERT INTO buildoutputs (build, name, path) VALUES (1, 'out', '/nix/store/00000000000000000000000000000001-bench')`,
		fmt.Sprintf(`INSERT INTO buildmetrics (build, name, unit, value, project, jobset, job, timestamp) VALUES (1, 'time', 's', 7, 'p', 'j', 'bench', %d)`, ts),
	} {
		if _, err := c.Exec(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	return dbURL, password
}

func TestFaultsOfTheHydraDBSource(t *testing.T) {
	const metric = `{"queryType":"metric","project":"p","jobset":"j","job":"bench","metric":"time"}`
	hydra := func(dbURL string) string { return settingsJSON(map[string]any{"source": "hydradb", "database": dbURL}) }
	good, password := hydraDatabase(t)
	secure := map[string]string{"databasePassword": password}
	indexDB, _ := seededIndex(t)
	empty, _ := indexDatabase(t)
	for _, tc := range []struct{ name, dbURL string }{{"the index database", indexDB}, {"an empty database", empty}} {
		t.Run(tc.name, func(t *testing.T) {
			d := newInstance(t, "", hydra(tc.dbURL), secure)
			wantFault(t, tc.name, faultQuery(t, d, metric), "is not Hydra's: it has no schemaversion table. Set the database URL")
			wantUnhealthy(t, tc.name, d, "is not Hydra's: it has no schemaversion table. Set the database URL")
			wantRows(t, "after "+tc.name, faultQuery(t, newInstance(t, "", hydra(good), secure), metric), 1)
		})
	}
}

// connectPG opens one connection of the test's own, closed with the test.
func connectPG(t *testing.T, url, password string) *pgx.Conn {
	t.Helper()
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Password = password
	c, err := pgx.ConnectConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c
}
