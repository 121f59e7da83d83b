package plugin

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/nixbuild/nixbuildtest"
)

const nixbuildToken = "nbt-plugin-token-0123456789"

func nixbuildFake(t *testing.T) *nixbuildtest.Server {
	t.Helper()
	srv := nixbuildtest.New(nixbuildToken)
	t.Cleanup(srv.Close)
	if err := srv.LoadSeed("../nixbuild/testdata/seed/nixbuild-builds.json"); err != nil {
		t.Fatal(err)
	}
	nixbuildtest.Generate(srv, nixbuildtest.GenOptions{N: 30, Tags: map[string]string{"branch": "main"}})
	return srv
}

func TestNixbuildInstanceAnswersQueriesAndHealth(t *testing.T) {
	srv := nixbuildFake(t)
	d := newInstance(t, srv.URL, `{"source":"nixbuild"}`, map[string]string{"nixbuildToken": nixbuildToken})
	h, _ := d.CheckHealth(context.Background(), &backend.CheckHealthRequest{})
	if h.Status != backend.HealthStatusOk || !strings.Contains(h.Message, "can read builds") {
		t.Fatalf("health: %+v", h)
	}
	end := nixbuildtest.DefaultGenEnd
	tr := backend.TimeRange{From: end.Add(-2 * time.Hour), To: end}
	res, err := d.QueryData(context.Background(), &backend.QueryDataRequest{Queries: []backend.DataQuery{
		{RefID: "A", TimeRange: tr, JSON: []byte(`{"queryType":"metric","job":"bench-*","tags":"branch:main","metric":"cpu_seconds"}`)},
		{RefID: "B", TimeRange: tr, JSON: []byte(`{"queryType":"builds","job":"bench-1.0","limit":5}`)},
		{RefID: "C", TimeRange: tr, JSON: []byte(`{"queryType":"builds","job":"bench-1.0","tags":"branch main"}`)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	a := res.Responses["A"]
	if a.Error != nil || len(a.Frames) != 1 || a.Frames[0].Rows() != 13 { // one build every 10 minutes, both ends included
		t.Fatalf("metric: %v, %d frames", a.Error, len(a.Frames))
	}
	if u := a.Frames[0].Fields[1].Config.Unit; u != "s" {
		t.Fatalf("cpu_seconds unit %q", u)
	}
	if !strings.Contains(a.Frames[0].Meta.ExecutedQueryString, "tags=branch%3Amain") {
		t.Fatalf("the tags were not sent: %s", a.Frames[0].Meta.ExecutedQueryString)
	}
	b := res.Responses["B"]
	if b.Error != nil || b.Frames[0].Rows() != 5 {
		t.Fatalf("builds: %v", b.Error)
	}
	if c := res.Responses["C"]; c.Error == nil || !strings.Contains(c.Error.Error(), "TAG:VALUE") {
		t.Fatalf("bad tags accepted: %v", c.Error)
	}
}

func TestNixbuildTokenProblems(t *testing.T) {
	srv := nixbuildFake(t)
	d := newInstance(t, srv.URL, `{"source":"nixbuild"}`, nil)
	h, _ := d.CheckHealth(context.Background(), &backend.CheckHealthRequest{})
	if h.Status != backend.HealthStatusError || !strings.Contains(h.Message, "tokens create -p build:read") {
		t.Fatalf("no token: %+v", h)
	}
	const wrong = "nbt-wrong-token-555555"
	d = newInstance(t, srv.URL, `{"source":"nixbuild"}`, map[string]string{"nixbuildToken": wrong})
	h, _ = d.CheckHealth(context.Background(), &backend.CheckHealthRequest{})
	res, _ := d.QueryData(context.Background(), &backend.QueryDataRequest{Queries: []backend.DataQuery{
		{RefID: "A", TimeRange: backend.TimeRange{From: time.Unix(0, 0), To: time.Now()}, JSON: []byte(`{"queryType":"builds","job":"bench-*"}`)},
	}})
	blob, _ := json.Marshal(res)
	hb, _ := json.Marshal(h)
	if h.Status != backend.HealthStatusError || !strings.Contains(h.Message, "rejected the token") {
		t.Fatalf("wrong token: %+v", h)
	}
	if r := res.Responses["A"]; r.Error == nil || r.ErrorSource != backend.ErrorSourceDownstream || r.Status != backend.StatusUnauthorized {
		t.Fatalf("wrong token query: %v (%v, %v)", r.Error, r.ErrorSource, r.Status)
	}
	if strings.Contains(string(blob)+string(hb), wrong) || strings.Contains(string(blob)+string(hb), nixbuildToken) {
		t.Fatalf("a token leaked: %s %s", blob, hb)
	}
}
