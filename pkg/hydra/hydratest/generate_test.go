package hydratest

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestGenerateJob(t *testing.T) {
	s := New()
	defer s.Close()
	end := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	builds := GenerateJob(s, GenOptions{N: 100, FirstID: 1000, End: end, Interval: time.Hour,
		FailFraction: 0.1, GCFraction: 0.2})
	if len(builds) != 100 || builds[99].Timestamp != end.Unix() || builds[0].Timestamp != end.Unix()-99*3600 {
		t.Fatalf("builds: %d, timestamps %d..%d", len(builds), builds[0].Timestamp, builds[99].Timestamp)
	}
	var failed, gc int
	for _, b := range builds {
		if b.Status != 0 {
			failed++
			if len(b.Products) != 0 || b.Status != 1 {
				t.Errorf("failed build %d has products or status %d", b.ID, b.Status)
			}
		}
		if b.GarbageCollected {
			gc++
		}
	}
	if failed != 10 || gc != 20 {
		t.Errorf("failed %d, gc %d", failed, gc)
	}

	// The newest successful build serves its bench.json through the latest redirect.
	resp, _ := get(t, s, "/job/bench/main/bench/latest/download/1/bench.json")
	wantStatus(t, resp, 302)
	resp, body := get(t, s, strings.TrimPrefix(resp.Header.Get("Location"), s.URL))
	wantStatus(t, resp, 200)
	var bench struct {
		Results struct {
			Throughput float64
			LatencyMS  float64 `json:"latency_ms"`
		}
		Benchmarks []struct {
			Name string
			Mean float64
		}
	}
	if err := json.Unmarshal(body, &bench); err != nil || len(bench.Benchmarks) != 2 || bench.Results.LatencyMS <= 0 ||
		bench.Results.Throughput < 800 {
		t.Errorf("bench.json %s: %v", body, err)
	}
	var e map[string]string
	resp = getJSON(t, s, fmt.Sprintf("/build/%d/download/1/bench.json", builds[0].ID), &e)
	wantStatus(t, resp, 404) // GC'd

	var pts []map[string]json.RawMessage
	getJSON(t, s, "/job/bench/main/bench/metric/maxresident", &pts)
	var str int
	for _, p := range pts {
		if strings.HasPrefix(string(p["value"]), `"`) {
			str++
		}
	}
	if len(pts) != 90 || str == 0 || str == 90 {
		t.Errorf("%d maxresident points, %d strings", len(pts), str)
	}
	var ev struct {
		Evals []struct {
			ID               int64
			Builds           []int64
			JobsetEvalInputs map[string]struct{ Revision, Type string }
		}
		Last string
	}
	getJSON(t, s, "/jobset/bench/main/evals", &ev)
	if ev.Last != "?page=5" || len(ev.Evals) != 20 || ev.Evals[0].ID != 1099 ||
		len(ev.Evals[0].JobsetEvalInputs["src"].Revision) != 40 || ev.Evals[0].Builds[0] != 1099 {
		t.Errorf("evals: %+v", ev)
	}

	// Deterministic.
	s2 := New()
	defer s2.Close()
	again := GenerateJob(s2, GenOptions{N: 100, FirstID: 1000, End: end, Interval: time.Hour,
		FailFraction: 0.1, GCFraction: 0.2})
	if !reflect.DeepEqual(builds, again) {
		t.Error("GenerateJob is not deterministic")
	}
}

func newBenchServer(b *testing.B, n int) *Server {
	s := New()
	b.Cleanup(s.Close)
	GenerateJob(s, GenOptions{N: n, FailFraction: 0.05})
	return s
}

func BenchmarkGenerateJob10k(b *testing.B) {
	for i := 0; i < b.N; i++ {
		s := New()
		GenerateJob(s, GenOptions{N: 10_000})
		s.Close()
	}
}

func BenchmarkRoutes10k(b *testing.B) {
	s := newBenchServer(b, 10_000)
	for _, path := range []string{"/build/5000", "/api/latestbuilds?nr=100", "/jobset/bench/main/evals?page=250",
		"/job/bench/main/bench/metric/time", "/job/bench/main/bench/latest", "/build/9999/download/1/bench.json"} {
		b.Run(strings.NewReplacer("/", "_", "?", "_").Replace(path), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				resp, _ := get(b, s, path, "Accept: application/json")
				if resp.StatusCode >= 400 {
					b.Fatalf("%s: %d", path, resp.StatusCode)
				}
			}
		})
	}
}
