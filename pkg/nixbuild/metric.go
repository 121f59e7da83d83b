package nixbuild

import (
	"context"
	"slices"
	"strings"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

// metric is one figure nixbuild.net measures per build, with its unit.
type metric struct {
	name, unit string
	value      func(b query.Build) (float64, bool)
}

// metrics are the series a metric query can plot, in MetricNames' order.
var metrics = []metric{
	{"duration", "s", func(b query.Build) (float64, bool) {
		if d := b.Duration(); d != nil {
			return *d, true
		}
		return 0, false
	}},
	{"queue_time", "s", func(b query.Build) (float64, bool) { return b.Resources.QueueSeconds, true }},
	{"cpu_seconds", "s", func(b query.Build) (float64, bool) { return b.Resources.CPUSeconds, true }},
	{"cpu_count", "", func(b query.Build) (float64, bool) { return float64(b.Resources.CPUCount), true }},
	{"allocated_memory", "bytes", func(b query.Build) (float64, bool) { return float64(b.Resources.AllocatedBytes), true }},
	{"peak_memory", "bytes", func(b query.Build) (float64, bool) { return optional(b.Resources.PeakMemoryBytes) }},
	{"peak_storage", "bytes", func(b query.Build) (float64, bool) { return optional(b.Resources.PeakStorageBytes) }},
}

func optional(v *int64) (float64, bool) {
	if v == nil {
		return 0, false
	}
	return float64(*v), true
}

// MetricNames lists the figures nixbuild.net measures for every build.
func (s *Source) MetricNames(context.Context, query.JobRef) ([]string, error) {
	names := make([]string, len(metrics))
	for i, m := range metrics {
		names[i] = m.name
	}
	return names, nil
}

// Metric returns one figure of the job's builds created in w, oldest first: up to
// w.Limit+1 points, so the engine can say when the limit cut the series. Builds still
// queued or running have no figures yet and are left out.
func (s *Source) Metric(ctx context.Context, job query.JobRef, name string, w query.Window) ([]query.MetricPoint, []string, error) {
	i := slices.IndexFunc(metrics, func(m metric) bool { return m.name == name })
	if i < 0 {
		names, _ := s.MetricNames(ctx, job)
		return nil, nil, query.Invalidf("nixbuild.net has no metric %q: use one of %s", name, strings.Join(names, ", "))
	}
	m := metrics[i]
	p, err := s.list(ctx, job, w, w.Limit+1)
	if err != nil {
		return nil, nil, err
	}
	pts := make([]query.MetricPoint, 0, len(p.builds))
	for j := len(p.builds) - 1; j >= 0; j-- {
		b := p.builds[j]
		if !b.Finished || b.Resources == nil {
			continue
		}
		if v, ok := m.value(b); ok {
			pts = append(pts, query.MetricPoint{Build: b.ID, Timestamp: b.Timestamp, Value: v, Unit: m.unit})
		}
	}
	return pts, append([]string(nil), p.reqs...), nil
}
