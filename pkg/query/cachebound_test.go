package query_test

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/testutil"
	"net/http"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/httpclient"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/cache"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/hydra"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/hydra/hydratest"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

// The plugin's cache is not visible from its process, so its byte bound is checked here,
// on the engine and the Hydra source the plugin composes, sharing one cache as they do.

// cacheBound is the small cacheBytes the tests fill far past.
const cacheBound = 1 << 20

// TestCacheStaysUnderItsBoundThroughTheEngine runs artifact and metric queries over
// hundreds of builds whose products are 64 KB each, 19 times the bound, while
// watching the cache: its accounted bytes never pass the bound, and the memory it really
// keeps (measured on the Go heap) is within the bound too, so its accounting is honest.
func TestCacheStaysUnderItsBoundThroughTheEngine(t *testing.T) {
	n := 300 // 19 MB of products through a 1 MiB cache, per query
	if testing.Short() {
		n = 150
	}
	const productBytes = 64 << 10
	ch, peak := fillCache(t, n, productBytes)
	if s := ch.Stats(); peak > cacheBound || s.Bytes > cacheBound || s.Evicted == 0 {
		t.Fatalf("cache of %d bytes after %d builds of %d KB: peak %d bytes accounted, now %+v", cacheBound, n, productBytes>>10, peak, s)
	}
	if kept := retainedBy(t, ch); kept > cacheBound*5/4 {
		t.Fatalf("the cache accounts at most %d bytes but keeps %d bytes on the heap", cacheBound, kept)
	}
}

// TestCacheAccountsManySmallEntries fills the bound with the engine's and the source's small
// entries (extracted values, evaluations, commits of thousands of builds) rather than a few
// large products: the per-entry bookkeeping is what must be accounted then.
func TestCacheAccountsManySmallEntries(t *testing.T) {
	n := 2500 // about 10,000 entries, where about 3,500 fit
	if testing.Short() {
		n = 1500
	}
	ch, peak := fillCache(t, n, 0)
	if s := ch.Stats(); peak > cacheBound || s.Bytes > cacheBound || s.Evicted == 0 {
		t.Fatalf("cache of %d bytes after %d builds: peak %d bytes accounted, now %+v", cacheBound, n, peak, s)
	}
	if kept := retainedBy(t, ch); kept > cacheBound*5/4 {
		t.Fatalf("the cache accounts at most %d bytes but keeps %d bytes on the heap", cacheBound, kept)
	}
}

// fillCache queries n builds of one job from a fake Hydra through an engine whose cache holds
// cacheBound bytes, and returns the cache with the most bytes it accounted while watched.
// With productBytes > 0 every build's bench.json is padded to that size.
func fillCache(t *testing.T, n, productBytes int) (*cache.Cache, int64) {
	t.Helper()
	srv := hydratest.New()
	defer srv.Close()
	hydratest.GenerateJob(srv, hydratest.GenOptions{N: n})
	if productBytes > 0 {
		srv.Intercept(bigProducts(productBytes))
	}
	hc, err := httpclient.New(httpclient.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer hc.CloseIdleConnections()
	c, err := hydra.New(hydra.Options{BaseURL: srv.URL, HTTP: hc, MaxConcurrency: 8, Timeout: time.Minute, MaxBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	ch := cache.New(cacheBound)
	engine := query.NewEngine(hydra.NewSource(c, ch, 15*time.Second), ch, query.Options{Concurrency: 8, FullJob: true})

	stop := make(chan struct{})
	var peak int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // watch the cache while the queries fill it
		defer wg.Done()
		for {
			peak = max(peak, ch.Stats().Bytes)
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Microsecond):
			}
		}
	}()
	from, to := hydratest.DefaultGenEnd.Add(-time.Duration(n+24)*time.Hour), hydratest.DefaultGenEnd.Add(time.Hour)
	job := map[string]any{"project": "bench", "jobset": "main", "job": "bench", "limit": n}
	for _, q := range []map[string]any{
		{"queryType": "artifact", "product": "bench.json", "path": "results.throughput"},
		{"queryType": "artifact", "product": "bench.json", "path": "benchmarks.#.mean"},
		{"queryType": "metric", "metric": "time"},
		{"queryType": "artifact", "product": "bench.json", "path": "results.throughput"}, // again, over an evicted cache
	} {
		for k, v := range job {
			q[k] = v
		}
		raw, _ := json.Marshal(q)
		r := engine.Query(context.Background(), backend.DataQuery{RefID: "A", QueryType: q["queryType"].(string), JSON: raw,
			TimeRange: backend.TimeRange{From: from, To: to}}, false)
		if r.Error != nil || len(r.Frames) == 0 || r.Frames[0].Rows() != n {
			t.Fatalf("%v: %v (%d frames)", q, r.Error, len(r.Frames))
		}
	}
	close(stop)
	wg.Wait()
	return ch, max(peak, ch.Stats().Bytes)
}

var downloadPath = regexp.MustCompile(`^/build/(\d+)/download/bench\.json$`)

// bigProducts answers every bench.json download with a document of about size bytes: the
// values the queries read, and a padding field nothing reads.
func bigProducts(size int) func(http.ResponseWriter, *http.Request) bool {
	return func(w http.ResponseWriter, r *http.Request) bool {
		m := downloadPath.FindStringSubmatch(r.URL.Path)
		if m == nil {
			return false
		}
		id, _ := strconv.Atoi(m[1])
		doc := fmt.Sprintf(`{"results":{"throughput":%d},"benchmarks":[{"name":"a","mean":%d},{"name":"b","mean":%d}],"log":"%s"}`,
			id, id%7, id%11, strings.Repeat("x", size))
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(doc))
		return true
	}
}

// retainedBy measures the heap ch keeps alive: live heap with it minus live heap without it.
// Everything else the fill made is already unreachable; the caller must not use ch after.
func retainedBy(t *testing.T, ch *cache.Cache) int64 {
	t.Helper()
	s := ch.Stats()
	with := testutil.LiveHeap()
	runtime.KeepAlive(ch)
	ch = nil
	without := testutil.LiveHeap()
	t.Logf("the cache accounts %d bytes in %d entries and keeps %d bytes on the heap (bound %d)",
		s.Bytes, s.Entries, with-without, cacheBound)
	return with - without
}
