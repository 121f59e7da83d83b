package hydra

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

// pathComp is what Hydra accepts as one sub-path element of a download URL ($pathCompRE).
var pathComp = regexp.MustCompile(`^[A-Za-z0-9\-+._$][A-Za-z0-9\-+._$:]*$`)

// ArtifactURL implements query.Source: the URL a product named like this is read from.
func (s *Source) ArtifactURL(b query.Build, product string) string {
	return "GET " + s.c.URL(fmt.Sprintf("/build/%d/download/%s", b.ID, escapePath(product)))
}

func escapePath(p string) string {
	parts := strings.Split(p, "/")
	for i, x := range parts {
		parts[i] = url.PathEscape(x)
	}
	return strings.Join(parts, "/")
}

// Artifact downloads one product of a build. A plain file name is fetched in one request
// by product name (/build/ID/download/NAME). A path inside the output, or a name Hydra
// does not know, is resolved against the build's product list: a product whose path ends
// with it, or a file inside a directory product.
func (s *Source) Artifact(ctx context.Context, b query.Build, product string) ([]byte, error) {
	if !strings.Contains(product, "/") {
		body, err := s.download(ctx, fmt.Sprintf("/build/%d/download/%s", b.ID, url.PathEscape(product)))
		if !errors.Is(err, query.ErrNoArtifact) {
			return body, err
		}
	}
	ab, err := s.build(ctx, b.ID)
	if errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("build %d is gone from Hydra: %w", b.ID, query.ErrNoArtifact)
	}
	if err != nil {
		return nil, err
	}
	p, err := resolveProduct(ab, product)
	if err != nil {
		return nil, err
	}
	return s.download(ctx, fmt.Sprintf("/build/%d/download/%s", b.ID, p))
}

// download reads a file; Hydra's 404 (no such product, or garbage-collected) and 410 mean
// the build has no artifact any more.
func (s *Source) download(ctx context.Context, path string) ([]byte, error) {
	body, _, err := s.c.Download(ctx, path)
	if errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("%v: %w", err, query.ErrNoArtifact)
	}
	return body, err
}

// resolveProduct finds the download path (after /download/) of a product given by name or
// by its path inside the build output.
func resolveProduct(b *apiBuild, product string) (string, error) {
	nrs := make([]string, 0, len(b.BuildProducts))
	for nr := range b.BuildProducts {
		nrs = append(nrs, nr)
	}
	sort.Slice(nrs, func(i, j int) bool { return atoi(nrs[i]) < atoi(nrs[j]) })
	for _, nr := range nrs {
		p := b.BuildProducts[nr]
		if p.Name == product || (p.Path != "" && strings.HasSuffix(p.Path, "/"+product)) {
			return strings.TrimSuffix(nr+"/"+nameElem(p), "/"), nil
		}
	}
	rel := strings.Split(trimSlash(product), "/")
	for _, el := range rel {
		if !pathComp.MatchString(el) {
			return "", query.Invalidf("product %q cannot be read through Hydra: %q has characters Hydra refuses in download paths", product, el)
		}
	}
	for _, nr := range nrs {
		p := b.BuildProducts[nr]
		if p.FileSize.Set || !insideOutput(b, p.Path) {
			continue // a file, or not a directory of this build's outputs
		}
		prefix := nr
		if p.Name != "" {
			prefix += "/" + url.PathEscape(p.Name)
		}
		return prefix + "/" + strings.Join(rel, "/"), nil
	}
	return "", fmt.Errorf("build %d has no product %s: %w", b.ID, product, query.ErrNoArtifact)
}

func nameElem(p apiProduct) string {
	if p.Name == "" {
		return ""
	}
	return url.PathEscape(p.Name)
}

// insideOutput says whether a directory product is (inside) one of the build's outputs.
func insideOutput(b *apiBuild, path string) bool {
	for _, o := range b.BuildOutputs {
		if o.Path != "" && (path == o.Path || strings.HasPrefix(path, o.Path+"/")) {
			return true
		}
	}
	return len(b.BuildOutputs) == 0 && path != ""
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return 1 << 30
		}
		n = n*10 + int(c-'0')
	}
	return n
}
