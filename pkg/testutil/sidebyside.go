package testutil

import (
	"runtime"
	"slices"
	"testing"
	"time"
)

// SideBySide times ours (the plugin's way) and base (the same work done directly, the
// baseline) reps times in every benchmark iteration, alternating which goes first and each
// after a garbage collection, so both see the same load on a shared machine; setup (when
// not nil) runs untimed before each pair. Only ours runs under the benchmark's timer. It
// reports the medians, which a few slow runs cannot move: "ms" (ours), "baseline-ms" and
// "x-baseline" (their ratio), and as ns/op the mean of ours.
func SideBySide(b *testing.B, reps int, setup, ours, base func(b *testing.B)) {
	b.Helper()
	reps = max(reps, 1)
	oursT := make([]time.Duration, 0, b.N*reps)
	baseT := make([]time.Duration, 0, b.N*reps)
	timed := func(f func(*testing.B), into *[]time.Duration, timer bool) {
		runtime.GC()
		if timer {
			b.StartTimer()
		}
		start := time.Now()
		f(b)
		*into = append(*into, time.Since(start))
		if timer {
			b.StopTimer()
		}
	}
	b.StopTimer()
	b.ResetTimer()
	for i := range b.N * reps {
		if setup != nil {
			setup(b)
		}
		if i%2 == 0 {
			timed(ours, &oursT, true)
			timed(base, &baseT, false)
		} else {
			timed(base, &baseT, false)
			timed(ours, &oursT, true)
		}
	}
	var total time.Duration
	for _, d := range oursT {
		total += d
	}
	o, r := Median(oursT), Median(baseT)
	b.ReportMetric(float64(total)/float64(len(oursT)), "ns/op")
	b.ReportMetric(Ms(o), "ms")
	b.ReportMetric(Ms(r), "baseline-ms")
	b.ReportMetric(float64(o)/float64(r), "x-baseline")
}

// Median of durations (the mean of the middle two for an even count; 0 for none).
func Median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	switch {
	case len(s) == 0:
		return 0
	case len(s)%2 == 1:
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// Ms is d in milliseconds, for b.ReportMetric.
func Ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
