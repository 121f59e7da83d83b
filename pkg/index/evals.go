package index

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

// evalsSQL lists a jobset's evaluations, imported and implicit, within a window, newest
// first, by evals_jobset_time; each with the number of builds recorded in it (builds_eval).
// Parameters: project, jobset, from, to, limit.
const evalsSQL = `SELECT e.id, e.time, e.commit, (SELECT count(*) FROM nixci.builds b WHERE b.eval_id = e.id)
FROM nixci.evals e WHERE e.project = $1 AND e.jobset = $2 AND e.time BETWEEN $3 AND $4
ORDER BY e.time DESC, e.id DESC LIMIT $5`

// Evals implements query.EvalSource: the jobset's evaluations within the window, newest
// first, at most w.Limit+1 so the engine can tell that limit cut them. Revision is the
// commit; NrBuilds counts the builds recorded in the evaluation.
func (s *Source) Evals(ctx context.Context, project, jobset string, w query.Window) ([]query.Eval, []string, error) {
	args := []any{project, jobset, w.From, w.To, w.Limit + 1}
	reqs := []string{shown(evalsSQL, args...)}
	var out []query.Eval
	err := s.read(ctx, "listing the evaluations of "+project+":"+jobset, func(ctx context.Context) error {
		out = out[:0]
		return s.rows(ctx, evalsSQL, args, func(r pgx.Rows) error {
			var ev query.Eval
			var t time.Time
			err := r.Scan(&ev.ID, &t, &ev.Revision, &ev.NrBuilds)
			ev.Timestamp = t.UTC()
			out = append(out, ev)
			return err
		})
	})
	if err == nil && len(out) == 0 {
		err = s.checkJobset(ctx, project, jobset)
	}
	return out, reqs, err
}

// checkJobset explains an empty answer when the index knows no such jobset at all.
func (s *Source) checkJobset(ctx context.Context, project, jobset string) error {
	var known bool
	err := s.read(ctx, "looking up jobset "+project+":"+jobset, func(ctx context.Context) error {
		return s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM nixci.builds WHERE project = $1 AND jobset = $2)
			OR EXISTS (SELECT 1 FROM nixci.evals WHERE project = $1 AND jobset = $2)`, project, jobset).Scan(&known)
	})
	if err != nil || known {
		return nil // the check only explains; its own failure changes nothing
	}
	return query.Invalidf("the build index has no jobset %s:%s: check the names, which are those given to "+
		"nixci-artifacts record (--project, --jobset) or of an imported evaluation", project, jobset)
}
