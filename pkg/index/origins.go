package index

import (
	"context"
	"fmt"
	"sync"

	"github.com/jackc/pgx/v5"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

// maxRemembered bounds how many builds' origins the listings leave for Origins.
const maxRemembered = 1 << 17

// remembered holds the origins the latest listings and metric series read with their
// builds, so that Origins, which the engine calls right after, asks the index nothing.
// They are as fresh as the listing: an eval import that renames builds shows at the next.
type remembered struct {
	mu  sync.Mutex
	m   map[int64]query.Origin
	max int
}

func newRemembered(max int) *remembered { return &remembered{m: map[int64]query.Origin{}, max: max} }

func (r *remembered) store(found map[int64]query.Origin) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.m)+len(found) > r.max {
		clear(r.m)
	}
	for id, o := range found {
		r.m[id] = o
	}
}

// lookup fills out and returns the ids it does not know. Builds the index knows
// without an origin are not remembered and are asked for again: there are few.
func (r *remembered) lookup(builds []query.Build, out map[int64]query.Origin) []int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	var missing []int64
	for i := range builds {
		if o, ok := r.m[builds[i].ID]; ok {
			out[builds[i].ID] = o
		} else {
			missing = append(missing, builds[i].ID)
		}
	}
	return missing
}

// originsSQL reads the evaluation and commit of builds by id.
const originsSQL = `SELECT id, eval_id, commit FROM nixci.builds WHERE id = ANY($1) AND (eval_id IS NOT NULL OR commit <> '')`

// Origins implements query.Source: each build's evaluation (the imported or implicit one
// it belongs to) and commit. Builds with neither are left out.
func (s *Source) Origins(ctx context.Context, job query.JobRef, builds []query.Build) (map[int64]query.Origin, error) {
	out := make(map[int64]query.Origin, len(builds))
	ids := s.origins.lookup(builds, out)
	if len(ids) == 0 {
		return out, nil
	}
	found := make(map[int64]query.Origin, len(ids))
	err := s.read(ctx, fmt.Sprintf("reading the evaluations of %d builds of %s", len(ids), job), func(ctx context.Context) error {
		return s.rows(ctx, originsSQL, []any{ids}, func(r pgx.Rows) error {
			var id int64
			var eval *int64
			var commit string
			if err := r.Scan(&id, &eval, &commit); err != nil {
				return err
			}
			found[id] = *origin(eval, commit)
			return nil
		})
	})
	for id, o := range found {
		out[id] = o
	}
	s.origins.store(found)
	return out, err
}
