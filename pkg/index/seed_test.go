package index_test

import (
	"context"
	"fmt"
	"strings"
	"time"

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
