package hydra

import (
	"context"
	"fmt"
	"slices"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

var _ query.ConstituentSource = (*Source)(nil)

// Constituents implements query.ConstituentSource with /build/ID/constituents. The list
// is kept for the listing TTL while anything in it may still change, and for good once the
// aggregate and every constituent have finished.
func (s *Source) Constituents(ctx context.Context, agg query.Build) ([]query.Build, []string, error) {
	p := fmt.Sprintf("/build/%d/constituents", agg.ID)
	reqs := []string{"GET " + s.c.URL(p)}
	settled := "constituents\x00settled\x00" + p
	if v, ok := s.cache.Get(settled); ok {
		return slices.Clone(v.(buildList)), reqs, nil
	}
	v, err := s.cache.Load(ctx, "constituents\x00"+p, s.listTTL, func(ctx context.Context) (any, bool, error) {
		var items []apiBuild
		if err := s.c.GetJSON(ctx, p, &items); err != nil {
			return nil, false, err
		}
		out := make(buildList, len(items))
		for i, it := range items {
			out[i] = toBuild(it, query.JobRef{Project: agg.Job.Project, Jobset: agg.Job.Jobset, Job: it.Job})
		}
		return out, true, nil
	})
	if err != nil {
		return nil, reqs, err
	}
	list := v.(buildList)
	if agg.Finished && !slices.ContainsFunc(list, func(b query.Build) bool { return !b.Finished }) {
		s.cache.Set(settled, list, 0)
	}
	return slices.Clone(list), reqs, nil
}
