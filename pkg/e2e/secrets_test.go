package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/genproto/pluginv2"
	"github.com/jackc/pgx/v5"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/hydra/hydratest"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/index"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/record"
)

// Distinctive secrets, with characters that URL encoding changes.
const (
	hydraSecret   = "zqHydraRight+Pw/7=@:%x"
	hydraWrong    = "zqHydraWrong+Pw/9=@:%y"
	databaseWrong = "zqDatabaseWrong+Pw/3=@:%w"
)

// secretForms is every spelling of s worth looking for: raw, URL-encoded, JSON-escaped,
// its leading word, and the part of its base64 (standard and URL alphabets) that does
// not depend on where in a longer base64 blob it sits.
func secretForms(s string) []string {
	forms := []string{s, url.QueryEscape(s), url.PathEscape(s)}
	if j, _ := json.Marshal(s); len(j) > 2 {
		forms = append(forms, string(j[1:len(j)-1]))
	}
	word := strings.FieldsFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	})
	if len(word) > 0 && len(word[0]) >= 8 {
		forms = append(forms, word[0])
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
		for k := 0; k < 3; k++ {
			b := enc.EncodeToString([]byte(strings.Repeat("\x00", k) + s))
			if k > 0 {
				b = b[4:] // the first group mixes in the bytes before the secret
			}
			if len(b) > 12 {
				forms = append(forms, b[:len(b)-4]) // so does the last with those after it
			}
		}
	}
	return forms
}

// leak returns the form of a secret found in text, or "".
func leak(text string, secrets []string) string {
	for _, s := range secrets {
		for _, f := range secretForms(s) {
			if strings.Contains(text, f) {
				return f
			}
		}
	}
	return ""
}

func TestSecretFormsAreFound(t *testing.T) {
	s := hydraSecret
	for _, text := range []string{
		"x" + s + "y", "?p=" + url.QueryEscape(s), `{"p":"` + strings.ReplaceAll(s, "/", `\/`) + `"}`,
		"Basic " + base64.StdEncoding.EncodeToString([]byte("alice:"+s)),
		base64.URLEncoding.EncodeToString([]byte("ab" + s + "cd")),
	} {
		if leak(text, []string{s}) == "" {
			t.Errorf("the secret is not found in %q", text)
		}
	}
	if f := leak("Hydra rejected the login of user \"alice\"", []string{s}); f != "" {
		t.Errorf("false positive %q", f)
	}
}

// answers collects everything the plugin gave back, by where it came from.
type answers map[string]string

// exercise asks the plugin everything Grafana can ask it: the health check, every query
// type plus broken queries, every resource route plus broken ones, and its metrics.
func exercise(t *testing.T, p *pluginConn, job map[string]any) answers {
	t.Helper()
	out := answers{}
	h := p.checkHealth(t)
	out["health"] = fmt.Sprintf("%v %s %s", h.Status, h.Message, h.JSONDetails)

	with := func(extra string) string {
		q := map[string]any{}
		for k, v := range job {
			q[k] = v
		}
		_ = json.Unmarshal([]byte(extra), &q)
		b, _ := json.Marshal(q)
		return string(b)
	}
	queries := map[string]string{
		"artifact": with(`{"queryType":"artifact","product":"bench.json","path":"results.throughput"}`),
		"metric":   with(`{"queryType":"metric","metric":"time"}`),
		"builds":   with(`{"queryType":"builds"}`),
		"evals":    with(`{"queryType":"evals","job":""}`),
		"jobs":     with(`{"queryType":"jobs","job":""}`),
		"badjson":  `{"queryType":"artifact","project":`,
		"badtype":  `{"queryType":"nonsense"}`,
		"nojob":    `{"queryType":"artifact","product":"bench.json","path":"x"}`,
	}
	res := rawQuery(t, p, queries)
	for ref := range queries {
		r, ok := res.Responses[ref]
		if !ok {
			t.Errorf("query %s got no response", ref)
			continue
		}
		b, _ := json.Marshal(r)
		text := fmt.Sprintf("OK frames=%d", len(r.Frames))
		if len(r.Frames) > 0 {
			text += fmt.Sprintf(" rows=%d", r.Frames[0].Rows())
		}
		if r.Error != nil {
			text = "ERROR " + r.Error.Error()
		}
		text += "\n" + string(b)
		for _, f := range r.Frames {
			if f.Meta != nil {
				text += "\nexecuted: " + f.Meta.ExecutedQueryString
				for _, n := range f.Meta.Notices {
					text += "\nnotice: " + n.Text
				}
			}
		}
		out["query "+ref] = text
	}
	if r := res.Responses["badjson"]; r.Error == nil {
		t.Errorf("bad query JSON answered without an error")
	}

	q := url.Values{}
	for k, v := range job {
		q.Set(k, fmt.Sprint(v))
	}
	q.Set("product", "bench.json")
	q.Set("path", "results.throughput")
	for _, path := range []string{"projects", "jobsets?" + q.Encode(), "jobs?" + q.Encode(), "metrics?" + q.Encode(),
		"products?" + q.Encode(), "sample?" + q.Encode(), "jobsets", "sample?project=x", "nonsense"} {
		status, body := p.callResource(t, path)
		out["resource "+path] = fmt.Sprintf("%d %s", status, body)
	}

	mr, err := p.diagnostics.CollectMetrics(context.Background(),
		&pluginv2.CollectMetricsRequest{PluginContext: backend.ToProto().PluginContext(p.pluginContext())})
	if err != nil {
		out["metrics"] = "error: " + err.Error()
	} else {
		out["metrics"] = string(mr.GetMetrics().GetPrometheus())
	}
	return out
}

// rawQuery sends queries whose JSON is given as is, so that broken JSON reaches the plugin.
func rawQuery(t *testing.T, p *pluginConn, queries map[string]string) *backend.QueryDataResponse {
	t.Helper()
	req := &backend.QueryDataRequest{PluginContext: p.pluginContext(), Headers: map[string]string{}}
	for ref, raw := range queries {
		req.Queries = append(req.Queries, backend.DataQuery{RefID: ref, JSON: []byte(raw), MaxDataPoints: 1000,
			Interval: time.Minute, TimeRange: backend.TimeRange{From: from, To: to}})
	}
	return p.send(t, req)
}

// checkNoSecret stops the plugin (so its log is complete) and fails when any answer or
// log line carries a secret. It returns the answers and the log for further checks.
func checkNoSecret(t *testing.T, p *pluginConn, a answers, secrets ...string) string {
	t.Helper()
	p.kill()
	logs := p.logs.String()
	if !strings.Contains(logs, `"@level":"debug"`) {
		t.Errorf("no debug lines were captured from the plugin: the log check would see nothing:\n%s", logs)
	}
	for where, text := range a {
		if f := leak(text, secrets); f != "" {
			t.Errorf("a secret (as %q) leaked into the %s: %s", f, where, text)
		}
	}
	if f := leak(logs, secrets); f != "" {
		t.Errorf("a secret (as %q) leaked into the plugin's log:\n%s", f, logs)
	}
	return logs
}

// closedURL is an address where nothing listens.
func closedAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

var hydraJob = map[string]any{"project": "bench", "jobset": "main", "job": "bench"}

// echo500 answers like a Hydra whose error page shows the whole request (headers, cookies
// and body), as JSON when JSON was asked for.
func echo500(w http.ResponseWriter, r *http.Request) {
	dump, _ := httputil.DumpRequest(r, true)
	if strings.Contains(r.Header.Get("Accept"), "json") {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": "internal error; request was:\n" + string(dump)})
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(http.StatusInternalServerError)
	_, _ = w.Write(dump)
}

// sessions records the Hydra session cookies the plugin sent: tokens that must not leave
// the plugin either.
type sessions struct {
	mu   sync.Mutex
	seen []string
}

func (k *sessions) record(r *http.Request) {
	if c, err := r.Cookie(hydratest.SessionCookie); err == nil {
		k.mu.Lock()
		k.seen = append(k.seen, c.Value)
		k.mu.Unlock()
	}
}

func (k *sessions) list() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]string(nil), k.seen...)
}

func TestNoSecretLeavesThePluginHydra(t *testing.T) {
	// private is a private Hydra that records session cookies and answers the requests
	// echo picks with a 500 echoing them.
	private := func(t *testing.T, k *sessions, echo func(*http.Request) bool) string {
		srv := hydratest.New()
		t.Cleanup(srv.Close)
		srv.SetPrivate("alice", hydraSecret)
		hydratest.GenerateJob(srv, hydratest.GenOptions{N: 5})
		srv.Intercept(func(w http.ResponseWriter, r *http.Request) bool {
			k.record(r)
			if echo(r) {
				echo500(w, r)
				return true
			}
			return false
		})
		return srv.URL
	}
	never := func(*http.Request) bool { return false }
	user := map[string]any{"hydraUser": "alice", "timeoutSeconds": 5}
	cases := []struct {
		name     string
		url      func(t *testing.T, k *sessions) string
		password string
		ok       bool
	}{
		{"right password", func(t *testing.T, k *sessions) string { return private(t, k, never) }, hydraSecret, true},
		{"wrong password", func(t *testing.T, k *sessions) string { return private(t, k, never) }, hydraWrong, false},
		{"hydra down", func(t *testing.T, _ *sessions) string { return "http://" + closedAddr(t) }, hydraSecret, false},
		{"500 echoing every request, the login too", func(t *testing.T, k *sessions) string {
			return private(t, k, func(*http.Request) bool { return true })
		}, hydraSecret, false},
		{"500 echoing every request after the login", func(t *testing.T, k *sessions) string {
			return private(t, k, func(r *http.Request) bool { return r.URL.Path != "/login" })
		}, hydraSecret, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			k := &sessions{}
			p := launch(t, c.url(t, k), user, map[string]string{"hydraPassword": c.password})
			a := exercise(t, p, hydraJob)
			checkNoSecret(t, p, a, append(k.list(), hydraSecret, hydraWrong)...)
			if ok := strings.HasPrefix(a["health"], "OK"); ok != c.ok {
				t.Errorf("health: %s", a["health"])
			}
			if ok := strings.HasPrefix(a["query artifact"], "OK frames=1 rows="); ok != c.ok {
				t.Errorf("artifact query: %s", a["query artifact"])
			}
			if strings.HasSuffix(c.name, "after the login") && len(k.list()) == 0 {
				t.Errorf("no session cookie was sent: the case shows nothing")
			}
		})
	}
}

// TestDownloadsStayWithTheConfiguredHydra: a Hydra that redirects downloads to another
// origin (another port on the same address, where the cookie jar would send the session
// cookie, or another host name) gets no request there, so the session cookie stays home.
func TestDownloadsStayWithTheConfiguredHydra(t *testing.T) {
	var mu sync.Mutex
	var got []string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Method+" "+r.URL.String()+" cookie="+r.Header.Get("Cookie"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"results":{"throughput":1}}`))
	}))
	t.Cleanup(other.Close)
	_, port, _ := net.SplitHostPort(other.Listener.Addr().String())
	for name, target := range map[string]string{"same address, other port": other.URL, "other host name": "http://localhost:" + port} {
		t.Run(name, func(t *testing.T) {
			srv := hydratest.New()
			t.Cleanup(srv.Close)
			srv.SetPrivate("alice", hydraSecret)
			hydratest.GenerateJob(srv, hydratest.GenOptions{N: 3})
			srv.Intercept(func(w http.ResponseWriter, r *http.Request) bool {
				if strings.Contains(r.URL.Path, "/download/") {
					http.Redirect(w, r, target+r.URL.Path, http.StatusFound)
					return true
				}
				return false
			})
			p := launch(t, srv.URL, map[string]any{"hydraUser": "alice"}, map[string]string{"hydraPassword": hydraSecret})
			res := p.queryData(t, from, to, map[string]map[string]any{"A": {"queryType": "artifact", "project": "bench",
				"jobset": "main", "job": "bench", "product": "bench.json", "path": "results.throughput"}})
			b, _ := json.Marshal(res.Responses["A"])
			if !strings.Contains(string(b), "another host") {
				t.Errorf("the answer does not say the redirect left the Hydra: %s", b)
			}
			if srv.Sessions() == 0 {
				t.Errorf("the plugin never logged in: the test shows nothing about the cookie")
			}
			checkNoSecret(t, p, answers{"query": string(b)}, hydraSecret)
			mu.Lock()
			defer mu.Unlock()
			if len(got) != 0 {
				t.Fatalf("the redirect was followed to another origin: %q", got)
			}
		})
	}
}

// testDatabase is the PostgreSQL that scripts/postgres starts; in CI its absence fails.
func testDatabase(t *testing.T) (string, string) {
	u, password := os.Getenv("NIXCI_TEST_DATABASE_URL"), os.Getenv("NIXCI_TEST_DATABASE_PASSWORD")
	if u == "" {
		msg := `NIXCI_TEST_DATABASE_URL is not set: run  eval "$(scripts/postgres)"  first`
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return u, password
}

// freshDatabase makes a database dropped when the test ends, runs setup in it, and returns
// its URL.
func freshDatabase(t *testing.T, setup func(ctx context.Context, c *pgx.Conn) error) string {
	base, password := testDatabase(t)
	ctx := context.Background()
	connect := func(u string) *pgx.Conn {
		cfg, err := pgx.ParseConfig(u)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Password = password
		c, err := pgx.ConnectConfig(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	name := pgx.Identifier{fmt.Sprintf("nixci_e2e_secrets_%d_%d", time.Now().UnixNano(), os.Getpid())}.Sanitize()
	admin := connect(base)
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c := connect(base)
		defer c.Close(ctx)
		_, _ = c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	u, _ := url.Parse(base)
	u.Path = "/" + strings.Trim(name, `"`)
	c := connect(u.String())
	defer c.Close(ctx)
	if err := setup(ctx, c); err != nil {
		t.Fatal(err)
	}
	return u.String()
}

// seedHydraDB loads Hydra's schema and the builds of the fake Hydra srv into c.
func seedHydraDB(srv *hydratest.Server, builds []hydratest.Build) func(context.Context, *pgx.Conn) error {
	return func(ctx context.Context, c *pgx.Conn) error {
		schema, err := os.ReadFile("../hydradb/testdata/hydra-schema.sql")
		if err != nil {
			return err
		}
		if _, err := c.Exec(ctx, string(schema)); err != nil {
			return err
		}
		if _, err := c.Exec(ctx, `INSERT INTO projects (name, displayname, owner) VALUES ('bench', 'bench', 'alice');
			INSERT INTO jobsets (name, id, project, nixexprinput, nixexprpath, emailoverride) VALUES ('main', 1, 'bench', 'src', 'release.nix', '')`); err != nil {
			return err
		}
		for _, b := range builds {
			if _, err := c.Exec(ctx, `INSERT INTO builds (id, finished, timestamp, jobset_id, job, nixname, drvpath, system,
				starttime, stoptime, buildstatus, iscachedbuild, iscurrent) VALUES ($1, 1, $2, 1, $3, $3, $4, 'x86_64-linux', $5, $6, $7, 0, 1)`,
				b.ID, b.Timestamp, b.Job, b.DrvPath, b.StartTime, b.StopTime, b.Status); err != nil {
				return err
			}
			if _, err := c.Exec(ctx, `INSERT INTO jobsetevals (id, jobset_id, timestamp, checkouttime, evaltime, hasnewbuilds, hash, nrbuilds, nixexprinput, nixexprpath)
				VALUES ($1, 1, $2, 1, 5, 1, $3, 1, 'src', 'release.nix')`, b.ID, b.Timestamp, fmt.Sprintf("hash-%d", b.ID)); err != nil {
				return err
			}
			if _, err := c.Exec(ctx, `INSERT INTO jobsetevalmembers (eval, build, isnew) VALUES ($1, $1, 1)`, b.ID); err != nil {
				return err
			}
			for name, path := range b.Outputs {
				if _, err := c.Exec(ctx, `INSERT INTO buildoutputs (build, name, path) VALUES ($1, $2, $3)`, b.ID, name, path); err != nil {
					return err
				}
			}
			for i, pr := range b.Products {
				if _, err := c.Exec(ctx, `INSERT INTO buildproducts (build, productnr, type, subtype, name, path, filesize)
					VALUES ($1, $2, $3, $4, $5, $6, $7)`, b.ID, i+1, pr.Type, pr.Subtype, pr.Name, pr.Path, len(b.Files[pr.Path])); err != nil {
					return err
				}
			}
			for name, m := range b.Metrics {
				if _, err := c.Exec(ctx, `INSERT INTO buildmetrics (build, name, unit, value, project, jobset, job, timestamp)
					VALUES ($1, $2, $3, $4, 'bench', 'main', $5, $6)`, b.ID, name, m.Unit, m.Value, b.Job, b.Timestamp); err != nil {
					return err
				}
			}
		}
		return nil
	}
}

// seedIndex migrates the build index in the database at u and records two builds of bench.
func seedIndex(t *testing.T, u, password string) {
	ctx := context.Background()
	db, err := index.Open(ctx, index.Options{URL: u, Password: password})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	for i, v := range []string{"41.5", "42.5"} {
		out := fmt.Sprintf("/nix/store/%032d-bench", i)
		if _, err := db.WriteBuild(ctx, record.Record{Job: "bench", NamedBy: record.NamedByFlag,
			Outputs: []record.Output{{Name: "out", Path: out}}, Time: hydratest.DefaultGenEnd.Add(time.Duration(i-2) * time.Hour),
			Products: []record.Artifact{{Name: "bench.json", Path: out + "/bench.json",
				Content: []byte(`{"results":{"throughput":` + v + `}}`)}}}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestNoSecretLeavesThePluginDatabase(t *testing.T) {
	_, password := testDatabase(t)
	if len(password) < 6 {
		t.Logf("the test database's password %q is too short to look for; only the wrong ones are", password)
		password = databaseWrong
	}
	public := hydratest.New() // for hydradb's downloads and links
	t.Cleanup(public.Close)
	builds := hydratest.GenerateJob(public, hydratest.GenOptions{N: 5})
	down := "postgres://nixci@" + closedAddr(t) + "/nixci_test?sslmode=disable"

	type dbCase struct {
		name, password string
		url            func(t *testing.T) string
		ok             bool
	}
	for _, source := range []string{"hydradb", "index"} {
		good := func(t *testing.T) string {
			if source == "hydradb" {
				return freshDatabase(t, seedHydraDB(public, builds))
			}
			u := freshDatabase(t, func(context.Context, *pgx.Conn) error { return nil })
			seedIndex(t, u, password)
			return u
		}
		job := hydraJob
		if source == "index" {
			job = map[string]any{"job": "bench"}
		}
		for _, c := range []dbCase{
			{"right password", password, good, true},
			{"wrong password", databaseWrong, good, false},
			{"database down", databaseWrong, func(*testing.T) string { return down }, false},
		} {
			t.Run(source+"/"+c.name, func(t *testing.T) {
				jsonData := map[string]any{"source": source, "database": c.url(t), "timeoutSeconds": 5}
				p := launch(t, public.URL, jsonData, map[string]string{"databasePassword": c.password})
				a := exercise(t, p, job)
				checkNoSecret(t, p, a, password, databaseWrong)
				if ok := strings.HasPrefix(a["health"], "OK"); ok != c.ok {
					t.Errorf("health: %s", a["health"])
				}
				if ok := strings.HasPrefix(a["query artifact"], "OK frames=1 rows="); ok != c.ok {
					t.Errorf("artifact query: %s", a["query artifact"])
				}
			})
		}
	}
}
