package e2e

import (
	"fmt"
	"testing"
	"time"
)

// The benchmarks here measure the launched gpx_nixci process, over gRPC as Grafana calls it,
// against the fake Hydra. Each reports its baseline or limit from the same run; under -short
// each runs only its smallest size, which CI runs once so that they cannot rot.

// benchConcurrency is the plugin's default maxConcurrency, the C of every limit here.
const benchConcurrency = 8

// panelSize is one size of a many-panels benchmark: builds per job, panels, Hydra's latency.
type panelSize struct {
	builds, panels int
	latency        time.Duration
}

// The many-panels sizes, smallest (the -short one) first: 50 panels of one job of 1,000
// builds, and 50 panels of 50 jobs of 100 builds each, with Hydra 20 ms away.
var (
	sameJobSizes  = []panelSize{{50, 10, 5 * time.Millisecond}, {1000, 50, 20 * time.Millisecond}}
	manyJobsSizes = []panelSize{{50, 10, 5 * time.Millisecond}, {100, 50, 20 * time.Millisecond}}
)

// smallestUnderShort returns all, or only its first element under -short.
func smallestUnderShort[T any](all []T) []T {
	if testing.Short() {
		return all[:1]
	}
	return all
}

// BenchmarkPluginMemory fills a fresh plugin with n builds of one job (an artifact series
// and a metric, cold then warm; the fake Hydra answers at once) and reports the process's
// memory against the design's 150 MB, beside the same plugin's memory before any query.
// The time per op is the four queries.
func BenchmarkPluginMemory(b *testing.B) {
	for _, n := range smallestUnderShort([]int{1000, 10_000}) {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			h := newHistory(b, 1, n, false)
			var idle, full memSample
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				p := launch(b, h.srv.URL, map[string]any{"source": "hydra", "maxConcurrency": benchConcurrency}, nil)
				var err error
				if idle, err = p.memory(); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				if err := fillPlugin(p, h); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				if full, err = p.memory(); err != nil {
					b.Fatal(err)
				}
				p.kill()
			}
			b.ReportMetric(mb(full.rss), "rss-MB")
			b.ReportMetric(mb(full.peakRSS), "peak-rss-MB")
			b.ReportMetric(mb(full.heapInuse), "heap-MB")
			b.ReportMetric(mb(idle.rss), "idle-rss-MB")
			b.ReportMetric(mb(idle.heapInuse), "idle-heap-MB")
			b.ReportMetric(mb(rssLimit), "limit-MB")
			b.ReportMetric(float64(max(full.rss, full.peakRSS))/rssLimit, "x-limit")
		})
	}
}

// BenchmarkPanelsSameJob sends many panels of one job at once to a cold plugin and
// compares the time until the last answer with a single panel's on another cold plugin in
// the same run: with one upstream fetch per build the ratio stays near 1.
func BenchmarkPanelsSameJob(b *testing.B) {
	for _, s := range smallestUnderShort(sameJobSizes) {
		b.Run(fmt.Sprintf("n=%d/panels=%d", s.builds, s.panels), func(b *testing.B) {
			h := newHistory(b, 1, s.builds, false)
			h.srv.SetLatency(s.latency)
			settings := map[string]any{"source": "hydra", "maxConcurrency": benchConcurrency}
			q := h.artifactQuery(h.jobs[0])
			queries := make([]map[string]any, s.panels)
			for i := range queries {
				queries[i] = q
			}
			var single, many time.Duration
			var singleRequests, requests, extra int
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				one := launch(b, h.srv.URL, settings, nil)
				h.srv.ResetRequests()
				run, err := h.runPanels(one, queries[:1], s.builds)
				if err != nil {
					b.Fatal(err)
				}
				single += run.wall
				singleRequests += h.srv.TotalRequests()
				one.kill()
				p := launch(b, h.srv.URL, settings, nil)
				h.srv.ResetRequests()
				b.StartTimer()
				run, err = h.runPanels(p, queries, s.builds)
				b.StopTimer()
				if err != nil {
					b.Fatal(err)
				}
				many += run.wall
				requests += h.srv.TotalRequests()
				_, x := repeated(h.srv)
				extra += x
				p.kill()
			}
			b.ReportMetric(ms(single/time.Duration(b.N)), "single-ms")
			b.ReportMetric(float64(many)/float64(single), "x-single")
			b.ReportMetric(float64(singleRequests)/float64(b.N), "single-requests")
			b.ReportMetric(float64(requests)/float64(b.N), "requests/op")
			b.ReportMetric(float64(extra)/float64(b.N), "repeated-requests")
		})
	}
}

// BenchmarkPanelsManyJobs sends one panel for each of many jobs at once to a cold plugin.
// Every request shares the instance's bound of C in flight, so the last answer cannot come
// before (1 + ceil(requests / C)) x latency, counting each distinct request once; the ratio
// to that limit says whether slots sat idle while queries queued behind one another. It reports when the first panel and the
// median panel got their answers. The jobs are alone in their jobsets (jobsets=N) or the
// jobs of one jobset (jobsets=1), whose evaluations every query walks for its commits.
func BenchmarkPanelsManyJobs(b *testing.B) {
	for _, s := range smallestUnderShort(manyJobsSizes) {
		for _, shared := range []bool{false, true} {
			jobsets := s.panels
			if shared {
				jobsets = 1
			}
			b.Run(fmt.Sprintf("n=%d/jobs=%d/jobsets=%d", s.builds, s.panels, jobsets), func(b *testing.B) {
				benchManyJobs(b, s, shared)
			})
		}
	}
}

// benchManyJobs runs one case of BenchmarkPanelsManyJobs, a fresh plugin per iteration.
func benchManyJobs(b *testing.B, s panelSize, shared bool) {
	h := newHistory(b, s.panels, s.builds, shared)
	h.srv.SetLatency(s.latency)
	var queries []map[string]any
	for _, j := range h.jobs {
		queries = append(queries, h.artifactQuery(j))
	}
	var wall, limit, first, median time.Duration
	var requests, extra int
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		p := launch(b, h.srv.URL, map[string]any{"source": "hydra", "maxConcurrency": benchConcurrency}, nil)
		h.srv.ResetRequests()
		b.StartTimer()
		run, err := h.runPanels(p, queries, s.builds)
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		p.kill()
		n := h.srv.TotalRequests()
		_, x := repeated(h.srv)
		wall += run.wall
		limit += concurrencyLimit(n-x, benchConcurrency, s.latency) // a request made twice is not work to do
		first += run.done[0]
		median += run.done[len(run.done)/2]
		requests += n
		extra += x
	}
	per := func(d time.Duration) float64 { return ms(d / time.Duration(b.N)) }
	b.ReportMetric(per(limit), "limit-ms")
	b.ReportMetric(float64(wall)/float64(limit), "x-limit")
	b.ReportMetric(per(first), "first-done-ms")
	b.ReportMetric(per(median), "median-done-ms")
	b.ReportMetric(float64(requests)/float64(b.N), "requests/op")
	b.ReportMetric(float64(extra)/float64(b.N), "repeated-requests")
}

// ms is d in milliseconds, for b.ReportMetric.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
