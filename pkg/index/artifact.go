package index

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/jackc/pgx/v5"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

// artifactSQL picks a build's product by name, else by a path ending in /product (the
// first recorded wins), with its content when that is kept and not over the limit.
// Parameters: build id, product name, path suffix pattern, byte limit.
const artifactSQL = `SELECT p.name, p.size, c.sha256 IS NOT NULL, octet_length(c.data),
	CASE WHEN octet_length(c.data) <= $4 THEN c.data END
FROM nixci.products p LEFT JOIN nixci.contents c ON c.sha256 = p.sha256
WHERE p.build_id = $1 AND (p.name = $2 OR p.path LIKE $3)
ORDER BY p.name = $2 DESC, p.nr LIMIT 1`

// ArtifactURL implements query.Source: where Artifact reads from.
func (s *Source) ArtifactURL(b query.Build, product string) string {
	return shown(artifactSQL, b.ID, product, "%/"+likePattern(product), s.maxBytes)
}

// Artifact implements query.Source: the kept copy of the build's product named product, or
// whose path ends in /product. A product not recorded, or recorded without its content
// (only its hash), wraps query.ErrNoArtifact; one over MaxArtifactBytes is refused.
func (s *Source) Artifact(ctx context.Context, b query.Build, product string) ([]byte, error) {
	var (
		name     string
		size     int64
		kept     bool
		length   *int64
		body     []byte
		recorded = true
	)
	err := s.read(ctx, fmt.Sprintf("reading %s of build %d", product, b.ID), func(ctx context.Context) error {
		err := s.pool.QueryRow(ctx, artifactSQL, b.ID, product, "%/"+likePattern(product), s.maxBytes).
			Scan(&name, &size, &kept, &length, &body)
		if errors.Is(err, pgx.ErrNoRows) {
			recorded = false
			return nil
		}
		return err
	})
	switch {
	case err != nil:
		return nil, err
	case !recorded:
		return nil, fmt.Errorf("build %d has no product %s: %w", b.ID, product, query.ErrNoArtifact)
	case !kept:
		return nil, fmt.Errorf("build %d's %s (%d bytes) was recorded without its content (only its hash, or it was larger "+
			"than the recorder's limit): %w", b.ID, name, size, query.ErrNoArtifact)
	case body == nil && length != nil:
		return nil, &query.UpstreamError{HTTPStatus: http.StatusRequestEntityTooLarge, Msg: fmt.Sprintf(
			"%s of build %d is %d bytes, over the datasource's limit of %d bytes (maxArtifactBytes): "+
				"raise the limit or pick a smaller product", name, b.ID, *length, s.maxBytes)}
	}
	if body == nil {
		body = []byte{}
	}
	return body, nil
}
