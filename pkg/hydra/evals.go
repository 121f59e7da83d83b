package hydra

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

// maxEvalPages bounds a walk through a jobset's evaluations (20 per page).
const maxEvalPages = 500

// evalInfo is what is kept of an evaluation: never its member list.
type evalInfo struct {
	query.Eval
	nixExprInput string
}

func (e *evalInfo) Size() int64 {
	n := int64(160 + len(e.Revision) + len(e.Flake))
	for _, in := range e.Inputs {
		n += int64(len(in.Name)+len(in.Type)+len(in.URI)+len(in.Revision)+len(in.Value)) + 80
	}
	return n
}

// Origins finds the evaluation that introduced each build (the oldest eval listing it) and
// its commit, by walking the jobset's evaluations back to the oldest build's queue time.
// Results are cached for good: a build's introducing eval never changes.
func (s *Source) Origins(ctx context.Context, job query.JobRef, builds []query.Build) (map[int64]query.Origin, error) {
	release, err := s.turn(ctx, job.Project, job.Jobset)
	if err != nil {
		return nil, err
	}
	defer release()
	out := make(map[int64]query.Origin, len(builds))
	missing := map[int64]time.Time{} // build id: queue time
	var oldest time.Time
	cached := make([]*origin, len(builds))
	s.cache.GetBatch(len(builds), func(i int, buf []byte) []byte {
		return strconv.AppendInt(append(buf, originPrefix...), builds[i].ID, 10)
	}, func(i int, v any) { cached[i], _ = v.(*origin) })
	for i, b := range builds {
		if o := cached[i]; o != nil {
			if o.Eval != 0 {
				out[b.ID] = o.Origin
			}
			continue
		}
		missing[b.ID] = b.Timestamp
		if oldest.IsZero() || b.Timestamp.Before(oldest) {
			oldest = b.Timestamp
		}
	}
	if len(missing) == 0 {
		return out, nil
	}
	if v, ok := s.cache.Get(heavyKey(job.Project, job.Jobset)); ok {
		return out, v.(*HeavyJobsetError)
	}
	found := map[int64]*evalInfo{}
	var inputName string
	var inputErr error
	var inputOnce bool
	var newest time.Time // the newest evaluation the walk saw
	_, err = s.walkEvals(ctx, job.Project, job.Jobset, walkScope{Until: oldest}, func(ev apiEval) bool {
		t := unix(ev.Timestamp)
		if !oldest.IsZero() && t.Before(oldest) {
			return false // older than every build we look for: none can be in it
		}
		if t.After(newest) {
			newest = t
		}
		var info *evalInfo
		for _, id := range ev.Builds {
			if _, ok := missing[id]; ok {
				if info == nil {
					info = s.remember(ev)
				}
				found[id] = info // walking newest to oldest: the last seen is the introducing eval
			}
		}
		return true
	})
	for id, queued := range missing {
		o := &origin{}
		if info, ok := found[id]; ok {
			if info.Revision == "" && !inputOnce {
				inputOnce = true
				inputName, inputErr = s.nixExprInput(ctx, job.Project, job.Jobset)
			}
			o.Origin = query.Origin{Eval: info.ID, Revision: pickRevision(info, inputName),
				Repo: query.PickRepo(info.Flake, inputName, info.Inputs)}
			out[id] = o.Origin
		}
		var heavy *HeavyJobsetError
		// A build queued after the newest evaluation seen may belong to one the (cached)
		// first page does not list yet: its absence is not remembered.
		known := o.Eval != 0 || (err == nil && queued.Before(newest))
		if (err == nil || errors.As(err, &heavy)) && inputErr == nil && known {
			s.cache.Set(originKey(id), o, 0)
		}
	}
	if err == nil {
		err = inputErr
	}
	return out, err
}

type origin struct{ query.Origin }

func (o *origin) Size() int64 { return int64(64 + len(o.Revision)) } // Repo shares the cached eval's string

// originPrefix and the build id make a build's origin key; Origins builds the same keys
// in one reused buffer.
const originPrefix = "origin\x00"

func originKey(id int64) string { return originPrefix + strconv.FormatInt(id, 10) }

// remember converts and caches an eval without its member list.
func (s *Source) remember(ev apiEval) *evalInfo {
	key := fmt.Sprintf("eval\x00%d", ev.ID)
	if v, ok := s.cache.Get(key); ok {
		return v.(*evalInfo)
	}
	info := &evalInfo{Eval: query.Eval{ID: ev.ID, Timestamp: unix(ev.Timestamp), NrBuilds: len(ev.Builds),
		CheckoutTime: ev.CheckoutTime.V, EvalTime: ev.EvalTime.V}}
	if ev.Flake != nil {
		info.Flake = *ev.Flake
	}
	names := make([]string, 0, len(ev.Inputs))
	for n := range ev.Inputs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		in := ev.Inputs[n]
		info.Inputs = append(info.Inputs, query.EvalInput{Name: n, Type: in.Type, URI: in.URI, Revision: in.Revision, Value: in.Value})
	}
	info.Revision = pickRevision(info, "")
	s.cache.Set(key, info, 0)
	return info
}

// pickRevision chooses an eval's commit (query.PickRevision), else the one already known.
func pickRevision(e *evalInfo, nixExprInput string) string {
	if r := query.PickRevision(e.Flake, nixExprInput, e.Inputs); r != "" {
		return r
	}
	return e.Revision
}

// nixExprInput asks the jobset which input holds its Nix expression (cached for an hour).
func (s *Source) nixExprInput(ctx context.Context, project, jobset string) (string, error) {
	p := jobsetPath(project, jobset)
	v, err := s.cache.Load(ctx, "jobset\x00"+p, time.Hour, func(ctx context.Context) (any, bool, error) {
		var js apiJobset
		err := s.c.GetJSON(ctx, p, &js)
		return js.NixExprInput, err == nil, err
	})
	if err != nil {
		return "", err
	}
	return v.(string), nil
}

// Evals implements query.EvalSource: the jobset's evaluations inside the window, newest first.
func (s *Source) Evals(ctx context.Context, project, jobset string, w query.Window) ([]query.Eval, []string, error) {
	release, err := s.turn(ctx, project, jobset)
	if err != nil {
		return nil, nil, err
	}
	defer release()
	var out []query.Eval
	var infos []*evalInfo
	reqs, err := s.walkEvals(ctx, project, jobset, walkScope{Until: w.From, Evals: w.Limit + 1}, func(ev apiEval) bool {
		t := unix(ev.Timestamp)
		if t.Before(w.From) {
			return false
		}
		if !t.After(w.To) {
			infos = append(infos, s.remember(ev))
		}
		return len(infos) <= w.Limit
	})
	if err != nil && !query.IsPartial(err) {
		return nil, reqs, err
	}
	partial := err
	var input string
	for _, in := range infos {
		if in.Revision == "" && len(in.Inputs) > 1 && input == "" {
			var ierr error
			if input, ierr = s.nixExprInput(ctx, project, jobset); ierr != nil {
				return nil, reqs, ierr
			}
		}
		ev := in.Eval
		ev.Revision = pickRevision(in, input)
		out = append(out, ev)
	}
	return out, reqs, partial
}
