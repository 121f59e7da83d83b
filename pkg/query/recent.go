package query

import (
	"context"
	"strconv"
	"time"
)

// RecentLimit is how many builds the builds list offers to pickers and variables.
const RecentLimit = 50

// RecentBuilds lists a job's newest builds for the editor and template variables (a compare
// query's base and target): the id as the value, labelled with the short commit, and the
// state and time as the description.
func (e *Engine) RecentBuilds(ctx context.Context, job JobRef) ([]Item, error) {
	l, err := e.src.Builds(ctx, job, Window{To: time.Now(), Limit: RecentLimit})
	if err != nil {
		return nil, err
	}
	origins, err := e.src.Origins(ctx, job, l.Builds)
	if err != nil && ctx.Err() != nil {
		return nil, err
	}
	// commits are a help here, not the answer: a failed lookup leaves them out
	items := make([]Item, len(l.Builds))
	for i, b := range l.Builds {
		id := strconv.FormatInt(b.ID, 10)
		label := id
		if rev := origins[b.ID].Revision; rev != "" {
			label += " (" + rev[:min(len(rev), 7)] + ")"
		}
		items[i] = Item{Value: id, Label: label,
			Description: StatusText(b) + " · " + b.Timestamp.UTC().Format("2006-01-02 15:04 UTC")}
	}
	return items, nil
}
