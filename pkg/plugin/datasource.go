// Package plugin wires the engine into Grafana: instances, QueryData, CheckHealth,
// CallResource and Dispose. It holds no query logic of its own.
package plugin

import (
	"context"
	"sync"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/instancemgmt"
	"github.com/grafana/grafana-plugin-sdk-go/backend/log"
	"github.com/grafana/grafana-plugin-sdk-go/backend/resource/httpadapter"
	"github.com/grafana/grafana-plugin-sdk-go/backend/tracing"
	"go.opentelemetry.io/otel/attribute"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/cache"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/models"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

// PluginID is the plugin's id in plugin.json.
const PluginID = "nixci-artifacts-datasource"

// Version is the plugin version sent to Hydra in the User-Agent; main sets it from the build.
var Version = "dev"

var (
	_ backend.QueryDataHandler      = (*Datasource)(nil)
	_ backend.CheckHealthHandler    = (*Datasource)(nil)
	_ backend.CallResourceHandler   = (*Datasource)(nil)
	_ instancemgmt.InstanceDisposer = (*Datasource)(nil)
)

// Datasource is one configured datasource instance.
type Datasource struct {
	settings    *models.Settings
	settingsErr error // the settings cannot work; every call reports it
	engine      *query.Engine
	src         query.Source
	catalog     query.Catalog
	health      func(context.Context) (string, error)
	cache       *cache.Cache
	resources   backend.CallResourceHandler
	dispose     []func()
}

// New is the instance factory: it parses the settings once and builds the source. Bad
// settings do not fail the factory; they are reported by every query and the health check.
func New(ctx context.Context, s backend.DataSourceInstanceSettings) (instancemgmt.Instance, error) {
	d := &Datasource{}
	d.resources = httpadapter.New(d.routes())
	cfg, err := models.Load(s)
	if err != nil {
		d.settingsErr = query.Invalidf("datasource settings: %v", err)
		return d, nil
	}
	d.settings = cfg
	d.cache = cache.New(cfg.CacheBytes)
	switch cfg.Source {
	case models.SourceHydra:
		err = d.newHydra(ctx, s)
	case models.SourceHydraDB:
		err = d.newHydraDB(ctx, s)
	case models.SourceStore:
		err = d.newStore(ctx, s)
	case models.SourceIndex:
		err = d.newIndex(ctx, s)
	case models.SourceNixbuild:
		err = d.newNixbuild(ctx, s)
	default:
		err = query.Invalidf("source %q is not available in this version of the plugin: use hydra, hydradb, store, index or nixbuild", cfg.Source)
	}
	if err != nil {
		d.settingsErr = err
		return d, nil
	}
	// the store, the index and nixbuild.net name a job by its name (or a glob) alone
	fullJob := cfg.Source != models.SourceStore && cfg.Source != models.SourceIndex && cfg.Source != models.SourceNixbuild
	d.engine = query.NewEngine(d.src, d.cache, query.Options{Concurrency: cfg.MaxConcurrency, FullJob: fullJob})
	return d, nil
}

// Dispose releases the source's connections when Grafana replaces or removes the instance.
func (d *Datasource) Dispose() {
	for _, f := range d.dispose {
		f()
	}
}

// QueryData answers every query of the request concurrently; each gets its own response,
// errors included.
func (d *Datasource) QueryData(ctx context.Context, req *backend.QueryDataRequest) (*backend.QueryDataResponse, error) {
	resp := backend.NewQueryDataResponse()
	fromAlert := req.Headers[backend.FromAlertHeaderName] == "true"
	limit := 10
	if cfg := req.PluginContext.GrafanaConfig; cfg != nil {
		if n, err := cfg.ConcurrentQueryCount(); err == nil && n > 0 {
			limit = n
		}
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, limit)
	for _, q := range req.Queries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			r := d.query(ctx, q, fromAlert)
			mu.Lock()
			resp.Responses[q.RefID] = r
			mu.Unlock()
		}()
	}
	wg.Wait()
	return resp, nil
}

func (d *Datasource) query(ctx context.Context, q backend.DataQuery, fromAlert bool) backend.DataResponse {
	if d.settingsErr != nil {
		return query.ErrorResponse(d.settingsErr)
	}
	ctx, span := tracing.DefaultTracer().Start(ctx, "nixci.query")
	defer span.End()
	span.SetAttributes(attribute.String("query_type", q.QueryType), attribute.String("ref_id", q.RefID))
	start := time.Now()
	r := d.engine.Query(ctx, q, fromAlert)
	log.DefaultLogger.FromContext(ctx).Debug("query done", "refId", q.RefID, "queryType", q.QueryType,
		"duration", time.Since(start), "error", r.Error)
	return r
}

// CallResource serves the query editor's pick lists and previews.
func (d *Datasource) CallResource(ctx context.Context, req *backend.CallResourceRequest, sender backend.CallResourceResponseSender) error {
	return d.resources.CallResource(ctx, req, sender)
}
