package hydradb

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

// originsSQL finds the evaluation that introduced each build: the one whose membership
// row has isnew = 1 (IndexJobsetEvalMembersOnBuild), with the inputs that carry a
// revision. Parameter: build ids. %s: the flake and Nix-expression-input columns.
const originsSQL = `SELECT m.build, m.eval, %s, %s, i.name, i.revision
FROM unnest($1::bigint[]) AS ids(id) JOIN jobsetevalmembers m ON m.build = ids.id AND m.isnew = 1
JOIN jobsetevals e ON e.id = m.eval JOIN jobsets j ON j.id = e.jobset_id
LEFT JOIN jobsetevalinputs i ON i.eval = e.id AND i.altnr = 0 AND i.revision <> ''`

// firstEvalSQL is the fallback for builds without an isnew row: the oldest eval listing them.
const firstEvalSQL = `SELECT m.build, m.eval, %s, %s, i.name, i.revision
FROM (SELECT build, min(eval) AS eval FROM jobsetevalmembers WHERE build = ANY($1::bigint[]) GROUP BY build) m
JOIN jobsetevals e ON e.id = m.eval JOIN jobsets j ON j.id = e.jobset_id
LEFT JOIN jobsetevalinputs i ON i.eval = e.id AND i.altnr = 0 AND i.revision <> ''`

// Origins resolves the eval that introduced each build and its commit: the flake's locked
// revision for flake jobsets, else the revision of the input holding the Nix expression.
// A build's origin never changes, so each is read once (within the origin cache's bound).
func (s *Source) Origins(ctx context.Context, job query.JobRef, builds []query.Build) (map[int64]query.Origin, error) {
	out := make(map[int64]query.Origin, len(builds))
	ids := s.originCache.lookup(builds, out)
	if len(ids) == 0 {
		return out, nil
	}
	found := map[int64]*origin{}
	err := s.read(ctx, "finding the evaluations of builds of "+job.String(), func(ctx context.Context, sc *schema) error {
		var err error
		found, err = s.origins(ctx, fmt.Sprintf(originsSQL, sc.flakeCol(), sc.exprInputCol()), ids)
		if err != nil {
			return err
		}
		var missing []int64
		for _, id := range ids {
			if _, ok := found[id]; !ok {
				missing = append(missing, id)
			}
		}
		if len(missing) > 0 {
			more, err := s.origins(ctx, fmt.Sprintf(firstEvalSQL, sc.flakeCol(), sc.exprInputCol()), missing)
			if err != nil {
				return err
			}
			for id, o := range more {
				found[id] = o
			}
		}
		return nil
	})
	if err != nil {
		return out, err
	}
	read := make(map[int64]query.Origin, len(found))
	for id, o := range found {
		read[id] = query.Origin{Eval: o.eval, Revision: query.PickRevision(o.flake, o.exprName, o.inputs)}
		out[id] = read[id]
	}
	s.originCache.store(read)
	return out, nil
}

// origin is what one build's introducing evaluation says about its commit.
type origin struct {
	eval            int64
	flake, exprName string
	inputs          []query.EvalInput
}

// origins runs originsSQL or firstEvalSQL: one row per build and input with a revision.
// Should a build have several introducing evaluations, the oldest counts.
func (s *Source) origins(ctx context.Context, sql string, ids []int64) (map[int64]*origin, error) {
	found := make(map[int64]*origin, len(ids))
	err := s.rows(ctx, sql, []any{ids}, func(r rowScanner) error {
		var build, eval int64
		var flake, expr, name, rev *string
		if err := r.Scan(&build, &eval, &flake, &expr, &name, &rev); err != nil {
			return err
		}
		o := found[build]
		if o == nil || eval < o.eval {
			o = &origin{eval: eval, flake: deref(flake), exprName: deref(expr)}
			found[build] = o
		} else if eval > o.eval {
			return nil
		}
		if name != nil {
			o.inputs = append(o.inputs, query.EvalInput{Name: *name, Revision: deref(rev)})
		}
		return nil
	})
	for _, o := range found {
		slices.SortFunc(o.inputs, func(a, b query.EvalInput) int { return strings.Compare(a.Name, b.Name) })
	}
	return found, err
}

// input is an evaluation input's name and revision.

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
		err := s.rows(ctx, q, args, func(r rowScanner) error {
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
