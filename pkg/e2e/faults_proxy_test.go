package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/hydra/hydratest"
)

// faultHydra is a fake Hydra whose answers a test may replace: one fault at a time, chosen
// by the request's jobset (listings) or build id (downloads), installed with set.
type faultHydra struct {
	*hydratest.Server
	fault atomic.Pointer[func(http.ResponseWriter, *http.Request) bool]
}

func newFaultHydra(t *testing.T) *faultHydra {
	f := &faultHydra{Server: hydratest.New()}
	t.Cleanup(f.Close)
	f.Intercept(func(w http.ResponseWriter, r *http.Request) bool {
		if fn := f.fault.Load(); fn != nil {
			return (*fn)(w, r)
		}
		return false
	})
	return f
}

// set installs fn as the fault (nil removes it).
func (f *faultHydra) set(fn func(http.ResponseWriter, *http.Request) bool) {
	if fn == nil {
		f.fault.Store(nil)
		return
	}
	f.fault.Store(&fn)
}

// listing matches Hydra's build listing of one jobset.
func listing(jobset string) func(*http.Request) bool {
	return func(r *http.Request) bool {
		return r.URL.Path == "/api/latestbuilds" && r.URL.Query().Get("jobset") == jobset
	}
}

// download matches the downloads of the given builds.
func download(ids ...int64) func(*http.Request) bool {
	return func(r *http.Request) bool {
		for _, id := range ids {
			if strings.HasPrefix(r.URL.Path, fmt.Sprintf("/build/%d/download/", id)) {
				return true
			}
		}
		return false
	}
}

// answer serves status, content type and body for the requests match selects.
func answer(match func(*http.Request) bool, status int, ct, body string) func(http.ResponseWriter, *http.Request) bool {
	return func(w http.ResponseWriter, r *http.Request) bool {
		if !match(r) {
			return false
		}
		w.Header().Set("Content-Type", ct)
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
		return true
	}
}

// hang never answers the requests match selects, until the client gives up.
func hang(match func(*http.Request) bool) func(http.ResponseWriter, *http.Request) bool {
	return func(w http.ResponseWriter, r *http.Request) bool {
		if !match(r) {
			return false
		}
		select {
		case <-r.Context().Done():
		case <-time.After(30 * time.Second):
		}
		return true
	}
}

// redirectLoop sends the requests match selects to themselves, forever.
func redirectLoop(match func(*http.Request) bool) func(http.ResponseWriter, *http.Request) bool {
	return func(w http.ResponseWriter, r *http.Request) bool {
		if !match(r) {
			return false
		}
		http.Redirect(w, r, r.URL.RequestURI(), http.StatusFound)
		return true
	}
}

// hugeProduct streams 64 MiB, chunked, to the requests match selects and records in
// written how many bytes went out before the client hung up; done is closed at the end.
func hugeProduct(match func(*http.Request) bool, written *atomic.Int64, done chan struct{}) func(http.ResponseWriter, *http.Request) bool {
	var once atomic.Bool
	return func(w http.ResponseWriter, r *http.Request) bool {
		if !match(r) {
			return false
		}
		if once.CompareAndSwap(false, true) {
			defer close(done)
		}
		w.Header().Set("Content-Type", "application/json")
		rc := http.NewResponseController(w)
		chunk := []byte(`{"pad":"` + strings.Repeat("x", 64<<10-10) + `",`)
		for total := 0; total < 64<<20; total += len(chunk) {
			n, err := w.Write(chunk)
			written.Add(int64(n))
			if err != nil || rc.Flush() != nil {
				break
			}
		}
		return true
	}
}
