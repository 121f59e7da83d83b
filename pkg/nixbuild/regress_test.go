package nixbuild_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/nixbuild/nixbuildtest"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/testutil"
)

// The regression view and compare work on nixbuild.net's figures like on any metric.
func TestRegressionOfBuildDurations(t *testing.T) {
	e := newEnv(t, envOpts{})
	nixbuildtest.Generate(e.srv, nixbuildtest.GenOptions{N: 12})
	r := e.run(map[string]any{"queryType": "metric", "job": "bench-1.0", "metric": "duration",
		"regression": true, "baselineBuilds": 4}, rangeAround(nixbuildtest.DefaultGenEnd, 24*time.Hour))
	testutil.MustOK(t, r)
	if len(r.Frames) != 1 || r.Frames[0].Rows() != 12 {
		t.Fatalf("want one series of 12 points, got %d frames", len(r.Frames))
	}
	testutil.CheckRegression(t, r.Frames[0], 4, map[string]any{"queryType": "metric", "better": "lower"})
	e.golden("regression_duration", r)
}

func TestCompareTwoBuildsFigures(t *testing.T) {
	e := newEnv(t, envOpts{})
	builds := nixbuildtest.Generate(e.srv, nixbuildtest.GenOptions{N: 5})
	base := builds[len(builds)-1] // the oldest; the target is the newest
	r := e.run(map[string]any{"queryType": "compare", "job": "bench-1.0", "base": strconv.FormatInt(base.BuildID, 10)},
		rangeAround(nixbuildtest.DefaultGenEnd, 24*time.Hour))
	_, cells := testutil.CompareCells(t, r)
	if c := cells["cpu_seconds"]; len(cells) != 7 || !testutil.Is(c[0], float64(base.CPUSeconds)) {
		t.Fatalf("figures of build %d against the newest: %v", base.BuildID, cells)
	}
	e.golden("compare_figures", r)
}
