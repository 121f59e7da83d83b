package index_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/index"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/record"
)

// t0 is when the seeded history starts; build i of a job is recorded i hours later.
var t0 = time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)

// the window covering every seeded build
var (
	rangeFrom = t0.Add(-24 * time.Hour)
	rangeTo   = t0.Add(60 * 24 * time.Hour)
)

// commit is the commit of builds 2k-1 and 2k: one hex digit, 40 times.
func commit(i int) string { return strings.Repeat(fmt.Sprintf("%x", (i+1)/2%16), 40) }

// drv and out are build i's derivation and output paths in job's history.
func drv(job string, i int) string { return fmt.Sprintf("/nix/store/%032d-%s-%d.drv", i, job, i) }
func out(job string, i int) string { return fmt.Sprintf("/nix/store/%032d-%s-%d", i, job, i) }

// benchDoc is build i's bench.json: a throughput and two benchmark means.
func benchDoc(i int) []byte {
	return fmt.Appendf(nil, `{"results":{"throughput":%d.5},"benchmarks":[{"mean":%d},{"mean":%d}]}`, 100+i, i, 2*i)
}

// build is build i of bench:main:job, named by --job: every fourth failed (without a
// product), the others carry bench.json and the metrics time and maxresident.
func build(job string, i int) record.Record {
	o := out(job, i)
	r := record.Record{Project: "bench", Jobset: "main", Job: job, NamedBy: record.NamedByFlag, DrvPath: drv(job, i),
		Outputs: []record.Output{{Name: "out", Path: o}}, NixName: fmt.Sprintf("%s-%d", job, i), System: "x86_64-linux",
		Commit: commit(i), Time: t0.Add(time.Duration(i) * time.Hour), Host: "runner-1",
		Products: []record.Artifact{{Name: "bench.json", Path: o + "/results/bench.json", Content: benchDoc(i)}},
		Metrics: []record.Metric{{Name: "time", Value: record.Float(200 + i), Unit: "s"},
			{Name: "maxresident", Value: record.Float(1000 * i), Unit: "KiB"}}}
	if i%4 == 0 {
		r.Status, r.Products, r.Metrics = 1, nil, nil
	}
	return r
}

// seed records the scenario the golden tests read: an imported evaluation of the first
// commit (jobs bench and other), then 12 builds of bench (build 5's product recorded by
// hash only) and 3 of bench-gpu, each commit's further builds in an implicit evaluation.
func (e *env) seed() {
	e.t.Helper()
	ctx := context.Background()
	_, err := e.db.WriteEval(ctx, record.Eval{Project: "bench", Jobset: "main", Commit: commit(1), Time: t0,
		Jobs: []record.EvalJob{{Attr: "bench", DrvPath: drv("bench", 1)}, {Attr: "other", DrvPath: drv("other", 1)},
			{Attr: "broken", Error: "attribute 'x' missing"}}})
	must(e.t, err)
	for i := 1; i <= 12; i++ {
		r := build("bench", i)
		if i == 5 {
			r.Products[0].SHA256, r.Products[0].Size, r.Products[0].Content = strings.Repeat("ab", 32), 77, nil
		}
		e.write(r)
	}
	for i := 1; i <= 3; i++ {
		r := build("bench-gpu", i)
		r.Time = r.Time.Add(10*time.Hour + 30*time.Minute) // the newest builds
		e.write(r)
	}
}

// write records r and returns its id.
func (e *env) write(r record.Record) int64 {
	e.t.Helper()
	id, err := e.db.WriteBuild(context.Background(), r)
	must(e.t, err)
	return id
}

// seedMany copies n builds of bench:main:job into the index at once (COPY), ids from
// first, a minute apart, each with its own bench.json and the metrics time, maxresident
// and score, every ten builds in one evaluation of their commit.
func (e *env) seedMany(b testing.TB, job string, n, first int) {
	ctx := context.Background()
	evals := make([][]any, 0, n/10+1)
	builds := make([][]any, 0, n)
	products := make([][]any, 0, n)
	contents := make([][]any, 0, n)
	metrics := make([][]any, 0, 3*n)
	for i := range n {
		id := int64(first + i)
		t := t0.Add(time.Duration(i) * time.Minute)
		eval := int64(first/10 + i/10 + 1)
		c := fmt.Sprintf("%040x", eval)
		if i%10 == 0 {
			evals = append(evals, []any{eval, fmt.Sprintf("implicit:%d", eval), "bench", "main", c, t, true})
		}
		builds = append(builds, []any{id, fmt.Sprintf("%s:%d", job, id), "bench", "main", job, "flag", fmt.Sprintf("%s-%d", job, i),
			"x86_64-linux", c, 0, t, eval})
		doc := fmt.Appendf(nil, `{"results":{"throughput":%d.25,"latency_ms":%d.5,"errors":0},"benchmarks":[`+
			`{"name":"parse","mean":%d.125,"stddev":0.5},{"name":"render","mean":%d.75,"stddev":1.25}],`+
			`"host":{"cpu":"AMD EPYC 7B13","cores":2},"nix":{"version":"2.24.9","system":"x86_64-linux"},"job":%q}`, 1000+i, i%97, i%13, i%17, job)
		sum := sha256.Sum256(doc)
		sha := hex.EncodeToString(sum[:])
		products = append(products, []any{id, 0, "bench.json", fmt.Sprintf("/nix/store/%032d-%s/bench.json", id, job), len(doc), sha})
		contents = append(contents, []any{sha, doc})
		for _, m := range []struct {
			name, unit string
			value      float64
		}{{"time", "s", float64(200 + i%50)}, {"maxresident", "KiB", float64(1000 + i)}, {"score", "", float64(i) / 3}} {
			metrics = append(metrics, []any{id, m.name, m.value, m.unit, "bench", "main", job, t})
		}
	}
	for _, c := range []struct {
		table string
		cols  []string
		rows  [][]any
	}{
		{"evals", []string{"id", "key", "project", "jobset", "commit", "time", "implicit"}, evals},
		{"builds", []string{"id", "key", "project", "jobset", "job", "named_by", "nix_name", "system", "commit", "status", "time", "eval_id"}, builds},
		{"products", []string{"build_id", "nr", "name", "path", "size", "sha256"}, products},
		{"contents", []string{"sha256", "data"}, contents},
		{"metrics", []string{"build_id", "name", "value", "unit", "project", "jobset", "job", "time"}, metrics},
	} {
		if _, err := e.raw.CopyFrom(ctx, pgx.Identifier{index.Schema, c.table}, c.cols, pgx.CopyFromRows(c.rows)); err != nil {
			b.Fatalf("copying %s: %v", c.table, err)
		}
	}
	_, err := e.raw.Exec(ctx, `SELECT setval('nixci.builds_id_seq', (SELECT max(id) FROM nixci.builds)),
		setval('nixci.evals_id_seq', (SELECT max(id) FROM nixci.evals))`)
	must(b, err)
}
