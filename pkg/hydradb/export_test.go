package hydradb

import "fmt"

// SQL the tests run EXPLAIN on and the benchmark runs directly with pgx, as the Source
// runs it on the current schema.
const (
	BuildsSQL = buildsSQL
	MetricSQL = metricSQL
)

var OriginsSQL = fmt.Sprintf(originsSQL, "e.flake", "coalesce(e.nixexprinput, j.nixexprinput)")
