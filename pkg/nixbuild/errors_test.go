package nixbuild_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/nixbuild"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/nixbuild/nixbuildtest"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

// Every failure is a downstream error that says what to do and never shows the token.
func TestFailuresSayWhatToDo(t *testing.T) {
	cases := []struct {
		name   string
		token  string
		fault  func(w http.ResponseWriter, r *http.Request) bool
		status backend.Status
		want   string
	}{
		{name: "wrong token", token: "nbt-wrong-token-9876", status: backend.StatusUnauthorized, want: "tokens create -p build:read"},
		{name: "no build:read", token: "no-read-" + token, status: backend.StatusForbidden, want: "build:read permission"},
		{name: "rate limited", status: backend.StatusTooManyRequests, want: "lower maxConcurrency",
			fault: answer(http.StatusTooManyRequests, "text/plain", "slow down")},
		{name: "server error", status: backend.StatusBadGateway, want: "failed to answer",
			fault: answer(http.StatusInternalServerError, "application/json", `{"error":"db down, request had Bearer `+token+`"}`)},
		{name: "html", status: backend.StatusBadGateway, want: "probably not nixbuild.net's API",
			fault: answer(http.StatusOK, "text/html", "<html><body>login</body></html>")},
		{name: "not json", status: backend.StatusBadGateway, want: "probably not nixbuild.net's API",
			fault: answer(http.StatusOK, "application/json", `{"builds": "elsewhere"}`)},
		{name: "not found", status: backend.StatusNotFound, want: "probably not nixbuild.net's API",
			fault: answer(http.StatusNotFound, "text/plain", "404 page not found")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, envOpts{seed: true, token: c.token})
			e.srv.SetFault(c.fault)
			r := e.run(map[string]any{"queryType": "builds", "job": seedJob}, seedDay)
			if r.Error == nil || r.ErrorSource != backend.ErrorSourceDownstream || r.Status != c.status {
				t.Fatalf("got %v (source %v, status %v), want a downstream %v", r.Error, r.ErrorSource, r.Status, c.status)
			}
			msg := r.Error.Error()
			if !strings.Contains(msg, c.want) {
				t.Fatalf("%q does not say %q", msg, c.want)
			}
			if strings.Contains(msg, token) || (c.token != "" && strings.Contains(msg, c.token)) {
				t.Fatalf("the token leaked: %s", msg)
			}
			_, err := e.src.Health(context.Background())
			if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), token) {
				t.Fatalf("health: %v", err)
			}
		})
	}
}

func answer(code int, contentType, body string) func(w http.ResponseWriter, r *http.Request) bool {
	return func(w http.ResponseWriter, _ *http.Request) bool {
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(code)
		_, _ = w.Write([]byte(body))
		return true
	}
}

func TestNoToken(t *testing.T) {
	srv := nixbuildtest.New(token)
	t.Cleanup(srv.Close)
	resp, err := http.Get(srv.URL + "/builds")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("the fake answered %d without a token", resp.StatusCode)
	}
	_, err = nixbuild.New(nixbuild.Options{BaseURL: srv.URL})
	var inv *query.InvalidError
	if !errors.As(err, &inv) || !strings.Contains(err.Error(), "tokens create -p build:read") {
		t.Fatalf("a client without a token: %v", err)
	}
}

func TestHealthOK(t *testing.T) {
	e := newEnv(t, envOpts{seed: true})
	msg, err := e.src.Health(context.Background())
	if err != nil || !strings.Contains(msg, "newest build created 2022-08-19T07:33:16Z") {
		t.Fatalf("health: %q %v", msg, err)
	}
	if reqs := e.srv.Requests(); len(reqs) != 1 || reqs[0] != "/builds?limit=1" {
		t.Fatalf("health asked %v", reqs)
	}
}

// A cancelled query stops paging: no request is sent after the cancel.
func TestCancelStopsRequests(t *testing.T) {
	e := newEnv(t, envOpts{pageSize: 10})
	nixbuildtest.Generate(e.srv, nixbuildtest.GenOptions{N: 100})
	ctx, cancel := context.WithCancel(context.Background())
	var after atomic.Int32
	var cancelled atomic.Bool
	e.srv.SetFault(func(http.ResponseWriter, *http.Request) bool {
		if cancelled.Load() {
			after.Add(1)
		}
		if len(e.srv.Requests()) == 2 {
			cancel()
			cancelled.Store(true)
		}
		return false
	})
	_, err := e.src.Builds(ctx, query.JobRef{Job: "bench-*"}, window(rangeAround(nixbuildtest.DefaultGenEnd, 30*24*time.Hour), 100))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("want context.Canceled, got %v", err)
	}
	time.Sleep(50 * time.Millisecond)
	if n := after.Load(); n != 0 {
		t.Fatalf("%d requests after the cancel", n)
	}
}

func TestTimeoutPerRequest(t *testing.T) {
	e := newEnv(t, envOpts{seed: true, timeout: 50 * time.Millisecond})
	e.srv.SetFault(func(_ http.ResponseWriter, r *http.Request) bool {
		select {
		case <-r.Context().Done():
		case <-time.After(2 * time.Second):
		}
		return false
	})
	r := e.run(map[string]any{"queryType": "builds", "job": seedJob}, seedDay)
	if r.Error == nil || r.Status != backend.StatusTimeout || !strings.Contains(r.Error.Error(), "timeoutSeconds") {
		t.Fatalf("got %v (status %v)", r.Error, r.Status)
	}
}
