package hydradb_test

import (
	"runtime"
	"slices"
	"testing"
	"time"
)

// sideBySide times ours (the engine and Source) and base (the same work done directly)
// reps times in every iteration, alternating which goes first, so both see the same load
// on a shared machine; setup runs untimed before each pair. It reports the medians, which
// a few slow queries cannot move: "ms" (ours), "baseline-ms" and "x-baseline" (their
// ratio), and as ns/op the mean of ours per query. Queries of a few milliseconds take
// reps > 1 for enough samples.
//
// Each side starts after a forced garbage collection, so neither pays for the other's
// garbage.
func sideBySide(b *testing.B, reps int, setup func(b *testing.B), ours, base func(b *testing.B)) {
	b.Helper()
	ourTimes := make([]time.Duration, 0, b.N*reps)
	baseTimes := make([]time.Duration, 0, b.N*reps)
	runOurs := func() {
		runtime.GC()
		b.StartTimer()
		start := time.Now()
		ours(b)
		ourTimes = append(ourTimes, time.Since(start))
		b.StopTimer()
	}
	runBase := func() {
		runtime.GC()
		start := time.Now()
		base(b)
		baseTimes = append(baseTimes, time.Since(start))
	}
	b.StopTimer()
	b.ResetTimer()
	for i := range b.N * reps {
		if setup != nil {
			setup(b)
		}
		if i%2 == 0 {
			runOurs()
			runBase()
		} else {
			runBase()
			runOurs()
		}
	}
	var total time.Duration
	for _, d := range ourTimes {
		total += d
	}
	o, r := median(ourTimes), median(baseTimes)
	b.ReportMetric(float64(total)/float64(len(ourTimes)), "ns/op")
	b.ReportMetric(msOf(o), "ms")
	b.ReportMetric(msOf(r), "baseline-ms")
	b.ReportMetric(float64(o)/float64(r), "x-baseline")
}

// median of a set of durations (the mean of the middle two for an even count).
func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func msOf(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
