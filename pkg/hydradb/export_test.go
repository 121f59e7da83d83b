package hydradb

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// SQL the tests run EXPLAIN on and the benchmark runs directly with pgx, as the Source
// runs it on the current schema (without the store-dir columns of schema 89).
const (
	BuildsSQL = buildsSQL
	MetricSQL = metricSQL
)

var (
	OriginsSQL  = fmt.Sprintf(originsSQL, "e.flake", "coalesce(e.nixexprinput, j.nixexprinput)")
	ProductsSQL = fmt.Sprintf(productsSQL, "NULL::text, NULL::text", "NULL::text, NULL::text")
)

// GenericPlans reports, per statement prepared on the connection a query gets from the
// pool (all of them when MaxConns is 1), how often PostgreSQL ran it with a generic plan
// (pg_prepared_statements, PostgreSQL 14 and later).
func (s *Source) GenericPlans(ctx context.Context) (map[string]int64, error) {
	rows, err := s.pool.Query(ctx, `SELECT statement, generic_plans FROM pg_prepared_statements`)
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	var sql string
	var n int64
	_, err = pgx.ForEachRow(rows, []any{&sql, &n}, func() error { out[sql] = n; return nil })
	return out, err
}

// CachedOrigins counts the builds whose origin the Source holds.
func (s *Source) CachedOrigins() int {
	s.originCache.mu.Lock()
	defer s.originCache.mu.Unlock()
	return len(s.originCache.young) + len(s.originCache.old)
}
