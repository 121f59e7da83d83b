package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/instancemgmt"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/plugin"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

// query runs one query of the datasource's contract through the plugin itself and prints
// the frames it returns.
func (e *env) query(ctx context.Context, args []string) int {
	fs := flag.NewFlagSet("query", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	var q query.Query
	var src, url, database, user, storeDir, stateDir, from, to, format string
	var limit int
	fs.StringVar(&src, "source", "store", "where builds come from: store, index, hydra, hydradb or nixbuild (token from NIXBUILD_TOKEN)")
	fs.StringVar(&url, "url", e.getenv("HYDRA_URL"), "Hydra base URL (hydra, hydradb)")
	fs.StringVar(&user, "hydra-user", "", "Hydra user (password from HYDRA_PASSWORD)")
	fs.StringVar(&database, "database", e.getenv("NIXCI_ARTIFACTS_DATABASE"), "PostgreSQL URL (index, hydradb; password from NIXCI_ARTIFACTS_DATABASE_PASSWORD or PGPASSWORD)")
	fs.StringVar(&storeDir, "store-dir", e.orEnv("NIX_STORE_DIR", "/nix/store"), "Nix store (store, hydradb)")
	fs.StringVar(&stateDir, "state-dir", e.orEnv("NIX_STATE_DIR", "/nix/var/nix"), "Nix state directory (store)")
	fs.StringVar(&q.QueryType, "type", "artifact", "query type: artifact, metric, builds, evals, jobs, compare or aggregate")
	fs.StringVar(&q.Project, "project", "", "project")
	fs.StringVar(&q.Jobset, "jobset", "", "jobset")
	fs.StringVar(&q.Job, "job", "", "job (store: a derivation name or glob such as mybench-*)")
	fs.StringVar(&q.Product, "product", "", "artifact file, e.g. bench.json")
	fs.StringVar(&q.Path, "path", "", "gjson path into the artifact, e.g. results.throughput")
	fs.StringVar(&q.Metric, "metric", "", "metric name or glob (metric queries)")
	fs.IntVar(&limit, "limit", 0, "at most this many builds, newest first (default 100)")
	fs.BoolVar(&q.Regression, "regression", false, "artifact, metric: add the baseline, the change against it and a regression flag")
	fs.IntVar(&q.BaselineBuilds, "baseline-builds", 0, "regression: median of this many earlier builds (default 10)")
	threshold := fs.Float64("threshold", 5, "regression: percent of change in the bad direction that is a regression")
	fs.StringVar(&q.Better, "better", "", "regression: lower (default) or higher is better")
	fs.StringVar(&q.Base, "base", "", "compare: build id or commit revision to compare from")
	fs.StringVar(&q.Target, "target", "", "compare: build id or revision to compare with (default: the newest succeeded build)")
	fs.StringVar(&q.Latest, "latest", "", "jobs, aggregate: latest (default) or latest-finished")
	fs.StringVar(&q.Tags, "tags", "", "nixbuild: TAG:VALUE pairs, comma-separated")
	fs.StringVar(&q.TimeField, "time-field", "", "timestamp (default) or stoptime")
	fs.StringVar(&from, "from", "now-30d", "start: now-30d, now-12h, RFC 3339 or Unix seconds")
	fs.StringVar(&to, "to", "now", "end, as --from")
	fs.StringVar(&format, "format", "table", "table, csv or json")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	q.Limit = query.Limit(limit)
	q.Threshold = threshold
	tr, err := timeRange(from, to, time.Now())
	if err != nil {
		e.logf("query: %v", err)
		return 2
	}
	jsonData, _ := json.Marshal(map[string]any{"source": src, "database": database, "hydraUser": user,
		"storeDir": storeDir, "nixStateDir": stateDir})
	settings := backend.DataSourceInstanceSettings{UID: "cli", Name: "nixci-artifacts query", URL: url, JSONData: jsonData,
		DecryptedSecureJSONData: map[string]string{"hydraPassword": e.getenv("HYDRA_PASSWORD"), "databasePassword": e.password(),
			"nixbuildToken": e.getenv("NIXBUILD_TOKEN")}}
	inst, err := plugin.New(ctx, settings)
	if err != nil {
		e.logf("query: %v", err)
		return 1
	}
	if d, ok := inst.(instancemgmt.InstanceDisposer); ok {
		defer d.Dispose()
	}
	body, _ := json.Marshal(q)
	req := &backend.QueryDataRequest{PluginContext: backend.PluginContext{DataSourceInstanceSettings: &settings},
		Queries: []backend.DataQuery{{RefID: "A", QueryType: q.QueryType, JSON: body, TimeRange: tr,
			MaxDataPoints: 100_000, Interval: time.Second}}}
	resp, err := inst.(backend.QueryDataHandler).QueryData(ctx, req)
	if err != nil {
		e.logf("query: %v", err)
		return 1
	}
	r := resp.Responses["A"]
	if r.Error != nil {
		e.logf("query: %v", r.Error)
		return 1
	}
	if err := printFrames(e.stdout, r.Frames, format); err != nil {
		e.logf("query: %v", err)
		return 2
	}
	return 0
}

// timeRange reads Grafana-like times: now, now-30d, now-12h, RFC 3339 or Unix seconds.
func timeRange(from, to string, now time.Time) (backend.TimeRange, error) {
	f, err := parseTime(from, now)
	if err != nil {
		return backend.TimeRange{}, fmt.Errorf("--from: %w", err)
	}
	t, err := parseTime(to, now)
	if err != nil {
		return backend.TimeRange{}, fmt.Errorf("--to: %w", err)
	}
	return backend.TimeRange{From: f, To: t}, nil
}

func parseTime(s string, now time.Time) (time.Time, error) {
	if s == "now" {
		return now, nil
	}
	if rest, ok := strings.CutPrefix(s, "now-"); ok && len(rest) > 1 {
		unit := rest[len(rest)-1]
		n, err := strconv.Atoi(rest[:len(rest)-1])
		day := 24 * time.Hour
		per := map[byte]time.Duration{'s': time.Second, 'm': time.Minute, 'h': time.Hour, 'd': day, 'w': 7 * day, 'y': 365 * day}[unit]
		if err == nil && per > 0 && n >= 0 {
			return now.Add(-time.Duration(n) * per), nil
		}
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0), nil
	}
	return time.Time{}, errors.New("use now, now-30d (s, m, h, d, w, y), RFC 3339 or Unix seconds: got " + strconv.Quote(s))
}
