package index

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/record"
)

// WriteBuild stores one recorded build in one transaction and returns its id. It is
// idempotent by r.Key(): a retry, or another runner recording the same job and output,
// keeps the one build and gets its id. Product contents are stored once per SHA-256
// (contents over MaxArtifactBytes, or nil ones, leave only the product's hash). A build
// named by its derivation that is a job of an imported evaluation takes that job's name,
// and a build with a commit joins the jobset's evaluation of that commit, made implicitly
// (at the build's time) when none was imported.
func (d *DB) WriteBuild(ctx context.Context, r record.Record) (int64, error) {
	if err := r.Validate(); err != nil {
		return 0, fmt.Errorf("the build cannot be recorded: %w", err)
	}
	prods, blobs, err := d.products(r.Products)
	if err != nil {
		return 0, err
	}
	key := r.Key()
	var id int64
	err = d.write(ctx, fmt.Sprintf("recording build %s of %s", r.MainOutput(), r.Job), false, func(tx pgx.Tx) error {
		id = 0
		if err := tx.QueryRow(ctx, `SELECT id FROM nixci.builds WHERE key = $1`, key).Scan(&id); !errors.Is(err, pgx.ErrNoRows) {
			return err // recorded before (or a failure)
		}
		n, err := resolveName(ctx, tx, r)
		if err != nil {
			return err
		}
		err = tx.QueryRow(ctx, `INSERT INTO nixci.builds (key, project, jobset, job, named_by, drv_path, nix_name, system,
			commit, status, time, host, eval_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
			ON CONFLICT (key) DO NOTHING RETURNING id`,
			key, n.project, n.jobset, n.job, n.namedBy, r.DrvPath, r.NixName, r.System, n.commit, r.Status, r.Time.UTC(),
			r.Host, n.eval).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) { // another runner recorded it meanwhile
			return tx.QueryRow(ctx, `SELECT id FROM nixci.builds WHERE key = $1`, key).Scan(&id)
		}
		if err != nil {
			return err
		}
		return writeParts(ctx, tx, id, n, r, prods, blobs)
	})
	return id, err
}

// product is a product row as stored; blob a content to keep.
type product struct {
	name, path, sha string // sha "" when unknown
	size            int64
}

type blob struct {
	sha  string
	data []byte
}

// products checks the contents against their hashes and splits them off the rows,
// sorted by hash (the order contents rows are locked in, so writers cannot deadlock).
func (d *DB) products(in []record.Artifact) ([]product, []blob, error) {
	rows := make([]product, len(in))
	var blobs []blob
	for i, a := range in {
		p := product{name: a.Name, path: a.Path, sha: strings.ToLower(a.SHA256), size: a.Size}
		if a.Content != nil {
			sum := sha256.Sum256(a.Content)
			sha := hex.EncodeToString(sum[:])
			if p.sha != "" && p.sha != sha {
				return nil, nil, fmt.Errorf("artifact %s: its content does not match its SHA-256 %s", a.Name, a.SHA256)
			}
			p.sha, p.size = sha, int64(len(a.Content))
			if p.size <= d.maxBytes && !slices.ContainsFunc(blobs, func(b blob) bool { return b.sha == sha }) {
				blobs = append(blobs, blob{sha: sha, data: a.Content})
			}
		}
		rows[i] = p
	}
	slices.SortFunc(blobs, func(a, b blob) int { return strings.Compare(a.sha, b.sha) })
	return rows, blobs, nil
}

// writeParts stores a new build's outputs, products, contents and metrics in one round trip.
func writeParts(ctx context.Context, tx pgx.Tx, id int64, n name, r record.Record, prods []product, blobs []blob) error {
	b := &pgx.Batch{}
	if len(r.Outputs) > 0 {
		names, paths := make([]string, 0, len(r.Outputs)), make([]string, 0, len(r.Outputs))
		for _, o := range r.Outputs {
			if !slices.Contains(names, o.Name) {
				names, paths = append(names, o.Name), append(paths, o.Path)
			}
		}
		b.Queue(`INSERT INTO nixci.outputs (build_id, name, path) SELECT $1, * FROM unnest($2::text[], $3::text[])`, id, names, paths)
	}
	if len(prods) > 0 {
		nr, names, paths, sizes, shas := make([]int32, len(prods)), make([]string, len(prods)), make([]string, len(prods)),
			make([]int64, len(prods)), make([]*string, len(prods))
		for i, p := range prods {
			nr[i], names[i], paths[i], sizes[i] = int32(i), p.name, p.path, p.size
			if p.sha != "" {
				shas[i] = &prods[i].sha
			}
		}
		b.Queue(`INSERT INTO nixci.products (build_id, nr, name, path, size, sha256)
			SELECT $1, * FROM unnest($2::int[], $3::text[], $4::text[], $5::bigint[], $6::text[])`, id, nr, names, paths, sizes, shas)
	}
	if len(blobs) > 0 {
		shas, data := make([]string, len(blobs)), make([][]byte, len(blobs))
		for i, bl := range blobs {
			shas[i], data[i] = bl.sha, bl.data
		}
		b.Queue(`INSERT INTO nixci.contents (sha256, data) SELECT * FROM unnest($1::text[], $2::bytea[]) ON CONFLICT DO NOTHING`,
			shas, data)
	}
	if len(r.Metrics) > 0 {
		var names, units []string
		var values []float64
		for _, m := range r.Metrics {
			if !slices.Contains(names, m.Name) {
				names, values, units = append(names, m.Name), append(values, float64(m.Value)), append(units, m.Unit)
			}
		}
		b.Queue(`INSERT INTO nixci.metrics (build_id, project, jobset, job, time, name, value, unit)
			SELECT $1, $2, $3, $4, $5, * FROM unnest($6::text[], $7::float8[], $8::text[])`,
			id, n.project, n.jobset, n.job, r.Time.UTC(), names, values, units)
	}
	if b.Len() == 0 {
		return nil
	}
	return tx.SendBatch(ctx, b).Close()
}
