package hydradb

import (
	"context"
	"fmt"
	"strings"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

// Schema versions (SchemaVersion.version) this package knows.
const (
	// OldestSchema is the oldest layout read: jobset evaluations reference jobsets by
	// jobset_id since upgrade-72 (2020); builds have jobset_id since upgrade-63.
	OldestSchema = 72
	// NewestSchema is the newest layout this package was written against: store-path
	// columns hold basenames beside a storeDir column since the store-dir conversion
	// (upgrade-89/90); rows not converted yet still hold full paths.
	NewestSchema = 90
)

// schema is what was learnt about a Hydra database's layout; the SQL adapts to it.
type schema struct {
	version    int
	legacy     bool // builds still has project/jobset text columns (< 80); both layouts join jobsets
	storeDirs  bool // buildproducts/buildoutputs have storedir (and products subpath): paths may be basenames
	evalFlake  bool // jobsetevals.flake exists
	evalExpr   bool // jobsetevals.nixexprinput exists
	hasRenames bool // jobsetrenames exists
}

// loadSchema reads the schema version and the columns that changed over Hydra's history,
// once per Source; a failure is retried by the next query.
func (s *Source) loadSchema(ctx context.Context) (*schema, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.schema != nil {
		return s.schema, nil
	}
	var hasVersion, hasBuilds, hasMetrics, hasRenames bool
	err := s.pool.QueryRow(ctx, `SELECT to_regclass('schemaversion') IS NOT NULL, to_regclass('builds') IS NOT NULL,
		to_regclass('buildmetrics') IS NOT NULL, to_regclass('jobsetrenames') IS NOT NULL`).
		Scan(&hasVersion, &hasBuilds, &hasMetrics, &hasRenames)
	if err != nil {
		return nil, err
	}
	if !hasVersion || !hasBuilds {
		return nil, &query.UpstreamError{Msg: fmt.Sprintf("the database %s is not Hydra's: it has no %s table. "+
			"Set the database URL to the one Hydra uses (HYDRA_DATABASE_URL, usually postgres://hydra@host/hydra)",
			s.target, map[bool]string{true: "builds", false: "schemaversion"}[hasVersion])}
	}
	sc := &schema{hasRenames: hasRenames}
	if err := s.pool.QueryRow(ctx, `SELECT max(version) FROM schemaversion`).Scan(&sc.version); err != nil {
		return nil, fmt.Errorf("reading Hydra's schema version: %w", err)
	}
	cols := map[string]bool{}
	err = s.rows(ctx, `SELECT c.relname || '.' || a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
		WHERE a.attrelid IN (to_regclass('builds'), to_regclass('buildproducts'), to_regclass('jobsetevals'))
		AND a.attnum > 0 AND NOT a.attisdropped`, nil, func(r rowScanner) error {
		var name string
		err := r.Scan(&name)
		cols[name] = true
		return err
	})
	if err != nil {
		return nil, err
	}
	if sc.version < OldestSchema || !hasMetrics || !cols["builds.jobset_id"] || !cols["jobsetevals.jobset_id"] {
		return nil, &query.UpstreamError{Msg: fmt.Sprintf("Hydra's database %s has schema version %d, older than the oldest this plugin reads (%d, Hydra of 2020): "+
			"upgrade Hydra, or use the hydra source, which reads Hydra's HTTP API", s.target, sc.version, OldestSchema)}
	}
	sc.legacy = cols["builds.project"]
	sc.storeDirs = cols["buildproducts.storedir"]
	sc.evalFlake = cols["jobsetevals.flake"]
	sc.evalExpr = cols["jobsetevals.nixexprinput"]
	s.schema = sc
	return sc, nil
}

// rowScanner is what scan callbacks get: one row.
type rowScanner interface{ Scan(dest ...any) error }

// flakeCol is the eval's locked flake reference, or NULL before flakes existed.
func (sc *schema) flakeCol() string {
	if sc.evalFlake {
		return "e.flake"
	}
	return "NULL::text"
}

// exprInputCol names the input holding the jobset's Nix expression for an eval.
func (sc *schema) exprInputCol() string {
	if sc.evalExpr {
		return "coalesce(e.nixexprinput, j.nixexprinput)"
	}
	return "j.nixexprinput"
}

// storeCols are the extra product/output columns of the store-dir layout.
func (sc *schema) storeCols(subpath string) string {
	if !sc.storeDirs {
		return "NULL::text, NULL::text"
	}
	return "storedir, " + subpath
}

// describe names the layout for Health.
func (sc *schema) describe() string {
	var notes []string
	if sc.legacy {
		notes = append(notes, "the layout before upgrade-80 (builds.project/jobset columns)")
	}
	if sc.version > NewestSchema {
		notes = append(notes, fmt.Sprintf("newer than the newest this plugin was tested with (%d): if queries fail, a newer plugin may be needed", NewestSchema))
	}
	if len(notes) == 0 {
		return ""
	}
	return "; " + strings.Join(notes, "; ")
}
