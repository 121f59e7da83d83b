package nixstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/cache"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

// buildScript builds a derivation named name whose builder runs script (sh -c, $out set).
func buildScript(t *testing.T, name, script string) string {
	t.Helper()
	script = strings.ReplaceAll(script, `"`, `\"`)
	expr := fmt.Sprintf(`derivation { name = "%s"; system = builtins.currentSystem; builder = "/bin/sh"; PATH = "/usr/bin:/bin"; args = [ "-c" "%s" ]; }`, name, script)
	drv := runNix(t, "nix-instantiate", "-E", expr)
	return runNix(t, "nix-build", "--no-out-link", drv)
}

type storeEnv struct {
	t      *testing.T
	src    *Source
	engine *query.Engine
	prefix string
	outs   []string
}

// newStoreEnv builds mybench-<rand>-1..3 (throughput and time 10, 20, 30), one second
// apart so that their registration times differ, then opens a Source on a copy of the
// store database.
func newStoreEnv(t *testing.T, maxBytes int64, extra func(prefix string)) *storeEnv {
	t.Helper()
	requireNix(t)
	e := &storeEnv{t: t, prefix: "mybench-" + uniqueSuffix(t)}
	for i := 1; i <= 3; i++ {
		if i > 1 {
			time.Sleep(1100 * time.Millisecond)
		}
		e.outs = append(e.outs, buildBench(t, fmt.Sprintf("%s-%d", e.prefix, i), 10*i).Out)
	}
	if extra != nil {
		extra(e.prefix)
	}
	src, err := NewSource(Options{StoreDir: "/nix/store", StateDir: copyStoreDB(t), MaxArtifactBytes: maxBytes})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = src.Close() })
	e.src = src
	e.engine = query.NewEngine(src, cache.New(64<<20), query.Options{FullJob: false})
	return e
}

func (e *storeEnv) run(q map[string]any) backend.DataResponse {
	raw, _ := json.Marshal(q)
	return e.engine.Query(context.Background(), backend.DataQuery{RefID: "A", JSON: raw,
		TimeRange: backend.TimeRange{From: time.Now().Add(-time.Hour), To: time.Now().Add(time.Minute)}}, false)
}

func mustOK(t *testing.T, r backend.DataResponse) {
	t.Helper()
	if r.Error != nil {
		t.Fatalf("query failed: %v", r.Error)
	}
}

// values returns the times and values of a one-series response.
func values(t *testing.T, r backend.DataResponse) ([]time.Time, []float64) {
	t.Helper()
	mustOK(t, r)
	if len(r.Frames) != 1 {
		t.Fatalf("want 1 frame, got %d", len(r.Frames))
	}
	f := r.Frames[0]
	var ts []time.Time
	var vs []float64
	for i := 0; i < f.Rows(); i++ {
		ts = append(ts, f.Fields[0].At(i).(time.Time))
		vs = append(vs, f.Fields[1].At(i).(float64))
	}
	return ts, vs
}

func checkSeries(t *testing.T, ts []time.Time, vs []float64) {
	t.Helper()
	if fmt.Sprint(vs) != "[10 20 30]" {
		t.Fatalf("values %v, want [10 20 30] in registration order", vs)
	}
	if !ts[0].Before(ts[1]) || !ts[1].Before(ts[2]) {
		t.Fatalf("times not increasing: %v", ts)
	}
}

func TestStoreSource(t *testing.T) {
	e := newStoreEnv(t, 0, nil)
	glob := e.prefix + "-*"

	t.Run("artifact", func(t *testing.T) {
		r := e.run(map[string]any{"queryType": "artifact", "job": glob, "product": "bench.json", "path": "results.throughput"})
		ts, vs := values(t, r)
		checkSeries(t, ts, vs)
		eq := r.Frames[0].Meta.ExecutedQueryString
		if !strings.Contains(eq, "valid paths matching "+glob) || !strings.Contains(eq, "bench.json") {
			t.Fatalf("executed query string %q", eq)
		}
	})
	t.Run("metric", func(t *testing.T) {
		r := e.run(map[string]any{"queryType": "metric", "job": glob, "metric": "time"})
		ts, vs := values(t, r)
		checkSeries(t, ts, vs)
		if u := r.Frames[0].Fields[1].Config.Unit; u != "s" {
			t.Fatalf("unit %q, want s", u)
		}
	})
	t.Run("metric stoptime", func(t *testing.T) {
		r := e.run(map[string]any{"queryType": "metric", "job": glob, "metric": "time", "timeField": "stoptime"})
		ts, vs := values(t, r)
		checkSeries(t, ts, vs)
	})
	t.Run("metric names", func(t *testing.T) {
		names, err := e.src.MetricNames(context.Background(), query.JobRef{Job: glob})
		if err != nil || fmt.Sprint(names) != "[time]" {
			t.Fatalf("MetricNames = %v, %v", names, err)
		}
	})
	t.Run("builds", func(t *testing.T) {
		r := e.run(map[string]any{"queryType": "builds", "job": glob})
		mustOK(t, r)
		if len(r.Frames) != 1 || r.Frames[0].Rows() != 3 {
			t.Fatalf("want 3 builds, got %d frames", len(r.Frames))
		}
	})
	t.Run("listing", func(t *testing.T) {
		l, err := e.src.Builds(context.Background(), query.JobRef{Job: glob},
			query.Window{From: time.Now().Add(-time.Hour), To: time.Now().Add(time.Minute), Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		if len(l.Builds) != 2 || !l.Truncated {
			t.Fatalf("limit 2 of 3: %d builds, truncated %v", len(l.Builds), l.Truncated)
		}
		b := l.Builds[0]
		if b.NixName != e.prefix+"-3" || b.Job.Job != b.NixName || !b.Succeeded() || b.ID != BuildID(e.outs[2]) ||
			b.ID < 0 || !b.Start.IsZero() || !b.Stop.Equal(b.Timestamp) {
			t.Fatalf("newest build %+v", b)
		}
		// A window ending before the newest build leaves it out without losing the others.
		l, err = e.src.Builds(context.Background(), query.JobRef{Job: glob},
			query.Window{From: time.Now().Add(-time.Hour), To: b.Timestamp.Add(-time.Second), Limit: 1})
		if err != nil || len(l.Builds) != 1 || l.Builds[0].NixName != e.prefix+"-2" || !l.Truncated {
			t.Fatalf("window before the newest build: %+v, %v", l, err)
		}
	})
	t.Run("artifact of a build not listed by this source", func(t *testing.T) {
		fresh, err := NewSource(Options{StoreDir: "/nix/store", StateDir: e.src.dbFile[:len(e.src.dbFile)-len("/db/db.sqlite")]})
		if err != nil {
			t.Fatal(err)
		}
		defer fresh.Close()
		body, err := fresh.Artifact(context.Background(), query.Build{ID: BuildID(e.outs[0]), NixName: e.prefix + "-1"}, "bench.json")
		if err != nil || !strings.Contains(string(body), "10") {
			t.Fatalf("Artifact = %q, %v", body, err)
		}
		_, err = fresh.Artifact(context.Background(), query.Build{ID: 42, NixName: e.prefix + "-1"}, "bench.json")
		if !errors.Is(err, query.ErrNoArtifact) {
			t.Fatalf("unknown build: %v", err)
		}
	})
	t.Run("missing product", func(t *testing.T) {
		_, err := e.src.Artifact(context.Background(), query.Build{ID: BuildID(e.outs[0]), NixName: e.prefix + "-1"}, "nope.json")
		if !errors.Is(err, query.ErrNoArtifact) {
			t.Fatalf("missing file: %v", err)
		}
		for _, p := range []string{"../x", "/etc/passwd", "a/../../x", ".."} {
			if _, err := e.src.Artifact(context.Background(), query.Build{ID: BuildID(e.outs[0]), NixName: e.prefix + "-1"}, p); err == nil ||
				!strings.Contains(err.Error(), "relative path inside") {
				t.Fatalf("product %q: %v", p, err)
			}
		}
	})
	t.Run("evals and jobs", func(t *testing.T) {
		// Without a journal no jobset is known.
		r := e.run(map[string]any{"queryType": "evals", "project": "p", "jobset": "j"})
		if r.Error == nil || !strings.Contains(r.Error.Error(), "knows no build or evaluation of p:j") {
			t.Fatalf("evals: %v", r.Error)
		}
		r = e.run(map[string]any{"queryType": "jobs", "project": "p", "jobset": "j"})
		if r.Error == nil || !strings.Contains(r.Error.Error(), "knows no build or evaluation of p:j") {
			t.Fatalf("jobs: %v", r.Error)
		}
	})
	t.Run("health and catalog", func(t *testing.T) {
		msg, err := e.src.Health(context.Background())
		if err != nil || !strings.HasPrefix(msg, "Reading the Nix store at /nix/store: ") || !strings.Contains(msg, " valid paths; journal ") ||
			!strings.HasSuffix(msg, ": 0 recorded builds, 0 evaluations") {
			t.Fatalf("Health = %q, %v", msg, err)
		}
		items, err := e.src.ProductNames(context.Background(), query.JobRef{Job: glob})
		if err != nil || len(items) != 1 || items[0].Value != "bench.json" {
			t.Fatalf("ProductNames = %v, %v", items, err)
		}
		if p, err := e.src.Projects(context.Background()); err != nil || len(p) != 0 {
			t.Fatalf("Projects = %v, %v", p, err)
		}
	})
}

// The store holds what any build wrote: links and product paths leading out of the store
// must not be followed.
func TestStoreSourceRefusesEscapes(t *testing.T) {
	var link, products string
	e := newStoreEnv(t, 0, func(prefix string) {
		link = buildScript(t, prefix+"-link", `mkdir -p $out; ln -s /etc/passwd $out/bench.json`)
		products = buildScript(t, prefix+"-products", `mkdir -p $out/nix-support; ln -s /etc/passwd $out/report.json; `+
			`echo "file json $out/../../../etc/passwd" > $out/nix-support/hydra-build-products; `+
			`echo "file json $out/report.json" >> $out/nix-support/hydra-build-products`)
	})
	ctx := context.Background()
	passwd, _ := os.ReadFile("/etc/passwd")

	r := e.run(map[string]any{"queryType": "artifact", "job": e.prefix + "-link", "product": "bench.json", "path": "x"})
	if r.Error == nil || !strings.Contains(r.Error.Error(), "outside the Nix store") {
		t.Fatalf("symlink to /etc/passwd: %v", r.Error)
	}
	body, err := e.src.Artifact(ctx, query.Build{ID: BuildID(link), NixName: e.prefix + "-link"}, "bench.json")
	if err == nil || len(body) > 0 || (len(passwd) > 0 && strings.Contains(err.Error(), string(passwd))) {
		t.Fatalf("symlink read: %q, %v", body, err)
	}

	b := query.Build{ID: BuildID(products), NixName: e.prefix + "-products"}
	if body, err := e.src.Artifact(ctx, b, "report.json"); err == nil || !strings.Contains(err.Error(), "outside the Nix store") {
		t.Fatalf("product through a symlink: %q, %v", body, err)
	}
	// The product line leaving the output is ignored; "passwd" is then no file of the output.
	if body, err := e.src.Artifact(ctx, b, "passwd"); !errors.Is(err, query.ErrNoArtifact) {
		t.Fatalf("product outside the output: %q, %v", body, err)
	}
	if body, err := e.src.Artifact(ctx, b, "../../../etc/passwd"); err == nil || len(body) > 0 {
		t.Fatalf("relative escape: %q, %v", body, err)
	}
	// The glob over all of them still plots the three good builds, warning about the rest.
	r = e.run(map[string]any{"queryType": "artifact", "job": e.prefix + "-[0-9]", "product": "bench.json", "path": "results.throughput"})
	_, vs := values(t, r)
	if fmt.Sprint(vs) != "[10 20 30]" {
		t.Fatalf("values %v", vs)
	}
}

func TestStoreSourceRefusesLargeArtifacts(t *testing.T) {
	e := newStoreEnv(t, 10, nil)
	r := e.run(map[string]any{"queryType": "artifact", "job": e.prefix + "-*", "product": "bench.json", "path": "results.throughput"})
	if r.Error == nil || !strings.Contains(r.Error.Error(), "maxArtifactBytes") {
		t.Fatalf("oversized artifact: %v", r.Error)
	}
}

func TestNewSourceErrors(t *testing.T) {
	if _, err := NewSource(Options{StoreDir: "nix/store", StateDir: t.TempDir()}); err == nil || !strings.Contains(err.Error(), "absolute") {
		t.Fatalf("relative store dir: %v", err)
	}
	if _, err := NewSource(Options{StoreDir: "/", StateDir: t.TempDir()}); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("missing database: %v", err)
	}
}
