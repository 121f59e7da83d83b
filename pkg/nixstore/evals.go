package nixstore

import (
	"cmp"
	"context"
	"fmt"
	"hash/fnv"
	"math"
	"path/filepath"
	"slices"
	"time"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/record"
)

// evalID is the stable id of an evaluation: FNV-1a 64 of its kind and key, cut to 63 bits,
// never 0. Imported evaluations are keyed by record.Eval.Key, the implicit evaluation of a
// commit by project, jobset and commit.
func evalID(kind, key string) int64 {
	h := fnv.New64a()
	h.Write([]byte(kind + "\x00" + key))
	return max(1, int64(h.Sum64()&math.MaxInt64))
}

// commitEvalID is the id of the implicit evaluation of a jobset's commit.
func commitEvalID(project, jobset, commit string) int64 {
	return evalID("commit", project+"\x00"+jobset+"\x00"+commit)
}

// Origins implements query.Source: a recorded build's commit, and the earliest imported
// evaluation listing its derivation (for a build not recorded: its deriver), else the
// imported evaluation of its jobset and commit, else the implicit evaluation of the commit.
func (s *Source) Origins(ctx context.Context, _ query.JobRef, builds []query.Build) (map[int64]query.Origin, error) {
	out := map[int64]query.Origin{}
	snap, err := s.x.get(ctx)
	if err != nil {
		return out, s.upstream(err)
	}
	j := snap.j
	j.mu.RLock()
	defer j.mu.RUnlock()
	if len(j.recs) == 0 && len(j.evals) == 0 {
		return out, nil
	}
	for _, b := range builds {
		it := snap.ep.lookup(b.ID)
		if it == nil {
			continue
		}
		var o query.Origin
		drv := it.deriver
		r := it.rec
		if r != nil {
			o.Revision = r.Commit
			if r.DrvPath != "" {
				drv = r.DrvPath
			}
		}
		if ev := j.drvEval[drv]; drv != "" && ev != nil {
			o.Eval = ev.id
			if o.Revision == "" {
				o.Revision = ev.commit
			}
		} else if r != nil && r.Commit != "" && r.Project != "" && r.Jobset != "" {
			if ev := j.byCommit[commitKey{r.Project, r.Jobset, r.Commit}]; ev != nil {
				o.Eval = ev.id
			} else {
				o.Eval = commitEvalID(r.Project, r.Jobset, r.Commit)
			}
		}
		if o != (query.Origin{}) {
			out[b.ID] = o
		}
	}
	return out, nil
}

// jobset lists the recorded builds of a jobset newest first, and fails when the journal
// knows nothing of it.
func (s *Source) jobset(ctx context.Context, project, jobset string) (*snapshot, []*item, error) {
	snap, err := s.x.get(ctx)
	if err != nil {
		return nil, nil, s.upstream(err)
	}
	if snap.jerr != nil {
		return nil, nil, query.Upstreamf(snap.jerr, "%v", snap.jerr)
	}
	items := s.x.lists.get(snap, matcher{job: "*", glob: true, project: project, jobset: jobset})
	snap.j.mu.RLock()
	known := snap.j.names[jobsetKey{project, jobset}] != nil
	snap.j.mu.RUnlock()
	if len(items) == 0 && !known {
		return nil, nil, query.Invalidf("the journal %s knows no build or evaluation of %s:%s: record builds with `nixci-artifacts record --project %s --jobset %s`, or check the names",
			filepath.Join(s.jdir, record.JournalFile), project, jobset, project, jobset)
	}
	return snap, items, nil
}

// Evals implements query.EvalSource: the jobset's imported evaluations, and one implicit
// evaluation per commit of its recorded builds that no imported evaluation has, at the
// time of the commit's first build; newest first, at most w.Limit+1.
func (s *Source) Evals(ctx context.Context, project, jobset string, w query.Window) ([]query.Eval, []string, error) {
	snap, items, err := s.jobset(ctx, project, jobset)
	if err != nil {
		return nil, nil, err
	}
	var out []query.Eval
	covered := map[string]bool{}
	j := snap.j
	j.mu.RLock()
	for _, ev := range j.evals {
		if ev.project == project && ev.jobset == jobset {
			covered[ev.commit] = true
			out = append(out, query.Eval{ID: ev.id, Timestamp: time.Unix(0, ev.at), Revision: ev.commit, NrBuilds: ev.nrBuilds})
		}
	}
	j.mu.RUnlock()
	implicit := map[string]int{}           // commit → index in out
	for i := len(items) - 1; i >= 0; i-- { // oldest first: the first build of a commit sets its time
		r := items[i].rec
		if r == nil || r.Commit == "" || covered[r.Commit] {
			continue
		}
		if k, ok := implicit[r.Commit]; ok {
			out[k].NrBuilds++
			continue
		}
		implicit[r.Commit] = len(out)
		out = append(out, query.Eval{ID: commitEvalID(project, jobset, r.Commit), Timestamp: items[i].time(),
			Revision: r.Commit, NrBuilds: 1})
	}
	out = slices.DeleteFunc(out, func(e query.Eval) bool { return !w.Contains(e.Timestamp) })
	slices.SortStableFunc(out, func(a, b query.Eval) int { return b.Timestamp.Compare(a.Timestamp) })
	if w.Limit > 0 && len(out) > w.Limit+1 {
		out = out[:w.Limit+1]
	}
	return out, []string{fmt.Sprintf("evaluations of %s:%s in the journal %s (imported ones, and one per commit of its recorded builds) in [%s, %s]",
		project, jobset, filepath.Join(s.jdir, record.JournalFile), w.From.UTC().Format(time.RFC3339), w.To.UTC().Format(time.RFC3339))}, nil
}

// Jobs implements query.JobSource: the latest recorded build of every job of the jobset.
// Recorded builds have all finished, so finishedOnly changes nothing.
func (s *Source) Jobs(ctx context.Context, project, jobset string, finishedOnly bool) ([]query.JobStatus, []string, error) {
	_, items, err := s.jobset(ctx, project, jobset)
	if err != nil {
		return nil, nil, err
	}
	seen := map[string]bool{}
	var out []query.JobStatus
	for _, it := range items { // newest first
		if r := it.rec; r != nil && !seen[r.Job] {
			if b := it.build(); b.Finished || !finishedOnly {
				seen[r.Job] = true
				out = append(out, query.JobStatus{Job: r.Job, Build: b})
			}
		}
	}
	slices.SortFunc(out, func(a, b query.JobStatus) int { return cmp.Compare(a.Job, b.Job) })
	return out, []string{fmt.Sprintf("the latest recorded build of each job of %s:%s in the journal %s",
		project, jobset, filepath.Join(s.jdir, record.JournalFile))}, nil
}

// Projects implements query.Catalog: the projects of the journal's builds and evaluations.
func (s *Source) Projects(ctx context.Context) ([]query.Item, error) {
	return s.catalog(ctx, func(k jobsetKey) string { return k.project })
}

// Jobsets implements query.Catalog: the project's jobsets in the journal.
func (s *Source) Jobsets(ctx context.Context, project string) ([]query.Item, error) {
	return s.catalog(ctx, func(k jobsetKey) string {
		if k.project != project {
			return ""
		}
		return k.jobset
	})
}

// catalog lists the distinct non-empty names pick gives of the journal's jobsets.
func (s *Source) catalog(ctx context.Context, pick func(jobsetKey) string) ([]query.Item, error) {
	out := []query.Item{}
	snap, err := s.x.get(ctx)
	if err != nil {
		return out, s.upstream(err)
	}
	seen := map[string]bool{}
	for _, k := range snap.j.jobsets() {
		if v := pick(k); v != "" && !seen[v] {
			seen[v] = true
			out = append(out, query.Item{Value: v})
		}
	}
	return out, nil
}

// JobNames implements query.Catalog: the jobs of recorded builds and imported evaluations
// of the project and jobset (empty: any), with the latest status when both are given.
// Valid paths are not listed: their job is a name or glob typed in.
func (s *Source) JobNames(ctx context.Context, project, jobset string) ([]query.Item, error) {
	out := []query.Item{}
	snap, err := s.x.get(ctx)
	if err != nil {
		return out, s.upstream(err)
	}
	status := map[string]string{}
	if project != "" && jobset != "" {
		if jobs, _, err := s.Jobs(ctx, project, jobset, false); err == nil {
			for _, it := range query.JobItems(jobs) {
				status[it.Value] = it.Description
			}
		}
	}
	var names []string
	j := snap.j
	j.mu.RLock()
	for k, jobs := range j.names {
		if (project == "" || k.project == project) && (jobset == "" || k.jobset == jobset) {
			for n := range jobs {
				names = append(names, n)
			}
		}
	}
	j.mu.RUnlock()
	slices.Sort(names)
	for _, n := range slices.Compact(names) {
		out = append(out, query.Item{Value: n, Description: status[n]})
	}
	return out, nil
}
