package plugin

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"regexp"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"go.uber.org/goleak"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/hydra/hydratest"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/record"
)

const (
	loadWorkers    = 50
	loadCacheBytes = 256 << 10 // below the ~750 KiB the hydra queries touch, so the cache churns
	loadBuilds     = 40        // builds per job, all inside dataQuery's 48 h range
	badFirstID     = 9000      // builds and evals of the faulty job start here
	badFraction    = 0.1       // share of the queries aimed at the faulty job
)

// loadDuration is 60 s, 5 s under -short, or NIXCI_LOAD_DURATION.
func loadDuration(t *testing.T) time.Duration {
	if v := os.Getenv("NIXCI_LOAD_DURATION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("NIXCI_LOAD_DURATION: %v", err)
		}
		return d
	}
	if testing.Short() {
		return 5 * time.Second
	}
	return time.Minute
}

var buildOrEvalID = regexp.MustCompile(`^/(?:build|eval)/(\d+)`)

// faultyHydra proxies to the fake Hydra, but answers the paths of the faulty jobset "bad"
// (and its builds and evals) at random with a 500, a hang or a truncated JSON body.
func faultyHydra(t *testing.T, upstream string) (*httptest.Server, *http.Transport) {
	target, err := url.Parse(upstream)
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.Transport = tr
	// a client that gave up is no news here
	proxy.ErrorHandler = func(w http.ResponseWriter, _ *http.Request, _ error) { w.WriteHeader(http.StatusBadGateway) }
	bad := func(r *http.Request) bool {
		if strings.Contains(r.URL.Path, "/bad") || r.URL.Query().Get("jobset") == "bad" {
			return true
		}
		if m := buildOrEvalID.FindStringSubmatch(r.URL.Path); m != nil {
			id, _ := strconv.ParseInt(m[1], 10, 64)
			return id >= badFirstID
		}
		return false
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !bad(r) {
			proxy.ServeHTTP(w, r)
			return
		}
		switch rand.IntN(4) {
		case 0:
			http.Error(w, "internal server error", http.StatusInternalServerError)
		case 1: // hangs past the instance's timeout, or until the client gives up
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
			http.Error(w, "too late", http.StatusGatewayTimeout)
		case 2: // the real answer, cut in half
			rec := httptest.NewRecorder()
			proxy.ServeHTTP(rec, r)
			body := rec.Body.Bytes()
			for k, v := range rec.Header() {
				if k != "Content-Length" {
					w.Header()[k] = v
				}
			}
			w.WriteHeader(rec.Code)
			_, _ = w.Write(body[:len(body)/2])
		default: // sometimes the faulty job answers
			proxy.ServeHTTP(w, r)
		}
	}))
	return srv, tr
}

// seedLoadIndex records two small jobs into a fresh build index.
func seedLoadIndex(t *testing.T, dbURL, password string) {
	ctx := context.Background()
	db := migratedIndex(t, dbURL, password)
	end := hydratest.DefaultGenEnd
	for _, job := range []string{"ibench", "ibench2"} {
		for i := 0; i < 20; i++ {
			out := fmt.Sprintf("/nix/store/%032d-%s", i, job)
			_, err := db.WriteBuild(ctx, record.Record{Job: job, NamedBy: record.NamedByFlag, Outputs: []record.Output{{Name: "out", Path: out}},
				Time:     end.Add(time.Duration(i-20) * time.Hour),
				Products: []record.Artifact{{Name: "bench.json", Path: out + "/bench.json", Content: []byte(fmt.Sprintf(`{"results":{"throughput":%d.5}}`, i))}},
				Metrics:  []record.Metric{{Name: "time", Value: record.Float(100 + i), Unit: "s"}}})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
}

type loadQuery struct {
	d    *Datasource
	body string
	bad  bool
	rows int // the answer of an unloaded instance
}

func frameRows(r backend.DataResponse) int {
	n := 0
	for _, f := range r.Frames {
		n += f.Rows()
	}
	return n
}

// TestLoad runs 50 concurrent query loops for a minute against a hydra instance (the fake
// Hydra behind a faulty proxy) and an index instance (real PostgreSQL). Every query of a
// healthy job must answer with the unloaded row count; queries of the faulty job may fail,
// but only as per-query downstream errors. The heap must stay bounded, and no goroutine may
// outlive the disposed instances and closed fakes.
func TestLoad(t *testing.T) {
	dbURL, password := indexDatabase(t)
	seedLoadIndex(t, dbURL, password)

	fake := hydratest.New()
	goodJobs := []string{"bench", "b2", "b3", "b4", "b5", "b6"}
	for i, job := range goodJobs {
		id := int64(1 + i*1000)
		hydratest.GenerateJob(fake, hydratest.GenOptions{Job: job, N: loadBuilds, FirstID: id})
	}
	hydratest.GenerateJob(fake, hydratest.GenOptions{Jobset: "bad", Job: "bad", N: loadBuilds, FirstID: badFirstID})
	proxy, proxyTransport := faultyHydra(t, fake.URL)

	runtime.GC()
	baseline, before := runtime.NumGoroutine(), goleak.IgnoreCurrent()

	mk := func(url string, jsonData map[string]any, secure map[string]string) *Datasource {
		b, _ := json.Marshal(jsonData)
		inst, err := New(context.Background(), backend.DataSourceInstanceSettings{ID: 1, UID: "u", URL: url,
			JSONData: b, DecryptedSecureJSONData: secure})
		if err != nil {
			t.Fatal(err)
		}
		return inst.(*Datasource)
	}
	hyd := mk(proxy.URL, map[string]any{"cacheBytes": loadCacheBytes, "timeoutSeconds": 2, "maxConcurrency": 8}, nil)
	idx := mk("", map[string]any{"source": "index", "database": dbURL, "cacheBytes": loadCacheBytes, "maxConcurrency": 8},
		map[string]string{"databasePassword": password})
	disposed := false
	dispose := func() {
		if !disposed {
			disposed = true
			hyd.Dispose()
			idx.Dispose()
			proxy.Close()
			proxyTransport.CloseIdleConnections()
			fake.Close()
		}
	}
	defer dispose()

	var queries []loadQuery
	for _, job := range append(goodJobs, "bad") {
		jobset := "main"
		if job == "bad" {
			jobset = "bad"
		}
		j := fmt.Sprintf(`"project":"bench","jobset":%q,"job":%q`, jobset, job)
		for _, body := range []string{
			`{"queryType":"artifact",` + j + `,"product":"bench.json","path":"results.throughput"}`,
			`{"queryType":"metric",` + j + `,"metric":"time"}`,
			`{"queryType":"builds",` + j + `}`,
		} {
			queries = append(queries, loadQuery{d: hyd, body: body, bad: job == "bad"})
		}
	}
	queries = append(queries,
		loadQuery{d: hyd, body: `{"queryType":"evals","project":"bench","jobset":"main"}`},
		loadQuery{d: hyd, body: `{"queryType":"evals","project":"bench","jobset":"bad"}`, bad: true})
	for _, job := range []string{"ibench", "ibench2"} {
		queries = append(queries,
			loadQuery{d: idx, body: `{"queryType":"artifact","job":"` + job + `","product":"bench.json","path":"results.throughput"}`},
			loadQuery{d: idx, body: `{"queryType":"metric","job":"` + job + `","metric":"time"}`},
			loadQuery{d: idx, body: `{"queryType":"builds","job":"` + job + `"}`})
	}
	var good, bad []loadQuery
	for i := range queries {
		q := &queries[i]
		if q.bad {
			bad = append(bad, *q)
			continue
		}
		res, err := q.d.QueryData(context.Background(), &backend.QueryDataRequest{Queries: []backend.DataQuery{dataQuery("A", q.body)}})
		if err != nil {
			t.Fatal(err)
		}
		r := res.Responses["A"]
		if r.Error != nil || frameRows(r) == 0 {
			t.Fatalf("unloaded %s: %v, %d rows", q.body, r.Error, frameRows(r))
		}
		q.rows = frameRows(r)
		good = append(good, *q)
	}

	var maxHeap atomic.Uint64
	stopSampling := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		sample := func() {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			if m.HeapInuse > maxHeap.Load() {
				maxHeap.Store(m.HeapInuse)
			}
		}
		for {
			select {
			case <-tick.C:
				sample()
			case <-stopSampling:
				sample()
				return
			}
		}
	}()

	duration := loadDuration(t)
	deadline := time.Now().Add(duration)
	var nGood, nBad, nBadErr, nFail atomic.Int64
	var failMu sync.Mutex
	var failures []string
	var wg sync.WaitGroup
	for w := 0; w < loadWorkers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				var q loadQuery
				if rand.Float64() < badFraction {
					q = bad[rand.IntN(len(bad))]
				} else {
					q = good[rand.IntN(len(good))]
				}
				res, err := q.d.QueryData(context.Background(), &backend.QueryDataRequest{Queries: []backend.DataQuery{dataQuery("A", q.body)}})
				var msg string
				r, ok := backend.DataResponse{}, false
				if err == nil {
					r, ok = res.Responses["A"]
				}
				switch {
				case err != nil:
					msg = fmt.Sprintf("QueryData failed as a whole: %v", err)
				case !ok:
					msg = "no response for the query"
				case q.bad:
					nBad.Add(1)
					if r.Error != nil {
						nBadErr.Add(1)
						if r.ErrorSource != backend.ErrorSourceDownstream {
							msg = fmt.Sprintf("an upstream fault reported as a plugin error: %v", r.Error)
						}
					}
				default:
					nGood.Add(1)
					if r.Error != nil {
						msg = fmt.Sprintf("error: %v", r.Error)
					} else if n := frameRows(r); n != q.rows {
						msg = fmt.Sprintf("%d rows, want %d", n, q.rows)
					}
				}
				if msg != "" {
					nFail.Add(1)
					failMu.Lock()
					if len(failures) < 10 {
						failures = append(failures, q.body+": "+msg)
					}
					failMu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	close(stopSampling)
	<-sampled

	total := nGood.Load() + nBad.Load()
	hs, is := hyd.cache.Stats(), idx.cache.Stats()
	t.Logf("load: %d workers for %v: %.0f queries/s; good %d, bad %d (%d errored), failures %d; max heap in use %.1f MiB; "+
		"caches (hydra, index): %d+%d KiB held, %d+%d evicted",
		loadWorkers, duration, float64(total)/duration.Seconds(), nGood.Load(), nBad.Load(), nBadErr.Load(), nFail.Load(),
		float64(maxHeap.Load())/(1<<20), hs.Bytes>>10, is.Bytes>>10, hs.Evicted, is.Evicted)
	for _, f := range failures {
		t.Error(f)
	}
	if hs.Evicted == 0 {
		t.Errorf("the hydra cache never evicted (%d KiB held): the load did not exercise its bound", hs.Bytes>>10)
	}
	if nGood.Load() == 0 || nBad.Load() == 0 {
		t.Errorf("the load did not run both kinds of query: good %d, bad %d", nGood.Load(), nBad.Load())
	}
	// Two caches of cacheBytes, plus what 50 queries in flight hold (each at most a few
	// hundred small builds), plus the test's own state: 100 MiB leaves room for GC lag.
	if bound := uint64(2*loadCacheBytes + 100<<20); maxHeap.Load() > bound {
		t.Errorf("heap in use reached %d bytes, more than %d", maxHeap.Load(), bound)
	}

	dispose()
	// goleak retries for a while, so goroutines still winding down are not reported; only
	// goroutines born since the baseline count.
	if err := goleak.Find(before); err != nil {
		var buf bytes.Buffer
		_ = pprof.Lookup("goroutine").WriteTo(&buf, 1)
		t.Errorf("goroutines outlived the disposed instances (%d now, %d before): %v\n%s", runtime.NumGoroutine(), baseline, err, buf.String())
	}
}
