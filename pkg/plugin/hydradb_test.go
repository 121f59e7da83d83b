package plugin

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

// testDatabase is the PostgreSQL that scripts/postgres starts; in CI its absence fails.
func testDatabase(t *testing.T) (url, password string) {
	url, password = os.Getenv("NIXCI_TEST_DATABASE_URL"), os.Getenv("NIXCI_TEST_DATABASE_PASSWORD")
	if url == "" {
		msg := `NIXCI_TEST_DATABASE_URL is not set: run  eval "$(scripts/postgres)"  first`
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return url, password
}

func TestHydraDBSourceThroughThePlugin(t *testing.T) {
	url, password := testDatabase(t)
	b, _ := json.Marshal(map[string]any{"source": "hydradb", "database": url})
	settings := string(b)
	// the test database is PostgreSQL but not Hydra's: the health check says so
	d := newInstance(t, "", settings, map[string]string{"databasePassword": password})
	h, _ := d.CheckHealth(context.Background(), &backend.CheckHealthRequest{})
	if h.Status != backend.HealthStatusError || !strings.Contains(strings.ToLower(h.Message), "hydra") {
		t.Fatalf("a non-Hydra database: %v %q", h.Status, h.Message)
	}
	res, _ := d.QueryData(context.Background(), &backend.QueryDataRequest{Queries: []backend.DataQuery{
		dataQuery("A", `{"queryType":"metric","project":"p","jobset":"j","job":"x","metric":"time"}`)}})
	if r := res.Responses["A"]; r.Error == nil || r.ErrorSource != backend.ErrorSourceDownstream {
		t.Fatalf("a query on a non-Hydra database: %v (%v)", r.Error, r.ErrorSource)
	}

	// a wrong password: a clear error that does not carry the password
	d = newInstance(t, "", settings, map[string]string{"databasePassword": secret})
	h, _ = d.CheckHealth(context.Background(), &backend.CheckHealthRequest{})
	if h.Status != backend.HealthStatusError || strings.Contains(h.Message, secret) {
		t.Fatalf("wrong password: %v %q", h.Status, h.Message)
	}
	if !strings.Contains(strings.ToLower(h.Message), "password") {
		t.Fatalf("the message does not point at the password: %q", h.Message)
	}
}
