package hydradb_test

import (
	"testing"
	"time"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/hydra/hydratest"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/testutil"
)

func TestRegressionFrames(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.generate(hydratest.GenOptions{N: 14, FailFraction: 0.2})
	for typ, q := range testutil.RegressionQueries() {
		r := e.run(q)
		testutil.MustOK(t, r)
		if len(r.Frames) != 1 {
			t.Fatalf("%s: %d frames", typ, len(r.Frames))
		}
		testutil.CheckRegression(t, r.Frames[0], 4, q)
		if !testutil.HasNotice(r, "the first 4 points of") {
			t.Fatalf("%s: no notice about the points without a baseline", typ)
		}
		e.golden("regression_"+typ, r)
	}
}

func TestRegressionBaselineReachesBeforeTheTimeRange(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.generate(hydratest.GenOptions{N: 30, FailFraction: 0.2, Interval: time.Hour})
	end := hydratest.DefaultGenEnd
	for typ, q := range testutil.RegressionQueries() {
		full := e.run(q)
		testutil.MustOK(t, full)
		part := e.runRange(q, end.Add(-9*time.Hour), end)
		testutil.MustOK(t, part)
		first := part.Frames[0].Fields[0].At(0).(time.Time)
		if first.Before(end.Add(-9 * time.Hour)) {
			t.Fatalf("%s: a point at %s, before the time range", typ, first)
		}
		want, ok := testutil.BaselineBefore(full.Frames[0], first, 4)
		if got := testutil.FieldNamed(part.Frames[0], "baseline").At(0).(*float64); !ok || got == nil || *got != want {
			t.Fatalf("%s: the first point's baseline is %v, want %v from the builds before the range", typ, got, want)
		}
		if testutil.HasNotice(part, "no baseline") {
			t.Fatalf("%s: a notice about missing baselines though the job has the history", typ)
		}
	}
}
