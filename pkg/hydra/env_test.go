package hydra_test

import (
	"context"
	"encoding/json"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/testutil"
	"os"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/httpclient"
	"github.com/grafana/grafana-plugin-sdk-go/experimental"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/cache"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/hydra"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/hydra/hydratest"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

// updateGolden rewrites golden files; only on purpose: UPDATE_GOLDEN=1 go test ./pkg/hydra/
var updateGolden = os.Getenv("UPDATE_GOLDEN") == "1"

// fakeURL replaces the fake Hydra's random address in golden files.
const fakeURL = "http://hydra.test"

type env struct {
	t      testing.TB
	srv    *hydratest.Server
	src    *hydra.Source
	engine *query.Engine
	cache  *cache.Cache
}

type envOpts struct {
	concurrency int
	maxBytes    int64
	timeout     time.Duration
	user, pass  string
	listTTL     time.Duration // default 15 s, as the plugin
}

func newEnv(t testing.TB, o envOpts) *env {
	t.Helper()
	srv := hydratest.New()
	t.Cleanup(srv.Close)
	if o.concurrency == 0 {
		o.concurrency = 8
	}
	if o.maxBytes == 0 {
		o.maxBytes = 1 << 20
	}
	if o.timeout == 0 {
		o.timeout = 10 * time.Second
	}
	hc, err := httpclient.New(httpclient.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := hydra.New(hydra.Options{BaseURL: srv.URL, HTTP: hc, MaxConcurrency: o.concurrency, Timeout: o.timeout,
		MaxBytes: o.maxBytes, User: o.user, Password: o.pass, UserAgent: "nixci-artifacts-datasource/test"})
	if err != nil {
		t.Fatal(err)
	}
	if o.listTTL == 0 {
		o.listTTL = 15 * time.Second
	}
	ch := cache.New(64 << 20)
	src := hydra.NewSource(c, ch, o.listTTL)
	return &env{t: t, srv: srv, src: src, cache: ch,
		engine: query.NewEngine(src, ch, query.Options{Concurrency: o.concurrency, FullJob: true})}
}

// window covering every generated build (they end at hydratest.DefaultGenEnd).
var (
	rangeFrom = hydratest.DefaultGenEnd.Add(-365 * 24 * time.Hour)
	rangeTo   = hydratest.DefaultGenEnd.Add(24 * time.Hour)
)

func (e *env) run(q map[string]any) backend.DataResponse {
	return e.runRange(q, rangeFrom, rangeTo)
}

func (e *env) runRange(q map[string]any, from, to time.Time) backend.DataResponse {
	e.t.Helper()
	raw, _ := json.Marshal(q)
	return e.engine.Query(context.Background(), backend.DataQuery{RefID: "A", JSON: raw,
		TimeRange: backend.TimeRange{From: from, To: to}}, false)
}

// golden compares a response with testdata/golden/NAME.jsonc after hiding the fake's address.
func (e *env) golden(name string, r backend.DataResponse) {
	e.t.Helper()
	testutil.HideURL(r.Frames, e.srv.URL, fakeURL)
	experimental.CheckGoldenJSONResponse(e.t.(*testing.T), "testdata/golden", name, &r, updateGolden)
}
