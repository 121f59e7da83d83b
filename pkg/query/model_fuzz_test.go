package query

import (
	"errors"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

// Seeds besides the corpus in testdata/fuzz/FuzzParse/.
var parseSeeds = []string{
	`{"project":"p","jobset":"j","job":"x","product":"bench.json","path":"a.b"}`,
	`{"queryType":"metric","project":"p","jobset":"j","job":"x","metric":"*.time","limit":"200","timeField":"stoptime"}`,
	`{"queryType":"builds","project":"p","jobset":"j","job":"x","limit":12.7}`,
	`{"queryType":"evals","project":"p","jobset":"j","limit":null}`,
	`{"queryType":"jobs","project":"p","jobset":"j","limit":""}`,
	`{"queryType":"artifact","project":"p","jobset":"j","job":"x","product":"../x","path":"a.#(b"}`,
	`{"limit":1e300}`,
	`{"queryType":"metric","project":"p","jobset":"j","job":"x","metric":"t","regression":true,"baselineBuilds":3,"threshold":0,"better":"higher"}`,
	`{"queryType":"artifact","project":"p","jobset":"j","job":"x","product":"b.json","path":"a","regression":true,"threshold":null}`,
	`{"queryType":"compare","project":"p","jobset":"j","job":"x","base":"3f2a9c1","target":"12"}`,
	`{"queryType":"compare","job":"x","base":"12","product":"b.json","path":"results"}`,
	`{"queryType":"aggregate","project":"p","jobset":"j","job":"x","latest":"latest-finished"}`,
	`{"queryType":"jobs","project":"p","jobset":"j","latest":"latest"}`,
	`{"queryType":"builds","job":"x","tags":"branch:main,ci:yes"}`,
	`[]`,
}

// FuzzParse feeds arbitrary query JSON, query type, Max data points and time range to
// Parse: it never panics, every error is an *InvalidError, and an accepted query is
// valid and bounded (limit 1..MaxLimit, at most Max data points for artifact and metric).
func FuzzParse(f *testing.F) {
	for i, s := range parseSeeds {
		f.Add([]byte(s), "", int64(i*7-1), int64(1_700_000_000), int64(3600), i%2 == 0)
	}
	f.Fuzz(func(t *testing.T, js []byte, queryType string, maxPoints, to, span int64, fullJob bool) {
		tr := backend.TimeRange{From: time.Unix(to-span, 0), To: time.Unix(to, 0)}
		if to == 0 {
			tr = backend.TimeRange{} // "now"
		}
		dq := backend.DataQuery{RefID: "A", QueryType: queryType, JSON: js, MaxDataPoints: maxPoints, TimeRange: tr}
		q, w, err := Parse(dq, fullJob)
		if err != nil {
			var inv *InvalidError
			if !errors.As(err, &inv) || inv.Msg == "" {
				t.Fatalf("error %T %v is not an *InvalidError with a message", err, err)
			}
			return
		}
		switch q.QueryType {
		case TypeArtifact:
			if q.Product == "" || q.Path == "" || ValidatePath(q.Path) != nil {
				t.Fatalf("artifact query accepted without a valid product and path: %+v", q)
			}
		case TypeMetric:
			if q.Metric == "" {
				t.Fatalf("metric query accepted without a metric: %+v", q)
			}
		case TypeCompare:
			if q.Base == "" || ValidateBuildRef("base", q.Base) != nil {
				t.Fatalf("compare query accepted without a valid base: %+v", q)
			}
		case TypeAggregate:
			if q.Project == "" || q.Jobset == "" || q.Job == "" {
				t.Fatalf("aggregate query accepted without its job: %+v", q)
			}
		case TypeBuilds, TypeEvals, TypeJobs:
		default:
			t.Fatalf("unknown query type %q accepted", q.QueryType)
		}
		if q.Regression && (q.BaselineBuilds < 1 || q.BaselineBuilds > 1000 || q.Threshold == nil ||
			!(*q.Threshold >= 0 && *q.Threshold <= 1000) || (q.Better != BetterLower && q.Better != BetterHigher)) {
			t.Fatalf("regression options accepted out of range: %+v", q)
		}
		if (q.QueryType == TypeJobs || q.QueryType == TypeAggregate) && q.Latest != LatestAny && q.Latest != LatestFinished {
			t.Fatalf("latest %q accepted", q.Latest)
		}
		if q.Limit < 1 || q.Limit > MaxLimit {
			t.Fatalf("limit %d out of range", q.Limit)
		}
		if q.TimeField != TimeQueued && q.TimeField != TimeStop {
			t.Fatalf("time field %q accepted", q.TimeField)
		}
		if w.Limit < 1 || w.Limit > int(q.Limit) {
			t.Fatalf("window limit %d for query limit %d", w.Limit, q.Limit)
		}
		capped := (q.QueryType == TypeArtifact || q.QueryType == TypeMetric) && maxPoints > 0
		if capped && int64(w.Limit) > maxPoints {
			t.Fatalf("window limit %d over Max data points %d", w.Limit, maxPoints)
		}
		if w.To.Before(w.From) {
			t.Fatalf("window ends %v before it starts %v", w.To, w.From)
		}
	})
}
