package hydradb

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

// productsSQL reads a build's products and outputs in one round trip (kind 0 products by
// productnr, kind 1 outputs). %s: the store-dir columns of the schema, or NULLs.
const productsSQL = `SELECT 0, productnr, name, path, filesize IS NULL, %s FROM buildproducts WHERE build = $1
UNION ALL
SELECT 1, 0, name, path, true, %s FROM buildoutputs WHERE build = $1
ORDER BY 1, 2`

// product is one build product, its path made absolute.
type product struct {
	nr   int
	name string
	path string // the file or directory in the store, "" when unknown
	dir  bool   // no file size: a directory (or an output as a whole)
}

// ArtifactURL implements query.Source: where Artifact reads a product from.
func (s *Source) ArtifactURL(b query.Build, product string) string {
	from := "the local store " + s.opts.StoreDir
	if s.opts.HydraURL != "" {
		from += fmt.Sprintf(", else GET %s/build/%d/download/<productnr>/%s", s.opts.HydraURL, b.ID, escapePath(product))
	}
	return fmt.Sprintf("buildproducts of build %d, then %s from %s", b.ID, product, from)
}

// Artifact reads one product of a build. The product is found in BuildProducts by name,
// by a path suffix inside the output, or as a file inside a directory product; its file is
// read from the local store when it is there, otherwise downloaded from Hydra.
func (s *Source) Artifact(ctx context.Context, b query.Build, name string) ([]byte, error) {
	var products, outputs []product
	err := s.read(ctx, fmt.Sprintf("reading the products of build %d", b.ID), func(ctx context.Context, sc *schema) error {
		products, outputs = products[:0], outputs[:0]
		q := fmt.Sprintf(productsSQL, sc.storeCols("subpath"), sc.storeCols("NULL::text"))
		return s.rows(ctx, q, []any{b.ID}, func(r rowScanner) error {
			var kind, nr int
			var pname, path, storeDir, sub *string
			var p product
			err := r.Scan(&kind, &nr, &pname, &path, &p.dir, &storeDir, &sub)
			p.nr, p.name, p.path = nr, deref(pname), fullPath(deref(path), deref(storeDir), deref(sub))
			if kind == 0 {
				products = append(products, p)
			} else {
				outputs = append(outputs, p)
			}
			return err
		})
	})
	if err != nil {
		return nil, err
	}
	p, rel, err := resolve(b.ID, products, outputs, name)
	if err != nil {
		return nil, err
	}
	return s.fetch(ctx, b.ID, p, rel, name)
}

// fullPath makes a stored path absolute: since the store-dir conversion (schema 89) a row
// holds the store path's basename, its store dir and, for products, the path inside it;
// rows not converted yet hold the full path.
func fullPath(path, storeDir, sub string) string {
	if path == "" || strings.HasPrefix(path, "/") || storeDir == "" {
		return path
	}
	full := strings.TrimRight(storeDir, "/") + "/" + path
	if sub = strings.Trim(sub, "/"); sub != "" {
		full += "/" + sub
	}
	return full
}

// resolve finds the product named like this and, for a file inside a directory product,
// the path below it. It answers as Hydra's download routes would.
func resolve(id int64, products, outputs []product, name string) (product, string, error) {
	for _, p := range products {
		if p.name == name || (p.path != "" && strings.HasSuffix(p.path, "/"+name)) {
			return p, "", nil
		}
	}
	rel := strings.Trim(name, "/")
	for _, el := range strings.Split(rel, "/") {
		if !pathComp.MatchString(el) {
			return product{}, "", query.Invalidf("product %q cannot be read: %q has characters Hydra refuses in download paths", name, el)
		}
	}
	for _, p := range products {
		if p.dir && inside(outputs, p.path) {
			return p, rel, nil
		}
	}
	return product{}, "", fmt.Errorf("build %d has no product %s: %w", id, name, query.ErrNoArtifact)
}

// pathComp is what Hydra accepts as one sub-path element of a download URL ($pathCompRE).
var pathComp = regexp.MustCompile(`^[A-Za-z0-9\-+._$][A-Za-z0-9\-+._$:]*$`)

// inside says whether a directory product is (inside) one of the build's outputs.
func inside(outputs []product, path string) bool {
	for _, o := range outputs {
		if o.path != "" && (path == o.path || strings.HasPrefix(path, o.path+"/")) {
			return true
		}
	}
	return len(outputs) == 0 && path != ""
}

// fetch reads the product's file (or rel inside a directory product): from the local
// store when it is there, else from Hydra's download route.
func (s *Source) fetch(ctx context.Context, id int64, p product, rel, name string) ([]byte, error) {
	file := p.path
	if rel != "" && file != "" {
		file += "/" + rel
	}
	if body, ok, err := s.readLocal(file); ok || err != nil {
		return body, err
	}
	if s.opts.HydraURL == "" {
		return nil, fmt.Errorf("%s of build %d is not in the local store %s and no Hydra URL is set to download it from: %w",
			name, id, s.opts.StoreDir, query.ErrNoArtifact)
	}
	path := fmt.Sprintf("/build/%d/download/%d", id, p.nr)
	if p.name != "" {
		path += "/" + url.PathEscape(p.name) // only for reading: Hydra skips this element of a named product
	}
	if rel != "" {
		path += "/" + escapePath(rel)
	}
	return s.download(ctx, path)
}

func escapePath(p string) string {
	parts := strings.Split(p, "/")
	for i, x := range parts {
		parts[i] = url.PathEscape(x)
	}
	return strings.Join(parts, "/")
}
