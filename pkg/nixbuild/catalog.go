package nixbuild

import (
	"context"
	"slices"
	"time"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

var _ query.Catalog = (*Source)(nil)

// catalogBuilds is how many recent builds the job picker looks at.
const catalogBuilds = 500

// Projects is empty: nixbuild.net has no projects; jobs are derivation names.
func (s *Source) Projects(context.Context) ([]query.Item, error) { return []query.Item{}, nil }

// Jobsets is empty: nixbuild.net has no jobsets.
func (s *Source) Jobsets(context.Context, string) ([]query.Item, error) { return []query.Item{}, nil }

// JobNames offers the derivation names of the account's newest builds (of the last 30
// days, at most catalogBuilds of them), most recently built first.
func (s *Source) JobNames(ctx context.Context, _, _ string) ([]query.Item, error) {
	now := time.Now()
	p, err := s.list(ctx, query.JobRef{Job: "*"}, query.Window{From: now.Add(-30 * 24 * time.Hour), To: now.Truncate(time.Minute)},
		catalogBuilds)
	if err != nil {
		return nil, err
	}
	items := []query.Item{}
	for _, b := range p.builds {
		if b.NixName != "" && !slices.ContainsFunc(items, func(it query.Item) bool { return it.Value == b.NixName }) {
			items = append(items, query.Item{Value: b.NixName, Description: b.System})
		}
	}
	return items, nil
}

// ProductNames is empty: nixbuild.net serves no build products.
func (s *Source) ProductNames(context.Context, query.JobRef) ([]query.Item, error) {
	return []query.Item{}, nil
}
