package hydra

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
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

// heavyPageBytes marks a jobset whose evaluations are too large to walk: one page of 20
// evals of nixpkgs lists millions of build ids (~15 MB). Such a jobset is walked no further
// than its first page, and for heavyTTL its builds' commits are not looked up again.
const (
	heavyPageBytes = 4 << 20
	heavyTTL       = time.Hour
)

// HeavyJobsetError says a jobset's evaluation pages are too large to walk through the API.
type HeavyJobsetError struct {
	Jobset string
	Bytes  int
}

func (e *HeavyJobsetError) Error() string {
	return fmt.Sprintf("the evaluations of %s list too many builds to walk through Hydra's HTTP API "+
		"(%d MiB per page of 20); only its newest page was read", e.Jobset, max(1, e.Bytes>>20))
}

// Partial marks the error as one that leaves the answer incomplete but usable.
func (e *HeavyJobsetError) Partial() bool { return true }

func heavyKey(project, jobset string) string { return "heavy\x00" + project + "\x00" + jobset }

// turn waits until no other walk of the jobset's evaluations runs, so that concurrent
// queries of one job find what the first walk cached instead of walking again.
func (s *Source) turn(ctx context.Context, project, jobset string) (release func(), err error) {
	t, _ := s.walks.LoadOrStore(project+"\x00"+jobset, make(chan struct{}, 1))
	ch := t.(chan struct{})
	select {
	case ch <- struct{}{}:
		return func() { <-ch }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// walkScope says how far a walk must go: back to the eval queued at Until, and no more
// than Evals evaluations (0: no count bound).
type walkScope struct {
	Until time.Time
	Evals int
}

// pagesNeeded estimates from the first page how many pages the scope spans, from the pace
// of evaluations on that page and the count bound.
func (sc walkScope) pagesNeeded(first apiEvalPage) int {
	need := maxEvalPages
	if sc.Evals > 0 {
		need = sc.Evals/evalsPerPage + 1
	}
	if n := len(first.Evals); n > 1 && !sc.Until.IsZero() {
		newest, oldest := first.Evals[0].Timestamp.V, first.Evals[n-1].Timestamp.V
		if span := newest - oldest; span > 0 {
			evals := float64(newest-sc.Until.Unix()) * float64(n-1) / float64(span)
			need = min(need, int(evals)/evalsPerPage+2)
		}
	}
	return max(need, 1)
}

// evalsPerPage is Hydra's fixed page size for /jobset/P/J/evals.
const evalsPerPage = 20

// walkEvals reads /jobset/P/J/evals newest first, calling visit for each eval until
// visit returns false, the pages end, maxEvalPages were read, or a page is heavier than
// heavyPageBytes. After the first page (which names the last) the pages the scope is
// estimated to span are fetched maxConcurrency at a time, then one at a time.
// Callers hold the jobset's turn.
func (s *Source) walkEvals(ctx context.Context, project, jobset string, scope walkScope, visit func(ev apiEval) bool) ([]string, error) {
	var reqs []string
	last, need := 1, 1
	for next := 1; next <= min(last, maxEvalPages); {
		batch := min(cap(s.c.sem), max(1, need-next+1), min(last, maxEvalPages)-next+1)
		pages := make([]evalPage, batch)
		for i := range pages {
			pages[i].path = fmt.Sprintf("%s/evals?page=%d", jobsetPath(project, jobset), next+i)
			reqs = append(reqs, "GET "+s.c.URL(pages[i].path))
		}
		if err := s.each(ctx, batch, func(ctx context.Context, i int) error { return s.evalPage(ctx, &pages[i]) }); err != nil {
			return reqs, err
		}
		for _, pg := range pages {
			for _, ev := range pg.Evals {
				if !visit(ev) {
					return reqs, nil
				}
			}
			if pg.bytes > heavyPageBytes && pg.Next != "" {
				heavy := &HeavyJobsetError{Jobset: project + ":" + jobset, Bytes: pg.bytes}
				s.cache.Set(heavyKey(project, jobset), heavy, heavyTTL)
				return reqs, heavy
			}
			if pg.Next == "" || len(pg.Evals) == 0 {
				return reqs, nil
			}
		}
		if next == 1 {
			last, need = lastPage(pages[0].Last), scope.pagesNeeded(pages[0].apiEvalPage)
		}
		next += batch
	}
	if last > maxEvalPages {
		return reqs, fmt.Errorf("stopped after %d pages of evaluations", maxEvalPages)
	}
	return reqs, nil
}

// evalPage is one page of a jobset's evaluations and its size.
type evalPage struct {
	apiEvalPage
	path  string
	bytes int
}

func (s *Source) evalPage(ctx context.Context, pg *evalPage) error {
	body, _, err := s.c.get(ctx, pg.path, true, maxJSONBytes)
	if err != nil {
		return err
	}
	pg.bytes = len(body)
	return decodeJSON(s.c.URL(pg.path), body, &pg.apiEvalPage)
}

// lastPage reads Hydra's "?page=K" link; without one there is a single page.
func lastPage(link string) int {
	_, n, ok := strings.Cut(link, "page=")
	if !ok {
		return 1
	}
	k, err := strconv.Atoi(strings.TrimRight(n, "&#"))
	if err != nil || k < 1 {
		return 1
	}
	return k
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
	out := map[int64]query.Origin{}
	missing := map[int64]bool{}
	var oldest time.Time
	for _, b := range builds {
		if v, ok := s.cache.Get(originKey(b.ID)); ok {
			if o := v.(*origin); o.Eval != 0 {
				out[b.ID] = o.Origin
			}
			continue
		}
		missing[b.ID] = true
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
	_, err = s.walkEvals(ctx, job.Project, job.Jobset, walkScope{Until: oldest}, func(ev apiEval) bool {
		if !oldest.IsZero() && unix(ev.Timestamp).Before(oldest) {
			return false // older than every build we look for: none can be in it
		}
		var info *evalInfo
		for _, id := range ev.Builds {
			if missing[id] {
				if info == nil {
					info = s.remember(ev)
				}
				found[id] = info // walking newest to oldest: the last seen is the introducing eval
			}
		}
		return true
	})
	for id := range missing {
		o := &origin{}
		if info, ok := found[id]; ok {
			if info.Revision == "" && !inputOnce {
				inputOnce = true
				inputName, inputErr = s.nixExprInput(ctx, job.Project, job.Jobset)
			}
			o.Origin = query.Origin{Eval: info.ID, Revision: pickRevision(info, inputName)}
			out[id] = o.Origin
		}
		var heavy *HeavyJobsetError
		if (err == nil || errors.As(err, &heavy)) && inputErr == nil && (o.Eval != 0 || err == nil) {
			s.cache.Set(originKey(id), o, 0)
		}
	}
	if err == nil {
		err = inputErr
	}
	return out, err
}

type origin struct{ query.Origin }

func (o *origin) Size() int64 { return int64(48 + len(o.Revision)) }

func originKey(id int64) string { return "origin\x00" + strconv.FormatInt(id, 10) }

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

var (
	flakeRevParam = regexp.MustCompile(`[?&]rev=([0-9a-fA-F]{7,64})`)
	flakeRevPath  = regexp.MustCompile(`^[a-z]+:[^?]*/([0-9a-fA-F]{40}|[0-9a-fA-F]{64})(?:[?#]|$)`)
)

// FlakeRevision takes the commit out of a locked flake reference such as
// github:owner/repo/<rev> or git+https://host/repo?ref=main&rev=<rev>.
func FlakeRevision(ref string) string {
	if m := flakeRevParam.FindStringSubmatch(ref); m != nil {
		return m[1]
	}
	if m := flakeRevPath.FindStringSubmatch(ref); m != nil {
		return m[1]
	}
	return ""
}

// pickRevision chooses an eval's commit: the flake's, else the input holding the Nix
// expression, else the only input with a revision, else the first by name.
func pickRevision(e *evalInfo, nixExprInput string) string {
	if e.Flake != "" {
		if r := FlakeRevision(e.Flake); r != "" {
			return r
		}
	}
	var withRev []query.EvalInput
	for _, in := range e.Inputs {
		if in.Revision == "" {
			continue
		}
		if in.Name == nixExprInput {
			return in.Revision
		}
		withRev = append(withRev, in)
	}
	if len(withRev) == 1 || (len(withRev) > 0 && nixExprInput != "") {
		return withRev[0].Revision
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
