package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/nixbuild/nixbuildtest"
)

const (
	nixbuildSecret = "EnEMbiscuitTokenSecret-4f9a2c"
	nixbuildWrong  = "EnEMbiscuitTokenWrong-7d1e0b"
)

// The nixbuild.net token stays in the plugin as the Hydra password does: every answer,
// resource and log line of the launched plugin is searched for it, with the right token, a
// wrong one, the API down, and an API whose 500 page echoes the request (its Authorization
// header with it).
func TestNoSecretLeavesThePluginNixbuild(t *testing.T) {
	api := func(t *testing.T, echo bool) string {
		srv := nixbuildtest.New(nixbuildSecret)
		t.Cleanup(srv.Close)
		nixbuildtest.Generate(srv, nixbuildtest.GenOptions{N: 5, End: to.Add(-24 * time.Hour)})
		if echo {
			srv.SetFault(func(w http.ResponseWriter, r *http.Request) bool { echo500(w, r); return true })
		}
		return srv.URL
	}
	job := map[string]any{"job": "bench-1.0"}
	for _, c := range []struct {
		name  string
		url   func(t *testing.T) string
		token string
		ok    bool
	}{
		{"right token", func(t *testing.T) string { return api(t, false) }, nixbuildSecret, true},
		{"wrong token", func(t *testing.T) string { return api(t, false) }, nixbuildWrong, false},
		{"API down", func(t *testing.T) string { return "http://" + closedAddr(t) }, nixbuildSecret, false},
		{"500 echoing every request", func(t *testing.T) string { return api(t, true) }, nixbuildSecret, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := launch(t, c.url(t), map[string]any{"source": "nixbuild", "timeoutSeconds": 5}, map[string]string{"nixbuildToken": c.token})
			a := exercise(t, p, job)
			checkNoSecret(t, p, a, nixbuildSecret, nixbuildWrong)
			if ok := strings.HasPrefix(a["health"], "OK"); ok != c.ok {
				t.Errorf("health: %s", a["health"])
			}
			if ok := strings.HasPrefix(a["query builds"], "OK frames=1 rows=5"); ok != c.ok {
				t.Errorf("builds query: %s", a["query builds"])
			}
		})
	}
}
