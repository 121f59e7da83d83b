package nixbuild_test

import (
	"testing"
	"time"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/nixbuild/nixbuildtest"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/testutil"
)

// The builds table of the seed: status, duration and what each build used, with units.
func TestGoldenSeedBuildsTable(t *testing.T) {
	e := newEnv(t, envOpts{seed: true})
	r := e.run(map[string]any{"queryType": "builds", "job": seedJob}, seedDay)
	testutil.MustOK(t, r)
	f := r.Frames[0]
	if f.Rows() != 2 {
		t.Fatalf("want 2 rows, got %d", f.Rows())
	}
	for name, unit := range map[string]string{"queueTime": "s", "cpuSeconds": "s", "peakMemory": "bytes", "peakStorage": "bytes"} {
		fl, i := f.FieldByName(name)
		if i < 0 || fl.Config == nil || fl.Config.Unit != unit {
			t.Fatalf("column %s missing or without unit %s", name, unit)
		}
	}
	e.golden("builds_seed", r)
}

// A series of peak memory over generated builds, failed, disconnected and running ones
// among them (running ones have no figures yet and are left out: 6 of 8).
func TestGoldenPeakMemorySeries(t *testing.T) {
	e := newEnv(t, envOpts{})
	nixbuildtest.Generate(e.srv, nixbuildtest.GenOptions{N: 8, Statuses: []string{"running", "built", "build_failed", "built", "client_disconnect"}})
	r := e.run(map[string]any{"queryType": "metric", "job": "bench-1.0", "metric": "peak_memory"}, rangeAround(nixbuildtest.DefaultGenEnd, 24*time.Hour))
	testutil.MustOK(t, r)
	if len(r.Frames) != 1 || r.Frames[0].Rows() != 6 {
		t.Fatalf("want one series of 6 points, got %d frames", len(r.Frames))
	}
	e.golden("metric_peak_memory", r)
}

// A metric glob reads one listing for all its series.
func TestMetricGlobSharesOneListing(t *testing.T) {
	e := newEnv(t, envOpts{})
	nixbuildtest.Generate(e.srv, nixbuildtest.GenOptions{N: 5})
	r := e.run(map[string]any{"queryType": "metric", "job": "bench-1.0", "metric": "*"}, rangeAround(nixbuildtest.DefaultGenEnd, 24*time.Hour))
	testutil.MustOK(t, r)
	if len(r.Frames) != 7 {
		t.Fatalf("want 7 series (every figure), got %d", len(r.Frames))
	}
	if n := len(e.srv.Requests()); n != 1 {
		t.Fatalf("want one request for all series, got %d", n)
	}
}
