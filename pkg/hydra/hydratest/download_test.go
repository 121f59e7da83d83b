package hydratest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

const out = "/nix/store/abcd-bench"

var benchBytes = []byte(`{"results":{"throughput":1000}}`)

// newDownloadServer has build 1 with product 1 bench.json (a file), product 2
// "docs" (a directory with index.html) and product 3 without a name.
func newDownloadServer(t *testing.T) *Server {
	s := New()
	t.Cleanup(s.Close)
	s.AddBuild(Build{ID: 1, Project: "p", Jobset: "j", Job: "bench", Finished: true,
		Timestamp: 1700000000, StartTime: 1700000100, StopTime: 1700000200,
		Outputs: map[string]string{"out": out},
		Products: []Product{
			{Type: "file", Subtype: "json", Name: "bench.json", Path: out + "/bench.json"},
			{Type: "doc", Subtype: "manual", Name: "docs", Path: out + "/share/doc", Dir: true},
			{Type: "file", Subtype: "log", Path: out + "/log.txt"},
		},
		Files: map[string][]byte{
			out + "/bench.json":           benchBytes,
			out + "/share/doc/index.html": []byte("<html>docs</html>"),
			out + "/share/doc/sub/a.txt":  []byte("hello"),
			out + "/log.txt":              []byte("log line\n"),
		}})
	return s
}

func wantLocation(t *testing.T, resp *http.Response, s *Server, path string) {
	t.Helper()
	if resp.StatusCode != 302 || resp.Header.Get("Location") != s.URL+path {
		t.Errorf("%s: %d Location %q, want 302 %q", resp.Request.URL.Path, resp.StatusCode,
			resp.Header.Get("Location"), path)
	}
}

func TestDownload(t *testing.T) {
	s := newDownloadServer(t)
	// Redirects: bare /download (NR 1), /download/NR of a named product, download-by-type.
	resp, _ := get(t, s, "/build/1/download")
	wantLocation(t, resp, s, "/build/1/download/1/bench.json")
	resp, _ = get(t, s, "/build/1/download/2")
	wantLocation(t, resp, s, "/build/1/download/2/docs")
	resp, _ = get(t, s, "/build/1/download-by-type/file/json")
	wantLocation(t, resp, s, "/build/1/download/1/bench.json")

	// Served file, whatever the Accept header; the element after NR is ignored for named products.
	for _, path := range []string{"/build/1/download/1/bench.json", "/build/1/download/1/whatever",
		"/build/1/download/bench.json"} {
		resp, body := get(t, s, path, "Accept: text/html")
		wantStatus(t, resp, 200)
		h := resp.Header
		if string(body) != string(benchBytes) || h.Get("Content-Type") != "application/json" ||
			h.Get("Content-Length") != "31" || h.Get("Content-Security-Policy") != "sandbox allow-scripts" ||
			h.Get("Last-Modified") != time.Unix(1700000200, 0).UTC().Format(http.TimeFormat) {
			t.Errorf("%s: %q %v", path, body, h)
		}
	}
	resp, body := get(t, s, "/build/1/download/3", "Accept: application/json")
	if resp.StatusCode != 200 || string(body) != "log line\n" || resp.Header.Get("Content-Type") != "text/plain" {
		t.Errorf("unnamed product: %d %q %q", resp.StatusCode, body, resp.Header.Get("Content-Type"))
	}

	// Directory product: sub-paths, trailing-slash redirect, index.html.
	resp, body = get(t, s, "/build/1/download/2/docs/sub/a.txt")
	if resp.StatusCode != 200 || string(body) != "hello" {
		t.Errorf("sub-path: %d %q", resp.StatusCode, body)
	}
	resp, _ = get(t, s, "/build/1/download/2/docs")
	wantLocation(t, resp, s, "/build/1/download/2/docs/")
	resp, body = get(t, s, "/build/1/download/2/docs/")
	if resp.StatusCode != 200 || string(body) != "<html>docs</html>" || resp.Header.Get("Content-Type") != "text/html" {
		t.Errorf("index.html: %d %q", resp.StatusCode, body)
	}

	// Errors.
	for path, want := range map[string]int{
		"/build/1/download/9":                  404, // no such product
		"/build/1/download/nope":               404, // no product with that name
		"/build/1/download/2/docs/missing.txt": 404, // no such file
		"/build/1/download/2/docs/a%20b":       500, // fails $pathCompRE (Hydra's error() without status)
		"/build/2/download/1":                  404, // no such build
		"/build/x/download/1":                  500, // invalid build id
	} {
		var e map[string]string
		resp := getJSON(t, s, path, &e)
		if resp.StatusCode != want || e["error"] == "" {
			t.Errorf("%s: %d %v, want %d", path, resp.StatusCode, e, want)
		}
	}
	var e map[string]string
	getJSON(t, s, "/build/1/download/9", &e)
	if e["error"] != "Build doesn't have a product 9." {
		t.Errorf("missing product error %q", e["error"])
	}

	// Product JSON: file size and hash computed from Files, null for directories.
	var b struct {
		BuildProducts map[string]map[string]any
	}
	getJSON(t, s, "/build/1", &b)
	sum := sha256.Sum256(benchBytes)
	p1, p2 := b.BuildProducts["1"], b.BuildProducts["2"]
	if p1["filesize"].(float64) != 31 || p1["sha256hash"] != hex.EncodeToString(sum[:]) ||
		p2["filesize"] != nil || p2["sha256hash"] != nil || p1["defaultpath"] != "" {
		t.Errorf("products %v", b.BuildProducts)
	}

	// Output streaming.
	resp, _ = get(t, s, "/build/1/output/out")
	wantStatus(t, resp, 200)
	resp, _ = get(t, s, "/build/1/output/dev")
	wantStatus(t, resp, 404)
}

func TestDownloadGarbageCollected(t *testing.T) {
	s := newDownloadServer(t)
	s.SetGarbageCollected(1, true)
	var e map[string]string
	resp := getJSON(t, s, "/build/1/download/1/bench.json", &e)
	wantStatus(t, resp, 404)
	if e["error"] != "File '"+out+"/bench.json' does not exist." {
		t.Errorf("GC error %q", e["error"])
	}
	resp, _ = get(t, s, "/build/1/output/out")
	wantStatus(t, resp, 410)
	// The rows stay: the build JSON still lists the product.
	var b map[string]json.RawMessage
	getJSON(t, s, "/build/1", &b)
	if !strings.Contains(string(b["buildproducts"]), "bench.json") {
		t.Errorf("GC'd build lost its products: %s", b["buildproducts"])
	}
}

func TestContentType(t *testing.T) {
	for path, want := range map[string]string{
		"/nix/store/x-a/r.json":          "application/json",
		"/nix/store/x-a/index.html":      "text/html",
		"/nix/store/x-a-1.0/README":      "text/plain", // "0/README" is the "extension"
		"/nix/store/x-a/README":          "text/plain; charset=us-ascii",
		"/nix/store/x-a/data.weirdext12": "text/plain",
	} {
		if got := contentType(path, []byte("text")); got != want {
			t.Errorf("contentType(%s) = %q, want %q", path, got, want)
		}
	}
	if got := contentType("/nix/store/x-a/bin", []byte{0, 1, 2}); got != "application/octet-stream; charset=binary" {
		t.Errorf("binary: %q", got)
	}
}
