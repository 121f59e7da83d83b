package hydradb_test

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/hydra/hydratest"
)

// row is one row to insert: column name -> value (nil for NULL).
type row map[string]any

// insert writes rows into a table of the test database, every value bound.
func (e *env) insert(table string, rows ...row) {
	e.t.Helper()
	for _, r := range rows {
		cols := make([]string, 0, len(r))
		for c := range r {
			cols = append(cols, c)
		}
		sort.Strings(cols)
		args := make([]any, len(cols))
		marks := make([]string, len(cols))
		for i, c := range cols {
			args[i], marks[i] = r[c], fmt.Sprintf("$%d", i+1)
		}
		sql := fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s)", pgx.Identifier{table}.Sanitize(),
			strings.Join(cols, ", "), strings.Join(marks, ", "))
		if _, err := e.db.Exec(context.Background(), sql, args...); err != nil {
			e.t.Fatalf("seeding %s %v: %v", table, r, err)
		}
	}
}

// exec runs seeding SQL.
func (e *env) exec(sql string, args ...any) {
	e.t.Helper()
	if _, err := e.db.Exec(context.Background(), sql, args...); err != nil {
		e.t.Fatalf("%s: %v", sql, err)
	}
}

// project and jobset rows, added once.
func (e *env) ensureProject(name string) {
	e.exec(`INSERT INTO projects (name, displayname, description, owner) VALUES ($1, $2, $3, 'admin') ON CONFLICT DO NOTHING`,
		name, strings.ToUpper(name[:1])+name[1:], "the "+name+" project")
}

// ensureJobset adds a legacy jobset (flake == "") or a flake jobset and returns its id.
func (e *env) ensureJobset(project, name, flake string) int64 {
	e.ensureProject(project)
	var id int64
	err := e.db.QueryRow(context.Background(), `SELECT id FROM jobsets WHERE project = $1 AND name = $2`, project, name).Scan(&id)
	if err == nil {
		return id
	}
	r := row{"project": project, "name": name, "emailoverride": "", "type": 0, "nixexprinput": "src", "nixexprpath": "release.nix"}
	if flake != "" {
		r = row{"project": project, "name": name, "emailoverride": "", "type": 1, "flake": flake}
	}
	e.insert("jobsets", r)
	if err := e.db.QueryRow(context.Background(), `SELECT id FROM jobsets WHERE project = $1 AND name = $2`, project, name).Scan(&id); err != nil {
		e.t.Fatal(err)
	}
	return id
}

// generate adds a synthetic job history to both the fake Hydra (hydratest.GenerateJob)
// and the database, row for row as Hydra would store it, so both sources see one Hydra.
func (e *env) generate(o hydratest.GenOptions) []hydratest.Build {
	e.t.Helper()
	builds := hydratest.GenerateJob(e.srv, o)
	if o.FirstEvalID == 0 {
		o.FirstEvalID = builds[0].ID
	}
	for i, b := range builds {
		e.addBuild(b, 0)
		// one eval per build with a git input "src", as GenerateJob records it
		rev := sha1.Sum([]byte(fmt.Sprintf("%s/%s/%s/%d", b.Project, b.Jobset, b.Job, b.ID)))
		e.addEval(b.Project, b.Jobset, o.FirstEvalID+int64(i), b.Timestamp, "", []int64{b.ID}, nil,
			row{"name": "src", "type": "git", "uri": "https://example.org/" + b.Project + ".git", "revision": hex.EncodeToString(rev[:])})
	}
	return builds
}

// addBuild inserts a build with its outputs, products and metrics. cached marks a build
// whose outputs were valid already (iscachedbuild = 1).
func (e *env) addBuild(b hydratest.Build, cached int) {
	e.t.Helper()
	jsID := e.ensureJobset(b.Project, b.Jobset, "")
	drv := b.DrvPath
	if drv == "" {
		drv = "/nix/store/" + fmt.Sprintf("%032d", b.ID) + "-" + b.Job + ".drv"
	}
	r := row{"id": b.ID, "finished": 0, "timestamp": b.Timestamp, "jobset_id": jsID, "job": b.Job, "nixname": b.NixName,
		"drvpath": drv, "system": b.System, "iscurrent": 1, "size": b.Size, "closuresize": b.ClosureSize}
	if b.Finished {
		r["finished"], r["buildstatus"], r["starttime"], r["stoptime"], r["iscachedbuild"] = 1, b.Status, b.StartTime, b.StopTime, cached
	}
	e.insert("builds", r)
	for name, path := range b.Outputs {
		e.insert("buildoutputs", row{"build": b.ID, "name": name, "path": path})
	}
	for i, p := range b.Products {
		pr := row{"build": b.ID, "productnr": i + 1, "type": p.Type, "subtype": p.Subtype, "name": p.Name, "path": p.Path, "defaultpath": nil}
		if body, ok := b.Files[p.Path]; ok && !p.Dir {
			sum := sha256.Sum256(body)
			pr["filesize"], pr["sha256hash"] = int64(len(body)), hex.EncodeToString(sum[:])
		} else if !p.Dir && p.FileSize > 0 {
			pr["filesize"] = p.FileSize
		}
		e.insert("buildproducts", pr)
	}
	for name, m := range b.Metrics {
		var unit any
		if m.Unit != "" {
			unit = m.Unit
		}
		e.insert("buildmetrics", row{"build": b.ID, "name": name, "unit": unit, "value": m.Value,
			"project": b.Project, "jobset": b.Jobset, "job": b.Job, "timestamp": b.Timestamp})
	}
}

// addEval inserts an evaluation that added builds: members are new in it unless listed in
// old; inputs are its JobsetEvalInputs rows (altnr 0).
func (e *env) addEval(project, jobset string, id, ts int64, flake string, members, old []int64, inputs ...row) {
	e.t.Helper()
	jsID := e.ensureJobset(project, jobset, flake)
	r := row{"id": id, "jobset_id": jsID, "timestamp": ts, "checkouttime": 1, "evaltime": 5, "hasnewbuilds": 1,
		"hash": fmt.Sprintf("hash-%d", id), "nrbuilds": len(members) + len(old)}
	if flake != "" {
		r["flake"] = flake
	} else {
		r["nixexprinput"], r["nixexprpath"] = "src", "release.nix"
	}
	if len(members)+len(old) == 0 {
		r["hasnewbuilds"] = 0
	}
	e.insert("jobsetevals", r)
	for _, in := range inputs {
		in["eval"], in["altnr"] = id, 0
		e.insert("jobsetevalinputs", in)
	}
	for _, b := range members {
		e.insert("jobsetevalmembers", row{"eval": id, "build": b, "isnew": 1})
	}
	for _, b := range old {
		e.insert("jobsetevalmembers", row{"eval": id, "build": b, "isnew": 0})
	}
}

// writeStore puts a file into the test's local store and returns its absolute path.
func (e *env) writeStore(rel string, body []byte) string {
	e.t.Helper()
	p := filepath.Join(e.store, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(p, body, 0o644); err != nil {
		e.t.Fatal(err)
	}
	return p
}

// Times of the hand-written scenario below, just before the generated builds end.
var demoTS = hydratest.DefaultGenEnd.Add(-3 * 3600e9).Unix()

// seedDemo adds what only a database shows, in project "demo", jobset "flake": job bench
// has a successful build whose products are in the local store, a cached build (outputs
// valid already: start = stop, products and metrics copied) and an unfinished build; job
// slow timed out; one evaluation added no builds. It returns the store path of bench.json.
func (e *env) seedDemo() string {
	e.t.Helper()
	const flake = "github:o/r"
	rev1, rev2, rev3 := strings.Repeat("1a", 20), strings.Repeat("2b", 20), strings.Repeat("3c", 20)
	out := filepath.Join(e.store, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-bench")
	file := e.writeStore("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-bench/bench.json", []byte(`{"results":{"throughput":42.5}}`))
	e.writeStore("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-bench/results/deep.json", []byte(`{"x":7}`))
	e.ensureJobset("demo", "flake", flake)
	mk := func(id int64, job string, ts int64, finished bool, status int, start, stop int64) hydratest.Build {
		return hydratest.Build{ID: id, Project: "demo", Jobset: "flake", Job: job, Finished: finished, Status: status,
			Timestamp: ts, StartTime: start, StopTime: stop, NixName: "bench-1.0", System: "x86_64-linux"}
	}
	withOut := func(b hydratest.Build) hydratest.Build {
		b.Outputs = map[string]string{"out": out}
		b.Products = []hydratest.Product{{Type: "file", Subtype: "json", Name: "bench.json", Path: file},
			{Type: "nix-build", Name: filepath.Base(out), Path: out, Dir: true}}
		b.Files = map[string][]byte{file: []byte(`{"results":{"throughput":42.5}}`)}
		b.Metrics = map[string]hydratest.Metric{"time": {Value: 12.5, Unit: "s"}, "maxresident": {Value: 2048, Unit: "KiB"}}
		return b
	}
	e.addBuild(withOut(mk(500, "bench", demoTS, true, 0, demoTS+10, demoTS+70)), 0)
	e.addEval("demo", "flake", 600, demoTS, flake+"/"+rev1, []int64{500}, nil)
	// the next commit changed the job: a new build whose outputs were valid already
	e.addBuild(withOut(mk(501, "bench", demoTS+3600, true, 0, demoTS+3605, demoTS+3605)), 1)
	e.addEval("demo", "flake", 601, demoTS+3600, flake+"/"+rev2, []int64{501}, nil)
	// a commit that changed no output: an evaluation without new builds or members
	e.addEval("demo", "flake", 602, demoTS+5400, flake+"/"+strings.Repeat("9f", 20), nil, nil)
	// then job slow timed out, and bench's new build is still queued
	e.addBuild(mk(502, "slow", demoTS+7200, true, 7, demoTS+7210, demoTS+7500), 0)
	e.addBuild(mk(503, "bench", demoTS+7200, false, 0, 0, 0), 0)
	e.addEval("demo", "flake", 603, demoTS+7200, "git+https://example.org/r?ref=main&rev="+rev3, []int64{502, 503}, nil)
	return file
}
