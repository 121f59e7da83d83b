package index

import (
	"context"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

// metricSQL reads one metric of a job's builds recorded within a window, newest first, in
// one index-only range scan of metrics_jobset_job_time (metrics_job_time when project and
// jobset are not given).
func metricSQL(job query.JobRef, name string, w query.Window) (string, []any) {
	var p params
	sql := `SELECT m.build_id, m.time, m.value, m.unit FROM nixci.metrics m
WHERE ` + jobWhereOn("m", job, &p) + ` AND m.name = ` + p.add(name) + ` AND m.time BETWEEN ` + p.add(w.From) +
		` AND ` + p.add(w.To) + ` ORDER BY m.time DESC, m.build_id DESC LIMIT ` + p.add(w.Limit+1)
	return sql, p
}

// Metric implements query.Source: the metric's points within the window in one
// statement, oldest first, at most w.Limit+1 of the newest so the engine can tell that
// limit cut the series. NaN and infinite values come back as they were recorded.
func (s *Source) Metric(ctx context.Context, job query.JobRef, name string, w query.Window) ([]query.MetricPoint, []string, error) {
	if err := needJob(job); err != nil {
		return nil, nil, err
	}
	sql, args := metricSQL(job, name, w)
	reqs := []string{shown(sql, args...)}
	var out []query.MetricPoint
	err := s.read(ctx, "reading metric "+name+" of "+job.String(), func(ctx context.Context) error {
		out = make([]query.MetricPoint, 0, min(w.Limit+1, 1<<14))
		var p query.MetricPoint
		var t time.Time
		return s.rows(ctx, sql, args, func(r pgx.Rows) error {
			err := r.Scan(&p.Build, &t, &p.Value, &p.Unit)
			p.Timestamp = t.UTC()
			out = append(out, p)
			return err
		})
	})
	if err != nil {
		return nil, reqs, err
	}
	slices.Reverse(out)
	return out, reqs, nil
}

// MetricNames implements query.Source: the metric names of the job's 100 newest builds.
func (s *Source) MetricNames(ctx context.Context, job query.JobRef) ([]string, error) {
	if err := needJob(job); err != nil {
		return nil, err
	}
	var p params
	sql := `SELECT DISTINCT m.name FROM nixci.metrics m WHERE m.build_id IN (
	SELECT b.id FROM nixci.builds b WHERE ` + jobWhere(job, &p) + newestFirst + ` LIMIT 100) ORDER BY m.name`
	var names []string
	err := s.read(ctx, "listing the metrics of "+job.String(), func(ctx context.Context) error {
		names = names[:0]
		return s.rows(ctx, sql, p, func(r pgx.Rows) error {
			var n string
			err := r.Scan(&n)
			names = append(names, n)
			return err
		})
	})
	return names, err
}
