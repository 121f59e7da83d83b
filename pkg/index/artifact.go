package index

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/jackc/pgx/v5"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

// artifactsSQL picks each build's product by name, else by a path ending in /product (the
// first recorded wins), with its content when that is kept and at most $4 bytes.
// Parameters: build ids, product name, path suffix pattern, byte limit.
const artifactsSQL = `SELECT DISTINCT ON (p.build_id) p.build_id, p.name, p.size, c.sha256 IS NOT NULL,
	octet_length(c.data), CASE WHEN octet_length(c.data) <= $4 THEN c.data END
FROM nixci.products p LEFT JOIN nixci.contents c ON c.sha256 = p.sha256
WHERE p.build_id = ANY($1) AND (p.name = $2 OR p.path LIKE $3)
ORDER BY p.build_id, p.name = $2 DESC, p.nr`

// smallBytes is the largest content a batch carries; a larger one is read on its own, so
// that a batch holds at most batchSize x smallBytes.
const smallBytes = 32 << 10

// artifactRow is what artifactsSQL says of one build; found is false without a row.
type artifactRow struct {
	found  bool
	name   string
	size   int64
	kept   bool
	length int64
	body   []byte // nil when not kept or over the statement's byte limit
}

// ArtifactURL implements query.Source: the statement Artifact reads with, for the build
// and those listed after it.
func (s *Source) ArtifactURL(b query.Build, product string) string {
	ids := fmt.Sprintf("{up to %d listed builds, from %d on}", batchSize, b.ID)
	return shown(artifactsSQL, ids, product, pathPattern(product), int64(min(smallBytes, s.maxBytes)))
}

func pathPattern(product string) string { return "%/" + likePattern(product) }

// Artifact implements query.Source: the kept copy of the build's product named product, or
// whose path ends in /product. It is read with the next builds of the listing in one
// statement (see ahead). A product not recorded, or recorded without its content (only
// its hash), wraps query.ErrNoArtifact; one over MaxArtifactBytes is refused.
func (s *Source) Artifact(ctx context.Context, b query.Build, product string) ([]byte, error) {
	f, ids, batch := s.ahead.claim(b.ID, product)
	if ids != nil {
		rows, err := s.readArtifacts(ctx, ids, product, min(smallBytes, s.maxBytes))
		s.ahead.finish(b.ID, product, batch, rows, err)
	}
	select {
	case <-f.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	row, err := f.row, f.err
	// read alone what is too large for a batch, or what another query's cancelled batch missed
	if (err == nil && row.kept && row.body == nil && row.length <= s.maxBytes) ||
		(err != nil && ctx.Err() == nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded))) {
		var rows map[int64]artifactRow
		rows, err = s.readArtifacts(ctx, []int64{b.ID}, product, s.maxBytes)
		row = rows[b.ID]
	}
	if err != nil {
		return nil, err
	}
	return s.content(b.ID, product, row)
}

// content turns what the index holds of a product into its bytes or the error saying why not.
func (s *Source) content(id int64, product string, row artifactRow) ([]byte, error) {
	switch {
	case !row.found:
		return nil, fmt.Errorf("build %d has no product %s: %w", id, product, query.ErrNoArtifact)
	case !row.kept:
		return nil, fmt.Errorf("build %d's %s (%d bytes) was recorded without its content (only its hash, or it was larger "+
			"than the recorder's limit): %w", id, row.name, row.size, query.ErrNoArtifact)
	case row.length > s.maxBytes:
		return nil, &query.UpstreamError{HTTPStatus: http.StatusRequestEntityTooLarge, Msg: fmt.Sprintf(
			"%s of build %d is %d bytes, over the datasource's limit of %d bytes (maxArtifactBytes): "+
				"raise the limit or pick a smaller product", row.name, id, row.length, s.maxBytes)}
	case row.body == nil:
		return []byte{}, nil
	}
	return row.body, nil
}

// readArtifacts runs artifactsSQL for the builds, contents up to limit bytes.
func (s *Source) readArtifacts(ctx context.Context, ids []int64, product string, limit int64) (map[int64]artifactRow, error) {
	s.asked.Add(int64(len(ids)))
	out := make(map[int64]artifactRow, len(ids))
	what := fmt.Sprintf("reading %s of build %d", product, ids[0])
	if len(ids) > 1 {
		what = fmt.Sprintf("reading %s of %d builds", product, len(ids))
	}
	err := s.read(ctx, what, func(ctx context.Context) error {
		return s.rows(ctx, artifactsSQL, []any{ids, product, pathPattern(product), limit}, func(r pgx.Rows) error {
			var id int64
			var length *int64
			row := artifactRow{found: true}
			err := r.Scan(&id, &row.name, &row.size, &row.kept, &length, &row.body)
			if length != nil {
				row.length = *length
			}
			out[id] = row
			return err
		})
	})
	return out, err
}
