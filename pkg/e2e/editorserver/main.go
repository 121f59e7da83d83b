// Command editorserver serves the query editor's browser-test harness and answers its
// resource calls with the real plugin (CallResource) reading a fake Hydra, so the browser
// test drives editor, backend and Hydra API together. It prints its URL and serves until
// its standard input closes.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/hydra/hydratest"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/plugin"
)

// resourcePrefix is where DataSourceWithBackend.getResource sends its requests.
const resourcePrefix = "/api/datasources/uid/nixci/resources/"

func main() {
	static := flag.String("static", "tests/browser/dist", "directory with the harness page")
	flag.Parse()

	hydra := hydratest.New()
	defer hydra.Close()
	hydratest.GenerateJob(hydra, hydratest.GenOptions{N: 30, End: time.Now().Add(-time.Hour)})
	hydratest.GenerateJob(hydra, hydratest.GenOptions{Job: "sizes", N: 5, FirstID: 100, FirstEvalID: 100, End: time.Now().Add(-time.Hour)})
	hydratest.GenerateJob(hydra, hydratest.GenOptions{Project: "infra", Jobset: "staging", Job: "deploy", N: 3, FirstID: 200, FirstEvalID: 200})
	hydra.AddEval(hydratest.Eval{ID: 500, Project: "bench", Jobset: "main", Timestamp: time.Now().Unix(), HasNewBuilds: true, Builds: []int64{30, 104}})

	inst, err := plugin.New(context.Background(), backend.DataSourceInstanceSettings{ID: 1, UID: "nixci",
		Type: plugin.PluginID, Name: "Hydra", URL: hydra.URL, JSONData: []byte(`{}`)})
	if err != nil {
		log.Fatal(err)
	}
	ds := inst.(*plugin.Datasource)

	mux := http.NewServeMux()
	mux.Handle("/", http.FileServer(http.Dir(*static)))
	mux.HandleFunc(resourcePrefix, func(w http.ResponseWriter, r *http.Request) {
		serveResource(ds, w, r)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("http://%s/\n", ln.Addr())
	go func() { _, _ = io.Copy(io.Discard, os.Stdin); os.Exit(0) }()
	log.Fatal(http.Serve(ln, mux))
}

// serveResource hands a request to the plugin as Grafana would: the resource path, the
// whole URL with its query, and the answer streamed back.
func serveResource(ds *plugin.Datasource, w http.ResponseWriter, r *http.Request) {
	req := &backend.CallResourceRequest{
		PluginContext: backend.PluginContext{PluginID: plugin.PluginID},
		Path:          strings.TrimPrefix(r.URL.Path, resourcePrefix),
		Method:        r.Method,
		URL:           r.URL.RequestURI(),
		Headers:       map[string][]string(r.Header),
	}
	err := ds.CallResource(r.Context(), req, backend.CallResourceResponseSenderFunc(func(res *backend.CallResourceResponse) error {
		for k, vs := range res.Headers {
			for _, v := range vs {
				w.Header().Add(k, v)
			}
		}
		if res.Status != 0 {
			w.WriteHeader(res.Status)
		}
		_, err := w.Write(res.Body)
		return err
	}))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
}
