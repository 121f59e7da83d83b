// Package plugin wires the engine into Grafana: instances, QueryData, CheckHealth,
// CallResource and Dispose. It holds no query logic of its own.
package plugin

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/httpclient"
	"github.com/grafana/grafana-plugin-sdk-go/backend/instancemgmt"
	"github.com/grafana/grafana-plugin-sdk-go/backend/log"
	"github.com/grafana/grafana-plugin-sdk-go/backend/resource/httpadapter"
	"github.com/grafana/grafana-plugin-sdk-go/backend/tracing"
	"go.opentelemetry.io/otel/attribute"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/cache"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/hydra"
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
	hydra       *hydra.Source
	catalog     query.Catalog
	cache       *cache.Cache
	resources   backend.CallResourceHandler
	dispose     func()
}

// New is the instance factory: it parses the settings once and builds the source. Bad
// settings do not fail the factory; they are reported by every query and the health check.
func New(ctx context.Context, s backend.DataSourceInstanceSettings) (instancemgmt.Instance, error) {
	d := &Datasource{}
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
	default:
		err = query.Invalidf("source %q is not available in this version of the plugin: use hydra", cfg.Source)
	}
	if err != nil {
		d.settingsErr = err
	}
	d.resources = httpadapter.New(d.routes())
	return d, nil
}

func (d *Datasource) newHydra(ctx context.Context, s backend.DataSourceInstanceSettings) error {
	opts, err := s.HTTPClientOptions(ctx)
	if err != nil {
		return query.Invalidf("datasource HTTP settings: %v", err)
	}
	timeout := time.Duration(d.settings.TimeoutSeconds) * time.Second
	opts.Timeouts.Timeout = 0 // each request has its own deadline, body included
	hc, err := httpclient.New(opts)
	if err != nil {
		return fmt.Errorf("creating the HTTP client: %w", err)
	}
	c, err := hydra.New(hydra.Options{
		BaseURL: d.settings.URL, HTTP: hc, MaxConcurrency: d.settings.MaxConcurrency, Timeout: timeout,
		MaxBytes: d.settings.MaxArtifactBytes, User: d.settings.HydraUser, Password: d.settings.Secrets.HydraPassword,
		UserAgent: "nixci-artifacts-datasource/" + Version + " (Grafana backend plugin)",
	})
	if err != nil {
		return err
	}
	d.hydra = hydra.NewSource(c, d.cache, 15*time.Second)
	d.catalog = d.hydra
	d.engine = query.NewEngine(d.hydra, d.cache, query.Options{Concurrency: d.settings.MaxConcurrency, FullJob: true})
	d.dispose = hc.CloseIdleConnections
	return nil
}

// Dispose releases idle connections when Grafana replaces or removes the instance.
func (d *Datasource) Dispose() {
	if d.dispose != nil {
		d.dispose()
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
