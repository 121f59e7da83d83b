package e2e

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/genproto/pluginv2"
)

// rssLimit is the design's memory target: the plugin under 150 MB RSS at 10,000 cached builds.
const rssLimit = 150 << 20

// memSample is the plugin process's memory, in bytes.
type memSample struct {
	rss, peakRSS int64 // VmRSS and VmHWM from /proc/PID/status: resident now, and at most so far
	heapInuse    int64 // go_memstats_heap_inuse_bytes, as Grafana scrapes it from the plugin
	promRSS      int64 // process_resident_memory_bytes from the same scrape
}

func (m memSample) String() string {
	return fmt.Sprintf("RSS %.1f MB (peak %.1f MB), Go heap in use %.1f MB", mb(m.rss), mb(m.peakRSS), mb(m.heapInuse))
}

func mb(b int64) float64 { return float64(b) / (1 << 20) }

// memory reads the plugin's resident memory from /proc and its Go heap from the metrics the
// SDK serves over the Diagnostics service (CollectMetrics), as Grafana's scraper gets them.
func (p *pluginConn) memory() (memSample, error) {
	var m memSample
	var err error
	if m.rss, m.peakRSS, err = procMemory(p.pid); err != nil {
		return m, err
	}
	res, err := p.diagnostics.CollectMetrics(context.Background(), &pluginv2.CollectMetricsRequest{
		PluginContext: &pluginv2.PluginContext{PluginId: "nixci-artifacts-datasource"}})
	if err != nil {
		return m, fmt.Errorf("CollectMetrics over gRPC: %w", err)
	}
	metrics := promGauges(res.GetMetrics().GetPrometheus())
	heap, ok := metrics["go_memstats_heap_inuse_bytes"]
	if !ok {
		return m, fmt.Errorf("the plugin's metrics lack go_memstats_heap_inuse_bytes")
	}
	m.heapInuse, m.promRSS = int64(heap), int64(metrics["process_resident_memory_bytes"])
	return m, nil
}

// procMemory reads VmRSS and VmHWM of process pid, in bytes.
func procMemory(pid int) (rss, peak int64, err error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(raw), "\n") {
		name, value, _ := strings.Cut(line, ":")
		f := strings.Fields(value)
		if len(f) != 2 || f[1] != "kB" {
			continue
		}
		kb, perr := strconv.ParseInt(f[0], 10, 64)
		switch {
		case perr != nil:
			continue
		case name == "VmRSS":
			rss = kb << 10
		case name == "VmHWM":
			peak = kb << 10
		}
	}
	if rss == 0 || peak == 0 {
		return 0, 0, fmt.Errorf("/proc/%d/status names no VmRSS or VmHWM", pid)
	}
	return rss, peak, nil
}

// promGauges reads the label-less samples of Prometheus text exposition format.
func promGauges(text []byte) map[string]float64 {
	out := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(text))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 2 || strings.HasPrefix(f[0], "#") || strings.Contains(f[0], "{") {
			continue
		}
		if v, err := strconv.ParseFloat(f[1], 64); err == nil {
			out[f[0]] = v
		}
	}
	return out
}

// fillPlugin runs a cold artifact query and a metric query over every build of the
// history's first job, then both again warm, and checks every answer's rows.
func fillPlugin(p *pluginConn, h *history) error {
	for _, round := range []string{"cold", "warm"} {
		for _, q := range []map[string]any{h.artifactQuery(h.jobs[0]), h.metricQuery(h.jobs[0])} {
			r, err := p.panel(context.Background(), q, h.from, h.to)
			if err == nil {
				err = wantRows(r, h.n)
			}
			if err != nil {
				return fmt.Errorf("%s %s query: %w", round, q["queryType"], err)
			}
		}
	}
	return nil
}

// TestPluginMemoryAt10000Builds fills a launched plugin with 10,000 builds of one job (an
// artifact series and a metric, each cold then warm) and checks it stays under the design's
// 150 MB of resident memory, also at its peak during the cold queries.
func TestPluginMemoryAt10000Builds(t *testing.T) {
	const n = 10_000
	h := newHistory(t, 1, n, false)
	p := launch(t, h.srv.URL, map[string]any{"source": "hydra"}, nil)
	if err := fillPlugin(p, h); err != nil {
		t.Fatal(err)
	}
	m, err := p.memory()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d cached builds: %v", n, m)
	if m.rss > rssLimit || m.peakRSS > rssLimit {
		t.Fatalf("with %d cached builds the plugin uses %v, over the 150 MB target", n, m)
	}
	if m.heapInuse <= 0 || m.heapInuse > m.peakRSS {
		t.Fatalf("the Go heap Grafana scrapes (%d bytes) does not fit the process's memory: %v", m.heapInuse, m)
	}
}
