package index

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

// originsSQL reads the evaluation and commit of builds by id.
const originsSQL = `SELECT id, eval_id, commit FROM nixci.builds WHERE id = ANY($1) AND (eval_id IS NOT NULL OR commit <> '')`

// Origins implements query.Source: each build's evaluation (the imported or implicit one
// it belongs to) and commit. Builds with neither are left out. They are taken from the
// job's listing kept since the index last changed (read now when it is not kept), and
// read by id for builds it does not hold.
func (s *Source) Origins(ctx context.Context, job query.JobRef, builds []query.Build) (map[int64]query.Origin, error) {
	out := make(map[int64]query.Origin, len(builds))
	if len(builds) == 0 {
		return out, nil
	}
	n, ok, err := s.change(ctx)
	if err != nil {
		return out, err
	}
	var missing []int64
	if ok && job.Job != "" {
		since := builds[0].Timestamp
		for i := range builds {
			if t := builds[i].Timestamp; t.Before(since) {
				since = t
			}
		}
		l, _, err := s.listing(ctx, n, job, since)
		if err != nil {
			return out, err
		}
		at := 0
		for i := range builds {
			j, listed := l.find(builds[i], at)
			switch {
			case !listed:
				missing = append(missing, builds[i].ID)
			case l.origins[j] != (query.Origin{}):
				out[builds[i].ID] = l.origins[j]
			}
			at = j + 1
		}
	} else {
		missing = make([]int64, len(builds))
		for i := range builds {
			missing[i] = builds[i].ID
		}
	}
	if len(missing) == 0 {
		return out, nil
	}
	err = s.read(ctx, fmt.Sprintf("reading the evaluations of %d builds of %s", len(missing), job), func(ctx context.Context) error {
		return s.rows(ctx, originsSQL, []any{missing}, func(r pgx.Rows) error {
			var id int64
			var eval *int64
			var commit string
			if err := r.Scan(&id, &eval, &commit); err != nil {
				return err
			}
			out[id] = origin(eval, commit)
			return nil
		})
	})
	return out, err
}
