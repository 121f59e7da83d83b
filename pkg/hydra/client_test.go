package hydra_test

import (
	"context"
	"encoding/json"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/testutil"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/hydra/hydratest"
)

var throughput = map[string]any{"queryType": "artifact", "product": "bench.json", "path": "results.throughput"}

func TestConcurrencyIsBounded(t *testing.T) {
	e := newEnv(t, envOpts{concurrency: 3})
	hydratest.GenerateJob(e.srv, hydratest.GenOptions{N: 30})
	var mu sync.Mutex
	inFlight, peak := 0, 0
	e.srv.Intercept(func(w http.ResponseWriter, r *http.Request) bool {
		mu.Lock()
		inFlight++
		peak = max(peak, inFlight)
		mu.Unlock()
		time.Sleep(5 * time.Millisecond)
		mu.Lock()
		inFlight--
		mu.Unlock()
		return false
	})
	testutil.MustOK(t, e.run(testutil.Job(throughput)))
	if peak != 3 {
		t.Fatalf("peak requests in flight %d, want exactly maxConcurrency 3", peak)
	}
}

func TestRequestTimeout(t *testing.T) {
	e := newEnv(t, envOpts{timeout: 100 * time.Millisecond})
	hydratest.GenerateJob(e.srv, hydratest.GenOptions{N: 2})
	e.srv.SetLatency(5 * time.Second)
	start := time.Now()
	r := e.run(testutil.Job(throughput))
	if time.Since(start) > 3*time.Second {
		t.Fatal("the query did not end at the request timeout")
	}
	if r.Error == nil || r.Status != backend.StatusTimeout || r.ErrorSource != backend.ErrorSourceDownstream ||
		!strings.Contains(r.Error.Error(), "timeoutSeconds") {
		t.Fatalf("want a downstream timeout naming timeoutSeconds, got %v / %v / %v", r.Error, r.Status, r.ErrorSource)
	}
}

func TestLogsInAgainWhenTheSessionExpires(t *testing.T) {
	e := newEnv(t, envOpts{user: "alice", pass: "s3cret-pw"})
	e.srv.SetPrivate("alice", "s3cret-pw")
	hydratest.GenerateJob(e.srv, hydratest.GenOptions{N: 5})
	testutil.MustOK(t, e.run(testutil.Job(throughput)))
	e.srv.ExpireSessions()
	testutil.MustOK(t, e.run(testutil.Job(map[string]any{"queryType": "metric", "metric": "time"})))
	if n := e.srv.Requests()[hydratest.RequestKey("POST", "/login")]; n != 2 {
		t.Fatalf("logged in %d times, want 2 (once, then once after expiry)", n)
	}
}

func TestWrongPasswordIsAClearErrorWithoutTheSecret(t *testing.T) {
	e := newEnv(t, envOpts{user: "alice", pass: "not-the-pw"})
	e.srv.SetPrivate("alice", "s3cret-pw")
	hydratest.GenerateJob(e.srv, hydratest.GenOptions{N: 2})
	r := e.run(testutil.Job(throughput))
	if r.Error == nil || !strings.Contains(r.Error.Error(), "rejected the login") || strings.Contains(r.Error.Error(), "not-the-pw") {
		t.Fatalf("got %v", r.Error)
	}
	if r.ErrorSource != backend.ErrorSourceDownstream {
		t.Fatalf("a rejected login is the user's to fix: source %v", r.ErrorSource)
	}
}

func TestHTMLInsteadOfJSON(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.srv.Intercept(func(w http.ResponseWriter, r *http.Request) bool {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte("<!DOCTYPE html><p>login</p>"))
		return true
	})
	r := e.run(testutil.Job(throughput))
	if r.Error == nil || !strings.Contains(r.Error.Error(), "HTML page instead of JSON") {
		t.Fatalf("got %v", r.Error)
	}
}

func TestRedirects(t *testing.T) {
	e := newEnv(t, envOpts{})
	hydratest.GenerateJob(e.srv, hydratest.GenOptions{N: 3})
	// Same-host redirects are followed, as Hydra's bare download URLs need.
	e.srv.Intercept(func(w http.ResponseWriter, r *http.Request) bool {
		if strings.HasSuffix(r.URL.Path, "/download/bench.json") {
			http.Redirect(w, r, strings.TrimSuffix(r.URL.Path, "bench.json")+"1", http.StatusFound)
			return true
		}
		return false
	})
	r := e.run(testutil.Job(throughput))
	testutil.MustOK(t, r)
	if r.Frames[0].Rows() != 3 {
		t.Fatalf("redirected downloads lost points: %d", r.Frames[0].Rows())
	}

	for name, target := range map[string]string{"other host": "http://evil.example/steal", "loop": ""} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, envOpts{})
			hydratest.GenerateJob(e.srv, hydratest.GenOptions{N: 2})
			e.srv.Intercept(func(w http.ResponseWriter, r *http.Request) bool {
				if strings.Contains(r.URL.Path, "/download/") {
					to := target
					if to == "" {
						to = r.URL.Path
					}
					http.Redirect(w, r, to, http.StatusFound)
					return true
				}
				return false
			})
			r := e.run(testutil.Job(throughput))
			want := map[string]string{"other host": "another host", "loop": "redirect loop"}[name]
			if r.Error == nil || !strings.Contains(r.Error.Error(), want) {
				t.Fatalf("want an error containing %q, got %v", want, r.Error)
			}
		})
	}
}

func TestOneBrokenBuildDoesNotHideTheRest(t *testing.T) {
	e := newEnv(t, envOpts{})
	hydratest.GenerateJob(e.srv, hydratest.GenOptions{N: 5})
	e.srv.Intercept(func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path == "/build/3/download/bench.json" {
			w.WriteHeader(http.StatusInternalServerError)
			return true
		}
		return false
	})
	r := e.run(testutil.Job(throughput))
	testutil.MustOK(t, r)
	if r.Frames[0].Rows() != 4 || !testutil.HasNotice(r, "1 build could not be read") {
		t.Fatalf("want 4 points and a warning, got %d rows, notices %+v", r.Frames[0].Rows(), r.Frames[0].Meta.Notices)
	}
}

func TestOversizedChunkedArtifactIsCutOffWhileReading(t *testing.T) {
	e := newEnv(t, envOpts{maxBytes: 4096})
	hydratest.GenerateJob(e.srv, hydratest.GenOptions{N: 1})
	var written atomic.Int64
	e.srv.Intercept(func(w http.ResponseWriter, r *http.Request) bool {
		if !strings.Contains(r.URL.Path, "/download/") {
			return false
		}
		// no Content-Length: the size is only found out by reading
		w.Header().Set("Content-Type", "application/json")
		chunk := []byte(strings.Repeat(" ", 1024))
		for range 50 << 10 { // up to 50 MiB, stopped when the client stops reading
			if _, err := w.Write(chunk); err != nil {
				return true
			}
			written.Add(int64(len(chunk)))
			w.(http.Flusher).Flush()
		}
		return true
	})
	r := e.run(testutil.Job(throughput))
	if r.Error == nil || !strings.Contains(r.Error.Error(), "over the datasource's limit of 4096 bytes") {
		t.Fatalf("want the size limit error, got %v", r.Error)
	}
	if written.Load() >= 50<<20 {
		t.Fatal("the whole 50 MiB was read")
	}
}

func TestNonJSONArtifactIsCounted(t *testing.T) {
	e := newEnv(t, envOpts{})
	hydratest.GenerateJob(e.srv, hydratest.GenOptions{N: 3})
	e.srv.Intercept(func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path == "/build/2/download/bench.json" {
			_, _ = w.Write([]byte("throughput: 12\n"))
			return true
		}
		return false
	})
	r := e.run(testutil.Job(throughput))
	testutil.MustOK(t, r)
	if r.Frames[0].Rows() != 2 || !testutil.HasNotice(r, "1 build has a bench.json that is not valid JSON") {
		t.Fatalf("got %d rows, notices %+v", r.Frames[0].Rows(), r.Frames[0].Meta.Notices)
	}
}

func TestCancelledQueryStopsItsRequests(t *testing.T) {
	e := newEnv(t, envOpts{timeout: time.Minute})
	hydratest.GenerateJob(e.srv, hydratest.GenOptions{N: 20})
	var inFlight atomic.Int64
	e.srv.Intercept(func(w http.ResponseWriter, r *http.Request) bool {
		inFlight.Add(1)
		defer inFlight.Add(-1)
		select { // a Hydra that takes a minute, unless the client hangs up
		case <-r.Context().Done():
		case <-time.After(time.Minute):
		}
		return true
	})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	raw, _ := json.Marshal(testutil.Job(throughput))
	start := time.Now()
	r := e.engine.Query(ctx, backend.DataQuery{RefID: "A", JSON: raw, TimeRange: backend.TimeRange{From: rangeFrom, To: rangeTo}}, false)
	if time.Since(start) > 5*time.Second || r.Error == nil {
		t.Fatalf("a cancelled query took %v and answered %v", time.Since(start), r.Error)
	}
	deadline := time.Now().Add(5 * time.Second)
	for inFlight.Load() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d requests to Hydra still open after the query was cancelled", inFlight.Load())
		}
		time.Sleep(5 * time.Millisecond)
	}
}
