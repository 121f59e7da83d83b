package plugin

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/hydra/hydratest"
)

const secret = "hunter2-s3cret"

func newInstance(t *testing.T, url, jsonData string, secure map[string]string) *Datasource {
	t.Helper()
	inst, err := New(context.Background(), backend.DataSourceInstanceSettings{ID: 1, UID: "u", URL: url,
		JSONData: []byte(jsonData), DecryptedSecureJSONData: secure})
	if err != nil {
		t.Fatalf("the factory must not fail on bad settings: %v", err)
	}
	d := inst.(*Datasource)
	t.Cleanup(d.Dispose)
	return d
}

func dataQuery(refID, body string) backend.DataQuery {
	end := hydratest.DefaultGenEnd
	return backend.DataQuery{RefID: refID, JSON: []byte(body), TimeRange: backend.TimeRange{From: end.Add(-48 * time.Hour), To: end.Add(time.Hour)}}
}

func TestBadSettingsAreReportedByEveryQueryAndTheHealthCheck(t *testing.T) {
	d := newInstance(t, "", `{}`, nil)
	res, err := d.QueryData(context.Background(), &backend.QueryDataRequest{Queries: []backend.DataQuery{dataQuery("A", `{}`), dataQuery("B", `{}`)}})
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{"A", "B"} {
		r := res.Responses[ref]
		if r.Error == nil || !strings.Contains(r.Error.Error(), "Hydra URL is empty") || r.ErrorSource != backend.ErrorSourceDownstream {
			t.Errorf("%s: %v (%v)", ref, r.Error, r.ErrorSource)
		}
	}
	h, _ := d.CheckHealth(context.Background(), &backend.CheckHealthRequest{})
	if h.Status != backend.HealthStatusError || !strings.Contains(h.Message, "Hydra URL is empty") {
		t.Fatalf("health: %+v", h)
	}
	d = newInstance(t, "https://h", `{"source":"jenkins"}`, nil)
	h, _ = d.CheckHealth(context.Background(), &backend.CheckHealthRequest{})
	if h.Status != backend.HealthStatusError || !strings.Contains(h.Message, `unknown source "jenkins"`) {
		t.Fatalf("unsupported source: %+v", h)
	}
}

func TestNoSecretInAnyAnswer(t *testing.T) {
	srv := hydratest.New()
	t.Cleanup(srv.Close)
	srv.SetPrivate("alice", "the-right-one")
	hydratest.GenerateJob(srv, hydratest.GenOptions{N: 3})
	// a wrong password: every answer is an error, and none may carry the password
	d := newInstance(t, srv.URL, `{"hydraUser":"alice"}`, map[string]string{"hydraPassword": secret})
	res, _ := d.QueryData(context.Background(), &backend.QueryDataRequest{Queries: []backend.DataQuery{
		dataQuery("A", `{"queryType":"artifact","project":"bench","jobset":"main","job":"bench","product":"bench.json","path":"results"}`),
		dataQuery("B", `{"queryType":"metric","project":"bench","jobset":"main","job":"bench","metric":"time"}`),
		dataQuery("C", `{"queryType":"evals","project":"bench","jobset":"main"}`),
	}})
	blob, _ := json.Marshal(res)
	h, _ := d.CheckHealth(context.Background(), &backend.CheckHealthRequest{})
	hb, _ := json.Marshal(h)
	for name, text := range map[string]string{"responses": string(blob), "health": string(hb)} {
		if strings.Contains(text, secret) {
			t.Fatalf("the password leaked into the %s: %s", name, text)
		}
	}
	if !strings.Contains(string(blob), "rejected the login") {
		t.Fatalf("the errors do not say the login failed: %s", blob)
	}
	// the right password: the same queries answer
	d = newInstance(t, srv.URL, `{"hydraUser":"alice"}`, map[string]string{"hydraPassword": "the-right-one"})
	res, _ = d.QueryData(context.Background(), &backend.QueryDataRequest{Queries: []backend.DataQuery{
		dataQuery("A", `{"queryType":"artifact","project":"bench","jobset":"main","job":"bench","product":"bench.json","path":"results.throughput"}`),
	}})
	if r := res.Responses["A"]; r.Error != nil || r.Frames[0].Rows() != 3 {
		t.Fatalf("after login: %v", r.Error)
	}
}

func TestAlertQueriesGetOnlyTimeAndValue(t *testing.T) {
	srv := hydratest.New()
	t.Cleanup(srv.Close)
	hydratest.GenerateJob(srv, hydratest.GenOptions{N: 3})
	d := newInstance(t, srv.URL, `{}`, nil)
	res, _ := d.QueryData(context.Background(), &backend.QueryDataRequest{
		Headers: map[string]string{backend.FromAlertHeaderName: "true"},
		Queries: []backend.DataQuery{dataQuery("A", `{"queryType":"metric","project":"bench","jobset":"main","job":"bench","metric":"time"}`)},
	})
	r := res.Responses["A"]
	if r.Error != nil {
		t.Fatal(r.Error)
	}
	f := r.Frames[0]
	if len(f.Fields) != 2 || f.Fields[0].Name != "time" || f.Fields[1].Name != "value" || f.Fields[1].Labels["series"] != "time" {
		t.Fatalf("alert frame has fields %v", f.Fields)
	}
}
