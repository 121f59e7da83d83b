package nixbuild_test

import (
	"context"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/experimental"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/cache"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/nixbuild"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/nixbuild/nixbuildtest"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/testutil"
)

// updateGolden rewrites golden files; only on purpose: UPDATE_GOLDEN=1 go test ./pkg/nixbuild/
var updateGolden = os.Getenv("UPDATE_GOLDEN") == "1"

const (
	token    = "nbt-secret-token-0123456789"
	seedFile = "testdata/seed/nixbuild-builds.json"
	seedJob  = "snix-qemu-6.1.0"
)

// seedDay is the day of the seed's two builds.
var seedDay = backend.TimeRange{From: time.Date(2022, 8, 19, 0, 0, 0, 0, time.UTC), To: time.Date(2022, 8, 20, 0, 0, 0, 0, time.UTC)}

type env struct {
	t   *testing.T
	srv *nixbuildtest.Server
	src *nixbuild.Source
	eng *query.Engine
}

type envOpts struct {
	token    string // the token the source sends; default the fake's
	pageSize int
	seed     bool
	timeout  time.Duration
}

func newEnv(t *testing.T, o envOpts) *env {
	t.Helper()
	srv := nixbuildtest.New(token)
	t.Cleanup(srv.Close)
	if o.seed {
		if err := srv.LoadSeed(seedFile); err != nil {
			t.Fatal(err)
		}
	}
	if o.token == "" {
		o.token = token
	}
	c, err := nixbuild.New(nixbuild.Options{BaseURL: srv.URL, Token: o.token, MaxConcurrency: 4, Timeout: o.timeout})
	if err != nil {
		t.Fatal(err)
	}
	ch := cache.New(16 << 20)
	src := nixbuild.NewSource(c, ch, nixbuild.SourceOptions{PageSize: o.pageSize})
	return &env{t: t, srv: srv, src: src, eng: query.NewEngine(src, ch, query.Options{Concurrency: 4})}
}

// run sends one query through the engine over the time range tr.
func (e *env) run(q map[string]any, tr backend.TimeRange) backend.DataResponse {
	e.t.Helper()
	raw, err := json.Marshal(q)
	if err != nil {
		e.t.Fatal(err)
	}
	return e.eng.Query(context.Background(), backend.DataQuery{RefID: "A", JSON: raw, TimeRange: tr}, false)
}

// golden compares r with testdata/golden/name.jsonc, the fake's address hidden.
func (e *env) golden(name string, r backend.DataResponse) {
	e.t.Helper()
	testutil.HideURL(r.Frames, e.srv.URL, "http://nixbuild.test")
	experimental.CheckGoldenJSONResponse(e.t, "testdata/golden", name, &r, updateGolden)
}

// window is a query.Window over tr with limit.
func window(tr backend.TimeRange, limit int) query.Window {
	return query.Window{From: tr.From, To: tr.To, Limit: limit}
}
