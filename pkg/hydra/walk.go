package hydra

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

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

// evalPage reads one page of evaluations. Its bytes are kept for the listing TTL, so the
// walks of other jobs of the jobset (each panel walks in its turn) read it from memory
// instead of asking Hydra again.
func (s *Source) evalPage(ctx context.Context, pg *evalPage) error {
	v, err := s.cache.Load(ctx, "evalpage\x00"+pg.path, s.listTTL, func(ctx context.Context) (any, bool, error) {
		body, _, err := s.c.get(ctx, pg.path, true, maxJSONBytes)
		return body, err == nil, err
	})
	if err != nil {
		return err
	}
	body := v.([]byte)
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
