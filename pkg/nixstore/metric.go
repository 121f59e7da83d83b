package nixstore

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"sync"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

// metricList is the parsed hydra-metrics of one output, as cached.
type metricList []Metric

// Size implements cache.Sized.
func (m metricList) Size() int64 {
	n := int64(24)
	for _, x := range m {
		n += 56 + int64(len(x.Name)+len(x.Unit))
	}
	return n
}

// metricsOf returns a build's metrics: its record's, else its output's
// nix-support/hydra-metrics (none when it has no such file or is gone). Outputs never
// change, so their metrics are read once (within the cache's bound).
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
	if v, ok := s.metrics.Get(it.path); ok {
		return v.(metricList), nil
	}
	body, err := s.readFile(filepath.Join(it.path, "nix-support", "hydra-metrics"), MaxFileSize, "")
	if errors.Is(err, query.ErrNoArtifact) {
		body, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	ms, _ := ParseMetrics(bytes.NewReader(body))
	s.metrics.Set(it.path, metricList(ms), 0)
	return ms, nil
}

// prefetchWorkers read the metric files of many uncached outputs at once.
const prefetchWorkers = 8

// prefetch reads the metrics of the outputs not cached yet, a few at a time, so that a
// first query over thousands of builds does not read them one by one.
func (s *Source) prefetch(ctx context.Context, items []*item) {
	var todo []*item
	for _, it := range items {
		if it.rec == nil && it.valid {
			if _, ok := s.metrics.Get(it.path); !ok {
				todo = append(todo, it)
			}
		}
	}
	if len(todo) < 2*prefetchWorkers {
		return
	}
	var wg sync.WaitGroup
	next := make(chan *item)
	for range prefetchWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range next {
				_, _ = s.metricsOf(it) // errors are met again, in order, by the caller
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
}

// Metric implements query.Source: the named metric of every build in w, oldest first.
func (s *Source) Metric(ctx context.Context, job query.JobRef, name string, w query.Window) ([]query.MetricPoint, []string, error) {
	items, _, _, err := s.list(ctx, job, w)
	if err != nil {
		return nil, nil, err
	}
	s.prefetch(ctx, items)
	var pts []query.MetricPoint
	for i := len(items) - 1; i >= 0; i-- {
		it := items[i]
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		if r := it.rec; r != nil {
			for _, m := range r.Metrics {
				if m.Name == name {
					pts = append(pts, query.MetricPoint{Build: it.id, Timestamp: it.time(), Value: float64(m.Value), Unit: m.Unit})
				}
			}
			continue
		}
		ms, err := s.metricsOf(it)
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
