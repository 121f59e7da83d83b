package nixstore

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"path/filepath"
	"sync"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

// metricCacheBytes bounds the parsed hydra-metrics the index's items keep.
const metricCacheBytes = 32 << 20

// metricList is the parsed hydra-metrics of one output, as an item keeps it.
type metricList []Metric

func (m metricList) size() int64 {
	n := int64(24)
	for _, x := range m {
		n += 56 + int64(len(x.Name)+len(x.Unit))
	}
	return n
}

// metricsOf returns a build's metrics: its record's, else its output's
// nix-support/hydra-metrics (none when it has no such file or is gone). Outputs never
// change, so the item keeps what was read (within metricCacheBytes for all items).
func (s *Source) metricsOf(it *item) ([]Metric, error) {
	if r := it.rec; r != nil {
		out := make([]Metric, len(r.Metrics))
		for i, m := range r.Metrics {
			out[i] = Metric{Name: m.Name, Value: float64(m.Value), Unit: m.Unit}
		}
		return out, nil
	}
	if !it.valid {
		return nil, nil
	}
	if p := it.metrics.Load(); p != nil {
		return *p, nil
	}
	body, err := s.readFile(filepath.Join(it.path, "nix-support", "hydra-metrics"), MaxFileSize, "")
	if errors.Is(err, query.ErrNoArtifact) {
		body, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	ms, _ := ParseMetrics(bytes.NewReader(body))
	ml := metricList(ms)
	if n := ml.size(); s.x.metricBytes.Add(n) <= metricCacheBytes {
		it.metrics.Store(&ml)
	} else {
		s.x.metricBytes.Add(-n)
	}
	return ms, nil
}

// readWorkers read the metric files of many outputs at once.
const readWorkers = 8

// readMetrics reads the metrics of the outputs whose items do not hold them yet, a few
// at a time when there are many. A file that could not be read fails the whole, as its
// build would show no point without saying why.
func (s *Source) readMetrics(ctx context.Context, items []*item) error {
	var todo []*item
	for _, it := range items {
		if it.rec == nil && it.valid && it.metrics.Load() == nil {
			todo = append(todo, it)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	var mu sync.Mutex
	var first error
	next := make(chan *item)
	var wg sync.WaitGroup
	for range min(readWorkers, max(1, len(todo)/(2*readWorkers))) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range next {
				if _, err := s.metricsOf(it); err != nil {
					mu.Lock()
					first = cmp.Or(first, err)
					mu.Unlock()
				}
			}
		}()
	}
	for _, it := range todo {
		if ctx.Err() != nil {
			break
		}
		next <- it
	}
	close(next)
	wg.Wait()
	return cmp.Or(ctx.Err(), first)
}

// Metric implements query.Source: the named metric of every build in w, oldest first, of
// at most w.Limit+1 builds, so that the engine can tell that the limit cut the series.
func (s *Source) Metric(ctx context.Context, job query.JobRef, name string, w query.Window) ([]query.MetricPoint, []string, error) {
	if w.Limit > 0 {
		w.Limit++
	}
	items, _, _, err := s.list(ctx, job, w)
	if err != nil {
		return nil, nil, err
	}
	if err := s.readMetrics(ctx, items); err != nil {
		return nil, nil, err
	}
	pts := make([]query.MetricPoint, 0, len(items))
	for i := len(items) - 1; i >= 0; i-- {
		it := items[i]
		if r := it.rec; r != nil {
			for _, m := range r.Metrics {
				if m.Name == name {
					pts = append(pts, query.MetricPoint{Build: it.id, Timestamp: it.time(), Value: float64(m.Value), Unit: m.Unit})
				}
			}
			continue
		}
		ms, err := s.metricsOf(it) // held by the item now, unless beyond the bound
		if err != nil {
			return nil, nil, err
		}
		for _, m := range ms {
			if m.Name == name {
				pts = append(pts, query.MetricPoint{Build: it.id, Timestamp: it.time(), Value: m.Value, Unit: m.Unit})
			}
		}
	}
	return pts, []string{s.describe(job, w), "then the metrics of each recorded build, else nix-support/hydra-metrics of its path"}, nil
}

// MetricNames implements query.Source: the metric names of the newest 5 builds.
func (s *Source) MetricNames(ctx context.Context, job query.JobRef) ([]string, error) {
	items, err := s.recent(ctx, job, 5)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var names []string
	for _, it := range items {
		ms, err := s.metricsOf(it)
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			if !seen[m.Name] {
				seen[m.Name] = true
				names = append(names, m.Name)
			}
		}
	}
	return names, nil
}
