package hydradb_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/cache"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/hydra/hydratest"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/hydradb"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/testutil"
)

// benchSizes are the job histories measured: builds of bench:main:bench, among as many
// builds of 200 other jobs (at most 100,000). Under -short only the first runs.
var benchSizes = []int{10_000, 100_000, 1_000_000}

// panelPoints is the Max data points of the panel in the artifact cases: the engine reads
// no more builds than that, however long the history and the query's limit.
const panelPoints = 1_000

// engineWorkers is the engine's default concurrency, which the artifact baseline uses too.
const engineWorkers = 8

// BenchmarkHydraDB measures the hydradb Source through the engine against a real
// PostgreSQL (scripts/postgres), each case side by side with the same statements run
// directly with pgx (and the same files read with os.ReadFile) in the same iterations;
// see testutil.SideBySide for the figures reported. Per history size n:
//
//   - metric: the metric "time" over the whole history (limit n, at most query.MaxLimit;
//     90% of builds succeeded and have it). Baseline: the metric SQL, plus, when cold, the
//     origins SQL of the newest query.MaxOrigins builds, as the engine asks.
//   - artifact: bench.json's results.throughput in a panel of Max data points 1,000 with
//     limit 100000: the newest 1,000 builds' listing, products and files, whatever n is.
//     Baseline: the listing SQL, the origins SQL beside the products SQL and file read of
//     each successful build, 8 at a time as the engine works.
//   - artifact-uncapped (n=10000 only): the same over all 10,000 builds.
//
// cold is a new Source and cache per query (connected beforehand); warm is every query
// after the first on one Source (warmReps of them per iteration), whose baseline is what
// is left to ask: the metric SQL, or the listing SQL. scripts/bench.d/hydradb runs them
// all and prints the tables of BENCHMARKS.md; one size or case at a time:
//
//	eval "$(scripts/postgres)"; go test -run '^$' -bench 'HydraDB/n=100000$/metric' -benchtime 21x ./pkg/hydradb/
func BenchmarkHydraDB(b *testing.B) {
	sizes := benchSizes
	if testing.Short() {
		sizes = sizes[:1]
	}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			files := panelPoints
			if n <= 10_000 {
				files = n
			}
			h := &history{e: newEnv(b, envOpts{}), n: n}
			h.e.store = memDir(b)
			h.noise = h.e.seedHistory(b, n, files)
			h.from = hydratest.DefaultGenEnd.Add(-time.Duration(n)*10*time.Minute - 24*time.Hour)
			h.to = hydratest.DefaultGenEnd.Add(24 * time.Hour)
			b.Run("metric/cold", h.metric(true))
			b.Run("metric/warm", h.metric(false))
			b.Run("artifact/cold", h.artifact(query.MaxLimit, panelPoints, true))
			b.Run("artifact/warm", h.artifact(query.MaxLimit, panelPoints, false))
			if n == 10_000 {
				b.Run("artifact-uncapped/cold", h.artifact(n, 0, true))
				b.Run("artifact-uncapped/warm", h.artifact(n, 0, false))
			}
		})
	}
}

// history is one seeded database of n builds (among noise builds of other jobs) and the
// window covering all of them.
type history struct {
	e        *env
	n, noise int
	from, to time.Time
}

// connect opens a new Source, engine and cache over the history, connected and with the
// schema read, as an instance is after its health check.
func (h *history) connect(b *testing.B) (*hydradb.Source, *query.Engine) {
	src, err := hydradb.New(context.Background(), hydradb.Options{URL: urlFor(h.e.dbName), Password: dbPassword,
		StoreDir: h.e.store, Timeout: time.Minute})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := src.Health(context.Background()); err != nil {
		b.Fatal(err)
	}
	return src, query.NewEngine(src, cache.New(64<<20), query.Options{FullJob: true})
}

// run queries the engine as a panel with maxPoints Max data points (0: none) would.
func (h *history) run(engine *query.Engine, q map[string]any, maxPoints int64) backend.DataResponse {
	raw, _ := json.Marshal(q)
	return engine.Query(context.Background(), backend.DataQuery{RefID: "A", JSON: raw, MaxDataPoints: maxPoints,
		TimeRange: backend.TimeRange{From: h.from, To: h.to}}, false)
}

// succeededAmong counts the successful builds among the job's newest k (every tenth failed).
func (h *history) succeededAmong(k int) int {
	ok := 0
	for i := h.n - min(k, h.n) + 1; i <= h.n; i++ {
		if i%10 != 0 {
			ok++
		}
	}
	return ok
}

// warmReps is how many warm queries (and baselines) each iteration times: a few
// milliseconds each, they need more samples than cold ones for a steady median.
const warmReps = 5

// sides runs ours and base side by side: on a new Source per query when cold, else on one
// Source queried once before timing.
func (h *history) sides(b *testing.B, cold bool, ours func(b *testing.B, e *query.Engine), base func(b *testing.B)) {
	src, engine := h.connect(b)
	defer func() { src.Close() }()
	var setup func(b *testing.B)
	reps := 1
	if cold {
		setup = func(b *testing.B) {
			src.Close()
			src, engine = h.connect(b)
		}
	} else {
		ours(b, engine)
		reps = warmReps
	}
	testutil.SideBySide(b, reps, setup, func(b *testing.B) { ours(b, engine) }, base)
}

// metric benchmarks the metric "time" over the whole history (see BenchmarkHydraDB).
func (h *history) metric(cold bool) func(b *testing.B) {
	limit := min(h.n, query.MaxLimit)
	points := min(h.succeededAmong(h.n), limit)
	q := testutil.Job(map[string]any{"queryType": "metric", "metric": "time", "limit": limit})
	return func(b *testing.B) {
		ctx := context.Background()
		h.sides(b, cold, func(b *testing.B, engine *query.Engine) {
			r := h.run(engine, q, 0)
			if r.Error != nil || len(r.Frames) != 1 || r.Frames[0].Rows() != points {
				b.Fatalf("metric: %v, want %d points in one frame, got %s", r.Error, points, shape(r))
			}
			if f := r.Frames[0]; f.Fields[4].At(f.Rows()-1).(*string) == nil {
				b.Fatalf("metric: the newest point has no commit")
			}
		}, func(b *testing.B) {
			ids, err := directMetric(ctx, h.e.db, h.from, h.to, limit)
			if err != nil || len(ids) != min(points+1, h.succeededAmong(h.n)) {
				b.Fatalf("direct metric: %d rows, %v", len(ids), err)
			}
			if !cold {
				return
			}
			newest := ids[:min(len(ids), points, query.MaxOrigins)]
			if n, err := directOrigins(ctx, h.e.db, newest); err != nil || n != len(newest) {
				b.Fatalf("direct origins: %d rows for %d builds, %v", n, len(newest), err)
			}
		})
	}
}

// artifact benchmarks bench.json's throughput of the newest min(limit, maxPoints) builds
// (maxPoints 0: limit alone), see BenchmarkHydraDB.
func (h *history) artifact(limit int, maxPoints int64, cold bool) func(b *testing.B) {
	builds := limit
	if maxPoints > 0 {
		builds = min(builds, int(maxPoints))
	}
	points := h.succeededAmong(builds)
	newest := float64(jobBuildID(h.n-1, h.n, h.noise)) // build n failed (every tenth does); each file holds its build's id
	q := testutil.Job(map[string]any{"queryType": "artifact", "product": benchProduct, "path": "results.throughput", "limit": limit})
	return func(b *testing.B) {
		ctx := context.Background()
		h.sides(b, cold, func(b *testing.B, engine *query.Engine) {
			r := h.run(engine, q, maxPoints)
			if r.Error != nil || len(r.Frames) != 1 || r.Frames[0].Rows() != points {
				b.Fatalf("artifact: %v, want %d points in one frame, got %s", r.Error, points, shape(r))
			}
			if f := r.Frames[0]; f.Fields[1].At(f.Rows()-1).(float64) != newest {
				b.Fatalf("artifact: newest value %v, want %v", f.Fields[1].At(f.Rows()-1), newest)
			}
		}, func(b *testing.B) {
			if !cold {
				ids, err := directListing(ctx, h.e.db, h.from, h.to, builds)
				if err != nil || len(ids) != points {
					b.Fatalf("direct listing: %d successful builds, want %d, %v", len(ids), points, err)
				}
				return
			}
			if read, err := directArtifacts(ctx, h.e.db, h.from, h.to, builds, engineWorkers); err != nil || read != points {
				b.Fatalf("direct artifacts: %d files, want %d, %v", read, points, err)
			}
		})
	}
}

// shape describes a response's frames for a failure message.
func shape(r backend.DataResponse) string {
	s := fmt.Sprintf("%d frames", len(r.Frames))
	for _, f := range r.Frames {
		s += fmt.Sprintf(", %q: %d rows", f.Name, f.Rows())
	}
	return s
}
