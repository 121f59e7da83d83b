package index

import "time"

// Loads counts the statements whose rows the Source kept, for the tests.
func (s *Source) Loads() int64 { return s.loads.Load() }

// SetMemoTTL shortens how long what was read is kept however the counter stands.
func (s *Source) SetMemoTTL(d time.Duration) { s.ttl = d }

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
	BuildsSQL  = buildsSQL
	MetricSQL  = metricSQL
	ListingSQL = listingSQL
	SeriesSQL  = seriesSQL
)
