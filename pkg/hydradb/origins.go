package hydradb

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

// originsSQL finds the evaluation that introduced each build: the one whose membership
// row has isnew = 1, with the inputs that carry a revision. Parameter: build ids. %s: the
// flake and Nix-expression-input columns. Each build's membership is looked up on its own
// in IndexJobsetEvalMembersOnBuild: the LATERAL subquery, kept apart by OFFSET 0, stops
// the planner from merging thousands of ids with the whole index instead (at 10,000 ids
// among a million builds, 250 ms instead of 90 ms).
const originsSQL = `SELECT m.build, m.eval, %s, %s, i.name, i.revision
FROM unnest($1::bigint[]) AS ids(id)
CROSS JOIN LATERAL (SELECT build, eval FROM jobsetevalmembers WHERE build = ids.id AND isnew = 1 OFFSET 0) m
JOIN jobsetevals e ON e.id = m.eval JOIN jobsets j ON j.id = e.jobset_id
LEFT JOIN jobsetevalinputs i ON i.eval = e.id AND i.altnr = 0 AND i.revision <> ''`

// firstEvalSQL is the fallback for builds without an isnew row: the oldest eval listing them.
const firstEvalSQL = `SELECT m.build, m.eval, %s, %s, i.name, i.revision
FROM (SELECT build, min(eval) AS eval FROM jobsetevalmembers WHERE build = ANY($1::bigint[]) GROUP BY build) m
JOIN jobsetevals e ON e.id = m.eval JOIN jobsets j ON j.id = e.jobset_id
LEFT JOIN jobsetevalinputs i ON i.eval = e.id AND i.altnr = 0 AND i.revision <> ''`

// Origins resolves the eval that introduced each build and its commit: the flake's locked
// revision for flake jobsets, else the revision of the input holding the Nix expression.
// A build's origin never changes, so each is read once (within the origin cache's bound);
// builds whose lookup is already under way (a metric series' prefetch) are waited for,
// not read again.
func (s *Source) Origins(ctx context.Context, job query.JobRef, builds []query.Build) (map[int64]query.Origin, error) {
	out := make(map[int64]query.Origin, len(builds))
	missing := s.originCache.lookup(builds, out)
	// Two rounds: a lookup someone else had under way may have failed; then read its
	// builds here, so that the failure is this query's to report.
	for round := 0; len(missing) > 0 && round < 2; round++ {
		mine, f, others := s.flights.claim(missing)
		if len(mine) > 0 {
			read, err := s.readOrigins(ctx, job, mine)
			s.flights.land(mine, f)
			for id, o := range read {
				out[id] = o
			}
			if err != nil {
				return out, err
			}
		}
		if len(others) == 0 {
			break
		}
		for _, o := range others {
			select {
			case <-o.done:
			case <-ctx.Done():
				return out, ctx.Err()
			}
		}
		missing = s.originCache.lookupIDs(without(missing, mine), out)
	}
	return out, nil
}

// prefetchOrigins starts reading the origins of the given builds in the background, for
// the engine to find cached (or under way) when it asks: a metric series starts it once
// it has read the builds whose commits are shown, while the rest of its rows arrive.
// Failures are left for the engine's own lookup to meet and report.
func (s *Source) prefetchOrigins(ctx context.Context, job query.JobRef, ids []int64) {
	mine, f, _ := s.flights.claim(s.originCache.lookupIDs(ids, nil))
	if len(mine) == 0 {
		return
	}
	go func() {
		_, _ = s.readOrigins(ctx, job, mine)
		s.flights.land(mine, f)
	}()
}

// readOrigins reads the origins of builds from the database and caches them.
func (s *Source) readOrigins(ctx context.Context, job query.JobRef, ids []int64) (map[int64]query.Origin, error) {
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
		return nil, err
	}
	read := make(map[int64]query.Origin, len(found))
	for id, o := range found {
		read[id] = query.Origin{Eval: o.eval, Revision: query.PickRevision(o.flake, o.exprName, o.inputs),
			Repo: query.PickRepo(o.flake, o.exprName, o.inputs)}
	}
	s.originCache.store(read)
	return read, nil
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

// flights are the origin lookups under way, by build id, so that no build's origin is
// read twice at once.
type flights struct {
	mu sync.Mutex
	m  map[int64]*flight
}

// flight is one lookup under way; done is closed when it has ended (its results cached).
type flight struct{ done chan struct{} }

// claim takes over the ids nobody is looking up (mine, in a new flight f) and returns the
// flights already under way for the others.
func (fs *flights) claim(ids []int64) (mine []int64, f *flight, others []*flight) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	f = &flight{done: make(chan struct{})}
	for _, id := range ids {
		if o, ok := fs.m[id]; ok {
			if !slices.Contains(others, o) {
				others = append(others, o)
			}
			continue
		}
		if fs.m == nil {
			fs.m = map[int64]*flight{}
		}
		fs.m[id] = f
		mine = append(mine, id)
	}
	return mine, f, others
}

// land ends flight f, which claimed ids.
func (fs *flights) land(ids []int64, f *flight) {
	fs.mu.Lock()
	for _, id := range ids {
		if fs.m[id] == f {
			delete(fs.m, id)
		}
	}
	fs.mu.Unlock()
	close(f.done)
}

// without returns the ids not in drop (which lists some of them in the same order).
func without(ids, drop []int64) []int64 {
	if len(drop) == 0 {
		return ids
	}
	out := make([]int64, 0, len(ids)-len(drop))
	j := 0
	for _, id := range ids {
		if j < len(drop) && drop[j] == id {
			j++
			continue
		}
		out = append(out, id)
	}
	return out
}
