package index

import (
	"context"
	"slices"
	"strconv"
	"time"
	"unsafe"

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

// seriesSQL reads one metric of a job's builds timed from since on, newest first, at most
// limit, by the same index-only scan as metricSQL.
func seriesSQL(job query.JobRef, name string, since time.Time, limit int) (string, []any) {
	var p params
	sql := `SELECT m.build_id, m.time, m.value, m.unit FROM nixci.metrics m
WHERE ` + jobWhereOn("m", job, &p) + ` AND m.name = ` + p.add(name) + ` AND m.time >= ` + p.add(since) +
		` ORDER BY m.time DESC, m.build_id DESC LIMIT ` + p.add(limit)
	return sql, p
}

// pointBytes is what one kept point is reckoned to cost, for how many are kept (a
// MetricPoint is 56 bytes on 64-bit platforms; units are shared).
const pointBytes = 64

// jobSeries is one metric of a job as a Source keeps it (see kept): its points timed from
// since on, newest first.
type jobSeries struct {
	since  time.Time
	points []query.MetricPoint
	cut    bool   // more points were timed from since on than were kept
	read   string // the statement, as shown
}

func (m *jobSeries) Size() int64 {
	return int64(len(m.points))*int64(unsafe.Sizeof(query.MetricPoint{})) + int64(len(m.read))
}
func (m *jobSeries) from() time.Time { return m.since }

// Metric implements query.Source: the metric's points within the window, oldest first, at
// most w.Limit+1 of the newest so the engine can tell that limit cut the series. NaN and
// infinite values come back as they were recorded. The window is cut from the series kept
// since the index last changed (see memo.go), else read with metricSQL.
func (s *Source) Metric(ctx context.Context, job query.JobRef, name string, w query.Window) ([]query.MetricPoint, []string, error) {
	if err := needJob(job); err != nil {
		return nil, nil, err
	}
	n, ok, err := s.change(ctx)
	if err != nil {
		return nil, nil, err
	}
	what := "reading metric " + name + " of " + job.String()
	if ok {
		m, fresh, err := recall(ctx, s, n, "metric\x00"+jobKey(job)+"\x00"+name, micro(w.From),
			func(ctx context.Context, since time.Time) (*jobSeries, error) {
				sql, args := seriesSQL(job, name, since, s.maxPoints+1)
				m := &jobSeries{since: since, read: shown(sql, args...)}
				var err error
				if m.points, err = s.scanPoints(ctx, what, sql, args, s.maxPoints+1); err != nil {
					return nil, err
				}
				if len(m.points) > s.maxPoints {
					m.points, m.cut = m.points[:s.maxPoints], true
				}
				return m, nil
			})
		if err != nil {
			return nil, nil, err
		}
		if lo, hi, ok := inWindow(len(m.points), func(i int) time.Time { return m.points[i].Timestamp }, w, m.cut); ok {
			out := slices.Clone(m.points[lo:hi])
			slices.Reverse(out)
			return out, shownFrom(m.read, n, fresh, "m.time", w), nil
		}
	}
	sql, args := metricSQL(job, name, w)
	reqs := []string{shown(sql, args...)}
	out, err := s.scanPoints(ctx, what, sql, args, w.Limit+1)
	if err != nil {
		return nil, reqs, err
	}
	slices.Reverse(out)
	return out, reqs, nil
}

// scanPoints runs a statement of metric points and returns them in its order; size is
// the most rows it returns. Units repeat and are shared.
func (s *Source) scanPoints(ctx context.Context, what, sql string, args []any, size int) ([]query.MetricPoint, error) {
	var out *collector[query.MetricPoint]
	err := s.read(ctx, what, func(ctx context.Context) error {
		out = newCollector[query.MetricPoint](size)
		var p query.MetricPoint
		var t time.Time
		unit := ""
		return s.rows(ctx, sql, args, func(r pgx.Rows) error {
			err := r.Scan(&p.Build, &t, &p.Value, &p.Unit)
			p.Timestamp = t.UTC()
			if p.Unit == unit {
				p.Unit = unit
			}
			unit = p.Unit
			out.add(p)
			return err
		})
	})
	return out.all(), err
}

// metricNames are the metric names of a job's newest builds, as a Source keeps them.
type metricNames []string

func (m metricNames) Size() int64 {
	n := int64(24 * len(m))
	for _, s := range m {
		n += int64(len(s))
	}
	return n
}

// MetricNames implements query.Source: the metric names of the job's 100 newest builds,
// kept while the index does not change.
func (s *Source) MetricNames(ctx context.Context, job query.JobRef) ([]string, error) {
	if err := needJob(job); err != nil {
		return nil, err
	}
	n, ok, err := s.change(ctx)
	if err != nil {
		return nil, err
	}
	if !ok {
		return s.metricNames(ctx, job)
	}
	key := strconv.FormatInt(n, 10) + "\x00names\x00" + jobKey(job)
	v, err := s.memo.Load(ctx, key, s.ttl, func(ctx context.Context) (any, bool, error) {
		s.loads.Add(1)
		names, err := s.metricNames(ctx, job)
		return metricNames(names), err == nil, err
	})
	if err != nil {
		return nil, err
	}
	return slices.Clone(v.(metricNames)), nil
}

// metricNames reads the metric names of the job's 100 newest builds.
func (s *Source) metricNames(ctx context.Context, job query.JobRef) ([]string, error) {
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
