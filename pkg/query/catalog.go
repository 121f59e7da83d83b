package query

import "context"

// Item is one choice offered to the query editor.
type Item struct {
	Value       string `json:"value"`
	Label       string `json:"label,omitempty"`
	Description string `json:"description,omitempty"`
}

// Catalog lists what the query editor offers in its pickers. Sources that can, implement it.
type Catalog interface {
	Projects(ctx context.Context) ([]Item, error)
	Jobsets(ctx context.Context, project string) ([]Item, error)
	JobNames(ctx context.Context, project, jobset string) ([]Item, error)
	ProductNames(ctx context.Context, job JobRef) ([]Item, error)
}
