package index

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

// maxRemembered bounds how many builds' origins the listings leave for Origins.
const maxRemembered = 1 << 17

// rememberFor is how long an origin read is used again. An evaluation imported after its
// builds changes theirs: a listing shows that at once, a metric series within this time.
const rememberFor = 30 * time.Second

// remembered holds the origins that listings read with their builds, and that Origins
// read, so that Origins, which the engine calls right after a listing, asks the index
// nothing, and a series refreshed within rememberFor neither.
type remembered struct {
	mu  sync.Mutex
	m   map[int64]stamped
	max int
	now func() time.Time
}

type stamped struct {
	o  query.Origin
	at time.Time
}

func newRemembered(max int) *remembered {
	return &remembered{m: map[int64]stamped{}, max: max, now: time.Now}
}

// seen is one build's origin as a statement read it.
type seen struct {
	id int64
	o  query.Origin
}

func (r *remembered) store(found []seen) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.m)+len(found) > r.max {
		clear(r.m)
	}
	now := r.now()
	for _, f := range found {
		r.m[f.id] = stamped{f.o, now}
	}
}

// lookup fills out and returns the ids it does not know (or knows for too long). Builds
// without an origin are not remembered and are asked for again: there are few.
func (r *remembered) lookup(builds []query.Build, out map[int64]query.Origin) []int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	var missing []int64
	since := r.now().Add(-rememberFor)
	for i := range builds {
		if o, ok := r.m[builds[i].ID]; ok && o.at.After(since) {
			out[builds[i].ID] = o.o
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
	found := make([]seen, 0, len(ids))
	err := s.read(ctx, fmt.Sprintf("reading the evaluations of %d builds of %s", len(ids), job), func(ctx context.Context) error {
		return s.rows(ctx, originsSQL, []any{ids}, func(r pgx.Rows) error {
			var id int64
			var eval *int64
			var commit string
			if err := r.Scan(&id, &eval, &commit); err != nil {
				return err
			}
			found = append(found, seen{id, *origin(eval, commit)})
			return nil
		})
	})
	for _, f := range found {
		out[f.id] = f.o
	}
	s.origins.store(found)
	return out, err
}
