package hydra_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

// runPoints runs q over every generated build with the panel's Max data points set
// (0: none, as when the query is not from a panel).
func (e *env) runPoints(q map[string]any, maxPoints int64) backend.DataResponse {
	e.t.Helper()
	raw, _ := json.Marshal(q)
	return e.engine.Query(context.Background(), backend.DataQuery{RefID: "A", JSON: raw, MaxDataPoints: maxPoints,
		TimeRange: backend.TimeRange{From: rangeFrom, To: rangeTo}}, false)
}

// describe says what a response holds, for a failure message.
func describe(r backend.DataResponse) string {
	switch {
	case r.Error != nil:
		return "error: " + r.Error.Error()
	case len(r.Frames) == 0:
		return "no frame"
	}
	return fmt.Sprintf("%d points", r.Frames[0].Rows())
}

// requestTally sums what the fake Hydra was asked over several queries, by route.
type requestTally struct {
	queries   int
	total     int
	listings  int // /api/latestbuilds
	evalPages int // /jobset/P/J/evals?page=K
	metric    int // /job/P/J/JOB/metric/NAME
	repeated  int // requests of a route already requested in the same query
}

// add counts one query's requests (hydratest.Server.Requests, taken after the query).
func (t *requestTally) add(reqs map[string]int) {
	t.queries++
	for key, n := range reqs {
		t.total += n
		t.repeated += n - 1
		_, target, _ := strings.Cut(key, " ")
		switch {
		case strings.HasPrefix(target, "/api/latestbuilds?"):
			t.listings += n
		case strings.HasPrefix(target, "/jobset/") && strings.Contains(target, "/evals?page="):
			t.evalPages += n
		case strings.HasPrefix(target, "/job/") && strings.Contains(target, "/metric/"):
			t.metric += n
		}
	}
}

// report adds the per-query averages to the benchmark's figures.
func (t *requestTally) report(b *testing.B) {
	per := func(v int) float64 { return float64(v) / float64(max(1, t.queries)) }
	b.ReportMetric(per(t.total), "requests/op")
	b.ReportMetric(per(t.listings), "listings/op")
	b.ReportMetric(per(t.evalPages), "eval-pages/op")
	b.ReportMetric(per(t.metric), "metric-requests/op")
	b.ReportMetric(per(t.repeated), "repeated-requests/op")
}
