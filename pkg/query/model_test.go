package query

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

func dq(json string) backend.DataQuery {
	now := time.Unix(1_700_000_000, 0)
	return backend.DataQuery{RefID: "A", JSON: []byte(json), TimeRange: backend.TimeRange{From: now.Add(-time.Hour), To: now}}
}

func TestParseDefaults(t *testing.T) {
	q, w, err := Parse(dq(`{"project":"p","jobset":"j","job":"x","product":"bench.json","path":"a.b"}`), true)
	if err != nil {
		t.Fatal(err)
	}
	if q.QueryType != TypeArtifact || q.Limit != DefaultLimit || q.TimeField != TimeQueued || w.Limit != DefaultLimit {
		t.Fatalf("defaults not applied: %+v %+v", q, w)
	}
	q, _, err = Parse(backend.DataQuery{QueryType: "metric", JSON: []byte(`{"queryType":"artifact","project":" p ","jobset":"j","job":"x","metric":"time"}`)}, true)
	if err != nil || q.QueryType != TypeMetric || q.Project != "p" {
		t.Fatalf("DataQuery.QueryType should win and fields be trimmed: %+v %v", q, err)
	}
}

func TestParseRejectsWithAMessageThatSaysWhatToFix(t *testing.T) {
	cases := []struct{ json, want string }{
		{`{`, "not valid JSON"},
		{`{"queryType":"bogus"}`, "unknown query type"},
		{`{"queryType":"artifact","jobset":"j","job":"x","product":"p","path":"a"}`, "project is empty"},
		{`{"queryType":"artifact","project":"p","jobset":"j","job":"x","path":"a"}`, "needs a product"},
		{`{"queryType":"artifact","project":"p","jobset":"j","job":"x","product":"p"}`, "needs a path"},
		{`{"queryType":"artifact","project":"p","jobset":"j","job":"x","product":"../etc/passwd","path":"a"}`, "without '..'"},
		{`{"queryType":"artifact","project":"p","jobset":"j","job":"x","product":"b.json","path":"a.#(b"}`, "unclosed"},
		{`{"queryType":"artifact","project":"p/q","jobset":"j","job":"x","product":"b","path":"a"}`, "not a valid Hydra name"},
		{`{"queryType":"metric","project":"p","jobset":"j","job":"x"}`, "needs a metric"},
		{`{"queryType":"evals","project":"p"}`, "jobset is empty"},
		{`{"queryType":"builds","project":"p","jobset":"j","job":"x","limit":-1}`, "limit -1 is out of range"},
		{`{"queryType":"builds","project":"p","jobset":"j","job":"x","limit":1000000000}`, "out of range"},
		{`{"queryType":"builds","project":"p","jobset":"j","job":"x","timeField":"starttime"}`, "timeField"},
		{`{"queryType":"builds","project":"p","jobset":"j","job":"x","limit":"ten"}`, `limit "ten" is not a number`},
	}
	for _, c := range cases {
		_, _, err := Parse(dq(c.json), true)
		var inv *InvalidError
		if !errors.As(err, &inv) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an InvalidError containing %q", c.json, err, c.want)
			continue
		}
		r := ErrorResponse(err)
		if r.ErrorSource != backend.ErrorSourceDownstream || r.Status != backend.StatusBadRequest {
			t.Errorf("%s: response %v/%v, want downstream bad request", c.json, r.ErrorSource, r.Status)
		}
	}
}

func TestParseReadsOlderLimits(t *testing.T) {
	for raw, want := range map[string]int{`"200"`: 200, `150.7`: 150, `""`: DefaultLimit, `null`: DefaultLimit, `" 30 "`: 30} {
		q, w, err := Parse(dq(`{"queryType":"builds","project":"p","jobset":"j","job":"x","limit":`+raw+`}`), true)
		if err != nil || int(q.Limit) != want || w.Limit != want {
			t.Errorf("limit %s: got %v/%v, %v; want %d", raw, q.Limit, w.Limit, err, want)
		}
	}
}

func TestParseStoreJobsNeedOnlyTheJob(t *testing.T) {
	if _, _, err := Parse(dq(`{"queryType":"builds","job":"mybench-*"}`), false); err != nil {
		t.Fatalf("a store query with only a job glob was rejected: %v", err)
	}
}

func TestReversedTimeRange(t *testing.T) {
	q := dq(`{"queryType":"builds","project":"p","jobset":"j","job":"x"}`)
	q.TimeRange.From, q.TimeRange.To = q.TimeRange.To, q.TimeRange.From
	if _, _, err := Parse(q, true); err == nil || !strings.Contains(err.Error(), "before it starts") {
		t.Fatalf("reversed range: %v", err)
	}
}

func TestErrorResponseSources(t *testing.T) {
	up := ErrorResponse(&UpstreamError{HTTPStatus: 502, Msg: "Hydra failed"})
	if up.ErrorSource != backend.ErrorSourceDownstream || up.Status != backend.StatusBadGateway {
		t.Errorf("upstream: %+v", up)
	}
	ours := ErrorResponse(errors.New("nil map"))
	if ours.ErrorSource != backend.ErrorSourcePlugin || ours.Status != backend.StatusInternal {
		t.Errorf("plugin: %+v", ours)
	}
}

func TestMaxDataPointsBoundsSeriesOnly(t *testing.T) {
	for _, c := range []struct {
		json      string
		maxPoints int64
		want      int
		capped    bool
	}{
		{`{"queryType":"artifact","job":"j","product":"b.json","path":"a","limit":500}`, 200, 200, true},
		{`{"queryType":"metric","job":"j","metric":"time","limit":500}`, 200, 200, true},
		{`{"queryType":"metric","job":"j","metric":"time","limit":100}`, 200, 100, false},
		{`{"queryType":"metric","job":"j","metric":"time","limit":500}`, 0, 500, false},
		{`{"queryType":"builds","job":"j","limit":500}`, 200, 500, false}, // a table: every row is shown
	} {
		q, w, err := Parse(backend.DataQuery{JSON: []byte(c.json), MaxDataPoints: c.maxPoints,
			TimeRange: backend.TimeRange{From: time.Unix(0, 0), To: time.Unix(10, 0)}}, false)
		if err != nil || w.Limit != c.want || q.pointsCap != c.capped {
			t.Errorf("%s with MaxDataPoints %d: limit %d, capped %v, err %v; want %d, %v", c.json, c.maxPoints, w.Limit, q.pointsCap, err, c.want, c.capped)
		}
	}
}
