package plugin

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/httpclient"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/hydra"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/hydradb"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/index"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/nixbuild"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/nixstore"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

// userAgent names the plugin and its version to Hydra.
func userAgent() string { return "nixci-artifacts-datasource/" + Version + " (Grafana backend plugin)" }

// httpClient is the SDK's client from the datasource's HTTP settings (TLS, proxy, headers,
// tracing, metrics); each request gets its own deadline, so the client has none.
func (d *Datasource) httpClient(ctx context.Context, s backend.DataSourceInstanceSettings) (*http.Client, error) {
	opts, err := s.HTTPClientOptions(ctx)
	if err != nil {
		return nil, query.Invalidf("datasource HTTP settings: %v", err)
	}
	opts.Timeouts.Timeout = 0
	hc, err := httpclient.New(opts)
	if err != nil {
		return nil, fmt.Errorf("creating the HTTP client: %w", err)
	}
	d.dispose = append(d.dispose, hc.CloseIdleConnections)
	return hc, nil
}

func (d *Datasource) timeout() time.Duration {
	return time.Duration(d.settings.TimeoutSeconds) * time.Second
}

// newHydra reads Hydra's HTTP JSON API.
func (d *Datasource) newHydra(ctx context.Context, s backend.DataSourceInstanceSettings) error {
	hc, err := d.httpClient(ctx, s)
	if err != nil {
		return err
	}
	c, err := hydra.New(hydra.Options{
		BaseURL: d.settings.URL, HTTP: hc, MaxConcurrency: d.settings.MaxConcurrency, Timeout: d.timeout(),
		MaxBytes: d.settings.MaxArtifactBytes, User: d.settings.HydraUser, Password: d.settings.Secrets.HydraPassword,
		UserAgent: userAgent(),
	})
	if err != nil {
		return err
	}
	src := hydra.NewSource(c, d.cache, 15*time.Second)
	d.src, d.catalog = src, src
	d.health = func(ctx context.Context) (string, error) {
		projects, err := src.Projects(ctx)
		if err != nil {
			return "", err
		}
		who := "anonymously"
		if d.settings.HydraUser != "" {
			who = fmt.Sprintf("as %q", d.settings.HydraUser)
		}
		return fmt.Sprintf("Connected to Hydra at %s %s: %d projects visible.", d.settings.URL, who, len(projects)), nil
	}
	return nil
}

// newHydraDB reads Hydra's PostgreSQL database, and products from the local store or
// Hydra's download URLs.
func (d *Datasource) newHydraDB(ctx context.Context, s backend.DataSourceInstanceSettings) error {
	hc, err := d.httpClient(ctx, s)
	if err != nil {
		return err
	}
	src, err := hydradb.New(ctx, hydradb.Options{
		URL: d.settings.Database, Password: d.settings.Secrets.DatabasePassword, HydraURL: d.settings.URL,
		StoreDir: d.settings.StoreDir, MaxConns: d.settings.MaxConcurrency, Timeout: d.timeout(),
		MaxArtifactBytes: d.settings.MaxArtifactBytes, HTTP: hc,
	})
	if err != nil {
		return err
	}
	d.src, d.catalog, d.health = src, src, src.Health
	d.dispose = append(d.dispose, src.Close)
	return nil
}

// newIndex reads the build index that `nixci-artifacts record --database` fills.
func (d *Datasource) newIndex(ctx context.Context, _ backend.DataSourceInstanceSettings) error {
	src, err := index.NewSource(ctx, index.Options{
		URL: d.settings.Database, Password: d.settings.Secrets.DatabasePassword, MaxConns: int32(d.settings.MaxConcurrency),
		Timeout: d.timeout(), MaxArtifactBytes: d.settings.MaxArtifactBytes,
	})
	if err != nil {
		return err
	}
	d.src, d.catalog, d.health = src, src, src.Health
	d.dispose = append(d.dispose, src.Close)
	return nil
}

// newStore reads the local Nix store: builds are valid store paths whose name matches the
// job (a name or glob), artifacts are files inside them.
func (d *Datasource) newStore(_ context.Context, _ backend.DataSourceInstanceSettings) error {
	src, err := nixstore.NewSource(nixstore.Options{StoreDir: d.settings.StoreDir, StateDir: d.settings.NixStateDir,
		MaxArtifactBytes: d.settings.MaxArtifactBytes})
	if err != nil {
		return err
	}
	d.src, d.catalog, d.health = src, src, src.Health
	d.dispose = append(d.dispose, func() { _ = src.Close() })
	return nil
}

// newNixbuild reads nixbuild.net's HTTP API with the datasource's token.
func (d *Datasource) newNixbuild(ctx context.Context, s backend.DataSourceInstanceSettings) error {
	hc, err := d.httpClient(ctx, s)
	if err != nil {
		return err
	}
	c, err := nixbuild.New(nixbuild.Options{BaseURL: d.settings.URL, Token: d.settings.Secrets.NixbuildToken, HTTP: hc,
		MaxConcurrency: d.settings.MaxConcurrency, Timeout: d.timeout(), UserAgent: userAgent()})
	if err != nil {
		return err
	}
	src := nixbuild.NewSource(c, d.cache, nixbuild.SourceOptions{})
	d.src, d.catalog, d.health = src, src, src.Health
	return nil
}
