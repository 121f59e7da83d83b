package index

// Unclaimed counts the artifacts read ahead and not asked for yet, for the tests.
func (s *Source) Unclaimed() int {
	s.ahead.mu.Lock()
	defer s.ahead.mu.Unlock()
	return len(s.ahead.flight)
}

// The read-ahead bounds, for the tests.
const (
	BatchSize    = batchSize
	MaxUnclaimed = maxUnclaimed
)

// The statements of a listing and a metric series, for EXPLAIN in the tests.
var (
	BuildsSQL = buildsSQL
	MetricSQL = metricSQL
)
