package hydradb

import (
	"context"
	"fmt"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

// evalsSQL lists a jobset's evaluations that added builds, newest first, by Hydra's
// partial index IndexJobsetEvalsOnJobsetId (jobset_id, id DESC) WHERE hasnewbuilds = 1.
// Evaluations with hasnewbuilds = 0 are left out as Hydra's pages leave them out: they
// have no members and no inputs. Parameters: project, jobset, from, to, limit.
const evalsSQL = `SELECT e.id, e.timestamp, e.checkouttime, e.evaltime, coalesce(e.nrbuilds, 0), %s, %s
FROM jobsetevals e JOIN jobsets j ON j.id = e.jobset_id
WHERE e.jobset_id = ` + jobsetID + ` AND e.hasnewbuilds = 1
AND e.timestamp BETWEEN $3::bigint AND $4::bigint
ORDER BY e.id DESC LIMIT $5`

// evalInputsSQL reads the inputs of a page of evaluations.
const evalInputsSQL = `SELECT eval, name, type, coalesce(uri, ''), coalesce(revision, ''), coalesce(value, '')
FROM jobsetevalinputs WHERE eval = ANY($1) AND altnr = 0 ORDER BY eval, name`

// Evals implements query.EvalSource: the jobset's evaluations inside the window, newest
// first, at most w.Limit+1 so the engine can tell that limit cut them.
func (s *Source) Evals(ctx context.Context, project, jobset string, w query.Window) ([]query.Eval, []string, error) {
	from, to := unixRange(w)
	args := []any{project, jobset, from, to, w.Limit + 1}
	var out []query.Eval
	var reqs []string
	err := s.read(ctx, "listing the evaluations of "+project+":"+jobset, func(ctx context.Context, sc *schema) error {
		out = out[:0]
		q := fmt.Sprintf(evalsSQL, sc.flakeCol(), sc.exprInputCol())
		reqs = []string{shown(q, args...)}
		exprs := map[int64]string{}
		err := s.rows(ctx, q, planned(args), func(r rowScanner) error {
			var ev query.Eval
			var ts int64
			var flake, expr *string
			err := r.Scan(&ev.ID, &ts, &ev.CheckoutTime, &ev.EvalTime, &ev.NrBuilds, &flake, &expr)
			ev.Timestamp, ev.Flake, exprs[ev.ID] = unix(&ts), deref(flake), deref(expr)
			out = append(out, ev)
			return err
		})
		if err != nil || len(out) == 0 {
			return err
		}
		ids := make([]int64, len(out))
		at := make(map[int64]int, len(out))
		for i, ev := range out {
			ids[i], at[ev.ID] = ev.ID, i
		}
		reqs = append(reqs, shown(evalInputsSQL, fmt.Sprintf("{%d evaluation ids}", len(ids))))
		err = s.rows(ctx, evalInputsSQL, []any{ids}, func(r rowScanner) error {
			var eval int64
			var in query.EvalInput
			err := r.Scan(&eval, &in.Name, &in.Type, &in.URI, &in.Revision, &in.Value)
			ev := &out[at[eval]]
			ev.Inputs = append(ev.Inputs, in)
			return err
		})
		for i := range out {
			ins := make([]query.EvalInput, len(out[i].Inputs))
			for j, in := range out[i].Inputs {
				ins[j] = query.EvalInput{Name: in.Name, Revision: in.Revision}
			}
			out[i].Revision = query.PickRevision(out[i].Flake, exprs[out[i].ID], ins)
		}
		return err
	})
	if err == nil && len(out) == 0 {
		err = s.checkJobset(ctx, project, jobset)
	}
	return out, reqs, err
}
