package hydra_test

import (
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/tidwall/gjson"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/hydra/hydratest"
)

// seqClient is the baseline the cold queries are measured against: what a short script
// would do without this plugin, with net/http and gjson only. It lists the job's builds
// with the route the Source uses, then asks for each build in turn, one request at a time.
type seqClient struct {
	base string
	hc   *http.Client
}

// seqPoint is one value of the baseline's series.
type seqPoint struct {
	build, time int64
	value       float64
}

func newSeqClient(base string) *seqClient {
	return &seqClient{base: base, hc: &http.Client{Transport: &http.Transport{}, Timeout: time.Minute}}
}

// get reads path; JSON routes want the Accept header, downloads do not.
func (c *seqClient) get(path string, wantJSON bool) ([]byte, error) {
	req, err := http.NewRequest(http.MethodGet, c.base+path, nil)
	if err != nil {
		return nil, err
	}
	if wantJSON {
		req.Header.Set("Accept", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	return body, err
}

// builds lists the newest n successful builds of the job bench:main:bench as id and
// queue time pairs.
func (c *seqClient) builds(n int) ([]seqPoint, error) {
	body, err := c.get(fmt.Sprintf("/api/latestbuilds?nr=%d&project=bench&jobset=main&job=bench", n), true)
	if err != nil {
		return nil, err
	}
	var out []seqPoint
	gjson.ParseBytes(body).ForEach(func(_, b gjson.Result) bool {
		if b.Get("finished").Int() == 1 && b.Get("buildstatus").Exists() && b.Get("buildstatus").Int() == 0 {
			out = append(out, seqPoint{build: b.Get("id").Int(), time: b.Get("timestamp").Int()})
		}
		return true
	})
	return out, nil
}

// series reads one value per build: the product at download (by name) with gjson path
// artifactPath, or, when download is "", the build's JSON (/build/ID) at metricPath.
func (c *seqClient) series(n int, download, path string) ([]seqPoint, error) {
	builds, err := c.builds(n)
	if err != nil {
		return nil, err
	}
	out := builds[:0]
	for _, p := range builds {
		route, wantJSON := fmt.Sprintf("/build/%d", p.build), true
		if download != "" {
			route, wantJSON = route+"/download/"+download, false
		}
		body, err := c.get(route, wantJSON)
		if err != nil {
			return nil, err
		}
		if v := gjson.GetBytes(body, path); v.Exists() {
			p.value = v.Float()
			out = append(out, p)
		}
	}
	return out, nil
}

// benchSequential measures the baseline for kind k over n builds, each iteration on a fresh
// fake Hydra set up outside the timer, and returns its time per query.
func benchSequential(b *testing.B, k benchKind, n int, lat time.Duration) time.Duration {
	var elapsed time.Duration
	var tally requestTally
	for range b.N {
		b.StopTimer()
		srv := hydratest.New()
		benchJob(srv, n)
		srv.SetLatency(lat)
		c := newSeqClient(srv.URL)
		b.StartTimer()
		start := time.Now()
		var pts []seqPoint
		var err error
		if k.name == "artifact" {
			pts, err = c.series(n, "bench.json", "results.throughput")
		} else {
			pts, err = c.series(n, "", "buildmetrics.time.value")
		}
		elapsed += time.Since(start)
		b.StopTimer()
		if err != nil || len(pts) != n {
			b.Fatalf("sequential %s series over %d builds: %d points, %v", k.name, n, len(pts), err)
		}
		tally.add(srv.Requests())
		c.hc.CloseIdleConnections()
		srv.Close()
	}
	tally.report(b)
	return elapsed / time.Duration(b.N)
}
