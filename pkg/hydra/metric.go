package hydra

import (
	"context"
	"errors"
	"net/url"
	"sort"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

// Metric reads Hydra's per-job metric route: the whole history in one request (the route
// takes no count or time parameter), filtered to the window here.
func (s *Source) Metric(ctx context.Context, job query.JobRef, name string, w query.Window) ([]query.MetricPoint, []string, error) {
	p := jobPath(job) + "/metric/" + url.PathEscape(name)
	reqs := []string{"GET " + s.c.URL(p)}
	all, err := s.metricHistory(ctx, p)
	if errors.Is(err, ErrNotFound) {
		return nil, reqs, nil
	}
	if err != nil {
		return nil, nil, err
	}
	// The history is sorted oldest first: the window is one run of it.
	from := sort.Search(len(all), func(i int) bool { return !all[i].Timestamp.Before(w.From) })
	to := sort.Search(len(all), func(i int) bool { return all[i].Timestamp.After(w.To) })
	if from >= to {
		return nil, reqs, nil
	}
	return append([]query.MetricPoint(nil), all[from:to]...), reqs, nil
}

// metricHistory reads one metric route, kept decoded and sorted oldest first for the
// listing TTL, so that refreshing a panel does not decode the whole history again.
func (s *Source) metricHistory(ctx context.Context, path string) (metricPoints, error) {
	v, err := s.cache.Load(ctx, "metric\x00"+path, s.listTTL, func(ctx context.Context) (any, bool, error) {
		var rows []apiMetricPoint
		if err := s.c.GetJSON(ctx, path, &rows); err != nil {
			return nil, false, err
		}
		out := make(metricPoints, 0, len(rows))
		for _, r := range rows {
			if !r.Value.Set {
				continue
			}
			mp := query.MetricPoint{Build: r.ID, Timestamp: unix(r.Timestamp), Value: r.Value.V}
			if r.Unit != nil {
				mp.Unit = *r.Unit
			}
			out = append(out, mp)
		}
		sort.SliceStable(out, func(i, j int) bool { return out[i].Timestamp.Before(out[j].Timestamp) })
		return out, true, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(metricPoints), nil
}

// metricPoints is a decoded metric history; Size is for the cache.
type metricPoints []query.MetricPoint

func (m metricPoints) Size() int64 {
	n := int64(24)
	for _, p := range m {
		n += 48 + int64(len(p.Unit))
	}
	return n
}
