package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/grpcplugin"
	"github.com/grafana/grafana-plugin-sdk-go/genproto/pluginv2"
	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
)

// binary is the gpx_nixci built once for all tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "gpx-nixci-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, fmt.Sprintf("gpx_nixci_%s_%s", runtime.GOOS, runtime.GOARCH))
	build := exec.Command("go", "build", "-o", binary, "github.com/nixci-artifacts/nixci-artifacts-datasource/pkg")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building gpx_nixci failed:", err)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// pluginConn is a running gpx_nixci with the clients Grafana dispenses.
type pluginConn struct {
	data        grpcplugin.DataClient
	diagnostics grpcplugin.DiagnosticsClient
	resource    grpcplugin.ResourceClient
	settings    *backend.DataSourceInstanceSettings
	pid         int    // the plugin process, for its memory in /proc
	kill        func() // stops the process before the test's end (it is stopped then anyway)
	// logs is everything the process wrote to stderr and stdout (the SDK's JSON log lines,
	// at debug level); complete once kill has returned.
	logs *lockedBuffer
}

// lockedBuffer collects a plugin's output, written by go-plugin's goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// launch starts the plugin binary the way Grafana's plugin host does: go-plugin handshake
// (protocol 2, grafana_plugin_type=datasource), gRPC only, and the same plugin set names.
func launch(t testing.TB, url string, jsonData map[string]any, secure map[string]string) *pluginConn {
	t.Helper()
	cmd := exec.Command(binary)
	cmd.Env = []string{"GF_VERSION=12.2.0", "GF_PLUGIN_APP_URL=http://localhost:3000/"}
	logs := &lockedBuffer{}
	client := goplugin.NewClient(&goplugin.ClientConfig{
		HandshakeConfig: goplugin.HandshakeConfig{
			ProtocolVersion:  grpcplugin.ProtocolVersion,
			MagicCookieKey:   grpcplugin.MagicCookieKey,
			MagicCookieValue: grpcplugin.MagicCookieValue,
		},
		VersionedPlugins: map[int]goplugin.PluginSet{grpcplugin.ProtocolVersion: {
			"diagnostics": &grpcplugin.DiagnosticsGRPCPlugin{},
			"resource":    &grpcplugin.ResourceGRPCPlugin{},
			"data":        &grpcplugin.DataGRPCPlugin{},
			"stream":      &grpcplugin.StreamGRPCPlugin{},
		}},
		Cmd:              cmd,
		AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
		SkipHostEnv:      true,
		Logger:           hclog.New(&hclog.LoggerOptions{Level: hclog.Error, Output: io.Discard}),
		StartTimeout:     30 * time.Second,
		Stderr:           logs, // the raw lines, whatever the Logger's level
		SyncStdout:       logs,
		SyncStderr:       logs,
	})
	t.Cleanup(client.Kill)
	rpc, err := client.Client()
	if err != nil {
		t.Fatalf("go-plugin could not start gpx_nixci: %v", err)
	}
	pc := &pluginConn{pid: client.ReattachConfig().Pid, kill: client.Kill, logs: logs}
	for name, dst := range map[string]any{"data": &pc.data, "diagnostics": &pc.diagnostics, "resource": &pc.resource} {
		raw, err := rpc.Dispense(name)
		if err != nil {
			t.Fatalf("dispense %s: %v", name, err)
		}
		switch d := dst.(type) {
		case *grpcplugin.DataClient:
			*d = raw.(grpcplugin.DataClient)
		case *grpcplugin.DiagnosticsClient:
			*d = raw.(grpcplugin.DiagnosticsClient)
		case *grpcplugin.ResourceClient:
			*d = raw.(grpcplugin.ResourceClient)
		}
	}
	jd, _ := json.Marshal(jsonData)
	pc.settings = &backend.DataSourceInstanceSettings{ID: 1, UID: "nixci", Name: "nixci", Type: "nixci-artifacts-datasource",
		URL: url, JSONData: jd, DecryptedSecureJSONData: secure, Updated: time.Now()}
	return pc
}

func (p *pluginConn) pluginContext() backend.PluginContext {
	return backend.PluginContext{OrgID: 1, PluginID: "nixci-artifacts-datasource", PluginVersion: "test",
		DataSourceInstanceSettings: p.settings}
}

func (p *pluginConn) checkHealth(t *testing.T) *backend.CheckHealthResult {
	t.Helper()
	req := &pluginv2.CheckHealthRequest{PluginContext: backend.ToProto().PluginContext(p.pluginContext())}
	res, err := p.diagnostics.CheckHealth(context.Background(), req)
	if err != nil {
		t.Fatalf("CheckHealth over gRPC: %v", err)
	}
	return backend.FromProto().CheckHealthResponse(res)
}

func (p *pluginConn) queryData(t *testing.T, from, to time.Time, queries map[string]map[string]any) *backend.QueryDataResponse {
	t.Helper()
	req := &backend.QueryDataRequest{PluginContext: p.pluginContext(), Headers: map[string]string{}}
	for ref, q := range queries {
		raw, _ := json.Marshal(q)
		qt, _ := q["queryType"].(string)
		req.Queries = append(req.Queries, backend.DataQuery{RefID: ref, QueryType: qt, JSON: raw, MaxDataPoints: 1000,
			Interval: time.Minute, TimeRange: backend.TimeRange{From: from, To: to}})
	}
	return p.send(t, req)
}

// send is one QueryData call over gRPC, as Grafana makes it.
func (p *pluginConn) send(t testing.TB, req *backend.QueryDataRequest) *backend.QueryDataResponse {
	t.Helper()
	res, err := p.data.QueryData(context.Background(), backend.ToProto().QueryDataRequest(req))
	if err != nil {
		t.Fatalf("QueryData over gRPC: %v", err)
	}
	out, err := backend.FromProto().QueryDataResponse(res)
	if err != nil {
		t.Fatalf("decoding QueryData response: %v", err)
	}
	return out
}

func (p *pluginConn) callResource(t *testing.T, path string) (int, []byte) {
	t.Helper()
	// As Grafana does: Path is the resource path, URL the whole request URL with its query.
	resource, _, _ := strings.Cut(path, "?")
	req := &backend.CallResourceRequest{PluginContext: p.pluginContext(), Path: resource, Method: "GET",
		URL: "/api/datasources/uid/nixci/resources/" + path}
	stream, err := p.resource.CallResource(context.Background(), backend.ToProto().CallResourceRequest(req))
	if err != nil {
		t.Fatalf("CallResource over gRPC: %v", err)
	}
	var status int
	var body []byte
	for {
		msg, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("CallResource stream: %v", err)
		}
		r := backend.FromProto().CallResourceResponse(msg)
		if r.Status != 0 {
			status = r.Status
		}
		body = append(body, r.Body...)
	}
	return status, body
}
