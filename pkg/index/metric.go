package index

import (
	"context"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

// metricSQL reads one metric of a job's builds recorded within a window, newest first:
// the builds by the job index, each metric by its primary key (build_id, name).
func metricSQL(job query.JobRef, name string, w query.Window) (string, []any) {
	var p params
	sql := `SELECT b.id, b.time, m.value, m.unit, b.eval_id, b.commit
FROM nixci.builds b JOIN nixci.metrics m ON m.build_id = b.id AND m.name = ` + p.add(name) + `
WHERE ` + jobWhere(job, &p) + ` AND b.time BETWEEN ` + p.add(w.From) + ` AND ` + p.add(w.To) + newestFirst +
		` LIMIT ` + p.add(w.Limit+1)
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
	var origins map[int64]query.Origin
	err := s.read(ctx, "reading metric "+name+" of "+job.String(), func(ctx context.Context) error {
		out = make([]query.MetricPoint, 0, min(w.Limit+1, 1<<14))
		origins = make(map[int64]query.Origin, cap(out))
		var (
			p      query.MetricPoint
			t      time.Time
			eval   *int64
			commit string
		)
		return s.rows(ctx, sql, args, func(r pgx.Rows) error {
			if err := r.Scan(&p.Build, &t, &p.Value, &p.Unit, &eval, &commit); err != nil {
				return err
			}
			p.Timestamp = t.UTC()
			out = append(out, p)
			if o := origin(eval, commit); o != nil {
				origins[p.Build] = *o
			}
			return nil
		})
	})
	if err != nil {
		return nil, reqs, err
	}
	s.origins.store(origins)
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
