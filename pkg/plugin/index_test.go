package plugin

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/jackc/pgx/v5"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/hydra/hydratest"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/index"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/record"
)

// indexDatabase makes a fresh database holding a migrated build index, dropped when the
// test ends, and returns its URL.
func indexDatabase(t *testing.T) (string, string) {
	base, password := testDatabase(t)
	ctx := context.Background()
	name := fmt.Sprintf("nixci_plugin_index_%d_%d", time.Now().UnixNano(), os.Getpid())
	admin := func(sql string) error {
		cfg, err := pgx.ParseConfig(base)
		if err != nil {
			return err
		}
		cfg.Password = password
		c, err := pgx.ConnectConfig(ctx, cfg)
		if err != nil {
			return err
		}
		defer c.Close(ctx)
		_, err = c.Exec(ctx, sql)
		return err
	}
	if err := admin("CREATE DATABASE " + pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = admin("DROP DATABASE IF EXISTS " + pgx.Identifier{name}.Sanitize() + " WITH (FORCE)") })
	u, _ := url.Parse(base)
	u.Path = "/" + name
	return u.String(), password
}

func TestIndexSourceThroughThePlugin(t *testing.T) {
	dbURL, password := indexDatabase(t)
	b, _ := json.Marshal(map[string]any{"source": "index", "database": dbURL})
	settings := string(b)
	secure := map[string]string{"databasePassword": password}

	// before anything was recorded: the health check says how to create the index
	d := newInstance(t, "", settings, secure)
	h, _ := d.CheckHealth(context.Background(), &backend.CheckHealthRequest{})
	if h.Status != backend.HealthStatusError || !strings.Contains(h.Message, "nixci-artifacts migrate") {
		t.Fatalf("a database without the index: %v %q", h.Status, h.Message)
	}

	// a runner records two builds of bench, named with --job only
	ctx := context.Background()
	db := migratedIndex(t, dbURL, password)
	end := hydratest.DefaultGenEnd
	for i, v := range []string{"41.5", "42.5"} {
		out := fmt.Sprintf("/nix/store/%032d-bench", i)
		_, err := db.WriteBuild(ctx, record.Record{Job: "bench", NamedBy: record.NamedByFlag, Outputs: []record.Output{{Name: "out", Path: out}},
			Time: end.Add(time.Duration(i-2) * time.Hour), Products: []record.Artifact{{Name: "bench.json", Path: out + "/bench.json",
				Content: []byte(`{"results":{"throughput":` + v + `}}`)}}})
		if err != nil {
			t.Fatal(err)
		}
	}

	h, _ = d.CheckHealth(ctx, &backend.CheckHealthRequest{})
	if h.Status != backend.HealthStatusOk || !strings.Contains(h.Message, "2 builds") {
		t.Fatalf("health: %v %q", h.Status, h.Message)
	}
	res, err := d.QueryData(ctx, &backend.QueryDataRequest{Queries: []backend.DataQuery{
		dataQuery("A", `{"queryType":"artifact","job":"bench","product":"bench.json","path":"results.throughput"}`)}})
	if err != nil {
		t.Fatal(err)
	}
	r := res.Responses["A"]
	if r.Error != nil || len(r.Frames) != 1 || r.Frames[0].Rows() != 2 || r.Frames[0].Fields[1].At(1).(float64) != 42.5 {
		t.Fatalf("artifact query on the index (the job alone names it): %v %v", r.Error, r.Frames)
	}

	// a wrong password: a clear message without it
	d = newInstance(t, "", settings, map[string]string{"databasePassword": secret})
	h, _ = d.CheckHealth(ctx, &backend.CheckHealthRequest{})
	if h.Status != backend.HealthStatusError || strings.Contains(h.Message, secret) || !strings.Contains(h.Message, "password") {
		t.Fatalf("wrong password: %v %q", h.Status, h.Message)
	}
}

// migratedIndex opens the build index at dbURL and migrates it; it is closed with the test.
func migratedIndex(t *testing.T, dbURL, password string) *index.DB {
	t.Helper()
	db, err := index.Open(context.Background(), index.Options{URL: dbURL, Password: password})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}
