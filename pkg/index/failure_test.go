package index_test

import (
	"context"
	"errors"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/index"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/testutil"
)

// failing checks that the writer's Open, the source's Health and a query through the
// engine all fail with o, saying every one of want and never the password.
func failing(t *testing.T, o index.Options, want ...string) {
	t.Helper()
	o.Timeout = 5 * time.Second
	ctx := context.Background()
	_, openErr := index.Open(ctx, o)
	src, err := index.NewSource(ctx, o)
	must(t, err)
	defer src.Close()
	_, healthErr := src.Health(ctx)
	r := runOn(engineOf(src), testutil.Job(map[string]any{"queryType": "builds"}))
	t.Logf("Open: %v\nHealth: %v", openErr, healthErr)
	for _, err := range []error{openErr, healthErr, r.Error} {
		says(t, err, o.Password, want...)
	}
	var up *query.UpstreamError
	if !errors.As(healthErr, &up) || !errors.As(openErr, &up) || r.ErrorSource != backend.ErrorSourceDownstream {
		t.Errorf("want UpstreamErrors reported as downstream, got %T, %T (%v)", openErr, healthErr, r.ErrorSource)
	}
}

// says checks that err says every one of want, and not secret.
func says(t *testing.T, err error, secret string, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want an error saying %q, got none", want)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not say %q", err, w)
		}
	}
	if secret != "" && strings.Contains(err.Error(), secret) {
		t.Errorf("error shows the secret %q: %q", secret, err)
	}
}

func TestConnectionFailures(t *testing.T) {
	e := newEnv(t)
	e.seed()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	closed := l.Addr().String()
	l.Close()

	t.Run("connection refused", func(t *testing.T) {
		failing(t, index.Options{URL: "postgres://nixci@" + closed + "/nixci?sslmode=disable", Password: "pw-refused"},
			"connection refused", "Check the host and port")
	})
	t.Run("wrong password", func(t *testing.T) {
		failing(t, index.Options{URL: dbURL(e.name), Password: "not-the-password-42"},
			`refused the login of user "nixci"`, "password")
	})
	t.Run("no such database", func(t *testing.T) {
		failing(t, index.Options{URL: dbURL("nixci_index_missing"), Password: testPassword}, "has no such database")
	})
	t.Run("a password in the URL", func(t *testing.T) {
		u, _ := url.Parse(dbURL(e.name))
		u.User = url.UserPassword(u.User.Username(), "wrong-in-url-77")
		_, err := index.NewSource(context.Background(), index.Options{URL: u.String()})
		says(t, err, "wrong-in-url-77", "contains a password", "databasePassword")
		// the writer takes it (a runner's DATABASE_URL), and never shows it
		_, err = index.Open(context.Background(), index.Options{URL: u.String(), Timeout: 5 * time.Second})
		says(t, err, "wrong-in-url-77", "refused the login")
	})
	t.Run("not a PostgreSQL URL", func(t *testing.T) {
		_, err := index.NewSource(context.Background(), index.Options{URL: "mysql://db/x"})
		var inv *query.InvalidError
		says(t, err, "", "must start with postgres://")
		if !errors.As(err, &inv) {
			t.Errorf("a MySQL URL: %T", err)
		}
	})
	// after all that, the working source still serves
	testutil.MustOK(t, e.run(testutil.Job(map[string]any{"queryType": "builds"})))
}

func TestOversizedArtifactIsRefused(t *testing.T) {
	e := newEnv(t)
	e.seed()
	src := e.source(index.Options{MaxArtifactBytes: 50})
	_, err := src.Artifact(context.Background(), query.Build{ID: 1, Finished: true}, "bench.json")
	var up *query.UpstreamError
	if !errors.As(err, &up) || up.HTTPStatus != 413 || !strings.Contains(err.Error(), "69 bytes, over the datasource's limit of 50") {
		t.Fatalf("an artifact over the limit: %v", err)
	}
	r := runOn(engineOf(src), testutil.Job(map[string]any{"queryType": "artifact", "product": "bench.json", "path": "results.throughput"}))
	// every kept artifact is over the limit; build 5's was not kept at all
	if r.Error != nil || !testutil.HasNotice(r, "8 builds could not be read") || !testutil.HasNotice(r, "maxArtifactBytes") {
		t.Fatalf("a query whose artifacts are over the limit: %v %+v", r.Error, r.Frames)
	}
}

func TestSessionsAreReadOnly(t *testing.T) {
	e := newEnv(t)
	msg, err := e.src.Health(context.Background())
	if err != nil || strings.Contains(msg, "not read-only") {
		t.Fatalf("Health: %q, %v", msg, err)
	}
}
