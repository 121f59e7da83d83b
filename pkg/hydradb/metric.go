package hydradb

import (
	"cmp"
	"context"
	"slices"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

// metricSQL reads one metric's newest points within a window. It walks
// IndexBuildMetricsOnJobTimestamp (project, jobset, job, timestamp DESC) in order; name is
// not in the index and is filtered on the way. Parameters: project, jobset, job, name,
// from, to, limit.
const metricSQL = `SELECT build, timestamp, value, unit FROM buildmetrics
	WHERE project = $1 AND jobset = $2 AND job = $3 AND name = $4
	AND timestamp BETWEEN $5::bigint AND $6::bigint
	ORDER BY timestamp DESC LIMIT $7`

// Metric returns the points of one metric of the job queued within the window, oldest
// first: at most w.Limit+1 of the newest, so the engine can tell that limit cut the series.
// Cached builds carry copies of an earlier build's metrics, as Hydra stores them. The
// commits of the newest builds (at most query.MaxOrigins), which the engine asks for next,
// are read a chunk at a time while the older points arrive.
func (s *Source) Metric(ctx context.Context, job query.JobRef, name string, w query.Window) ([]query.MetricPoint, []string, error) {
	from, to := unixRange(w)
	args := []any{job.Project, job.Jobset, job.Job, name, from, to, w.Limit + 1}
	reqs := []string{shown(metricSQL, args...)}
	upTo := min(w.Limit, query.MaxOrigins) // the points whose commits the engine shows
	outer := ctx                           // the prefetch outlives this read
	var out []query.MetricPoint
	err := s.read(ctx, "reading metric "+name+" of "+job.String(), func(ctx context.Context, _ *schema) error {
		out = make([]query.MetricPoint, 0, min(w.Limit+1, 1<<17))
		rows, err := s.pool.Query(ctx, metricSQL, planned(args)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		var (
			build, ts int64
			value     float64
			raw       pgtype.DriverBytes // the row's unit, valid until the next row
			unit      string             // a series has one unit: made into a string once
		)
		dest := []any{&build, &ts, &value, &raw} // one slice for every row
		for rows.Next() {
			if err := rows.Scan(dest...); err != nil {
				return err
			}
			if string(raw) != unit {
				unit = string(raw)
			}
			if n := len(out); n > 0 && n <= upTo && n%originChunk == 0 { // and more rows come
				s.prefetchOrigins(outer, job, pointBuilds(out[n-originChunk:]))
			}
			out = append(out, query.MetricPoint{Build: build, Timestamp: unix(&ts), Value: value, Unit: unit})
		}
		return rows.Err()
	})
	if err != nil {
		return nil, reqs, err
	}
	slices.Reverse(out)
	// equal queue times (builds of one eval) come in index order: settle them by build id
	if !slices.IsSortedFunc(out, byTimeAndBuild) {
		slices.SortStableFunc(out, byTimeAndBuild)
	}
	return out, reqs, nil
}

// originChunk is how many builds' commits a metric series reads ahead at once.
const originChunk = 2_500

// pointBuilds lists the builds of points.
func pointBuilds(points []query.MetricPoint) []int64 {
	ids := make([]int64, len(points))
	for i, p := range points {
		ids[i] = p.Build
	}
	return ids
}

func byTimeAndBuild(a, b query.MetricPoint) int {
	if c := a.Timestamp.Compare(b.Timestamp); c != 0 {
		return c
	}
	return cmp.Compare(a.Build, b.Build)
}

// metricNamesSQL takes the names among the job's newest metric rows, by the same index.
const metricNamesSQL = `SELECT DISTINCT name FROM (
	SELECT name FROM buildmetrics WHERE project = $1 AND jobset = $2 AND job = $3
	ORDER BY timestamp DESC LIMIT 1000) m ORDER BY name`

// MetricNames lists the metric names of the job's recent builds (its newest 1,000 metric
// values), sorted.
func (s *Source) MetricNames(ctx context.Context, job query.JobRef) ([]string, error) {
	var names []string
	err := s.read(ctx, "listing the metrics of "+job.String(), func(ctx context.Context, _ *schema) error {
		names = names[:0]
		return s.rows(ctx, metricNamesSQL, []any{job.Project, job.Jobset, job.Job}, func(r rowScanner) error {
			var n string
			err := r.Scan(&n)
			names = append(names, n)
			return err
		})
	})
	return names, err
}
