package nixbuild_test

import (
	"context"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/nixbuild/nixbuildtest"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

func i64(v int64) *int64 { return &v }

// The seed is a real answer of GET /builds: both builds decode field by field.
func TestSeedBuildsDecodeExactly(t *testing.T) {
	e := newEnv(t, envOpts{seed: true})
	job := query.JobRef{Job: seedJob}
	l, err := e.src.Builds(context.Background(), job, window(seedDay, 10))
	if err != nil {
		t.Fatal(err)
	}
	want := []query.Build{
		{ID: 805823, Job: job, Finished: true, Status: 0, Timestamp: at("2022-08-19T07:33:16.069456Z"),
			Start: at("2022-08-19T07:33:17.53853Z"), Stop: at("2022-08-19T07:33:17.53853Z").Add(459689893 * time.Microsecond),
			NixName: "snix-qemu-6.1.0", System: "x86_64-linux",
			Resources: &query.Resources{Status: "built", QueueSeconds: 1.469074, CPUSeconds: 1839, CPUCount: 4,
				AllocatedBytes: 6574571520, PeakMemoryBytes: i64(1687617536), PeakStorageBytes: i64(2209595392)}},
		{ID: 805810, Job: job, Finished: true, Status: 3, Timestamp: at("2022-08-19T07:31:24.523633Z"),
			Start: at("2022-08-19T07:31:25.398907Z"), Stop: at("2022-08-19T07:31:25.398907Z").Add(23744160 * time.Microsecond),
			NixName: "snix-qemu-6.1.0", System: "x86_64-linux",
			Resources: &query.Resources{Status: "client_disconnect", Message: "ssh session closed", QueueSeconds: 0.875274,
				CPUSeconds: 95, CPUCount: 4, AllocatedBytes: 6574571520, PeakMemoryBytes: i64(842579968), PeakStorageBytes: i64(254681088)}},
	}
	if len(l.Builds) != len(want) || l.Truncated {
		t.Fatalf("got %d builds (truncated %v), want 2", len(l.Builds), l.Truncated)
	}
	for i := range want {
		if !reflect.DeepEqual(l.Builds[i], want[i]) {
			t.Errorf("build %d:\n got %+v %+v\nwant %+v %+v", i, l.Builds[i], *l.Builds[i].Resources, want[i], *want[i].Resources)
		}
	}
	if d := l.Builds[0].Stop.Sub(l.Builds[0].Start).Seconds(); math.Abs(d-459.689893) > 1e-9 {
		t.Errorf("duration %v, want 459.689893 s", d)
	}
}

// Every status word of nixbuild.net's reference maps to a Hydra status, sent under either key.
func TestStatusMapping(t *testing.T) {
	words := []string{"built", "build_failed", "cancelled", "timeout", "internal_error", "out_of_memory",
		"max_memory_exceeded", "client_disconnect", "client_error", "pending", "running"}
	want := map[string]struct {
		code     int
		finished bool
	}{
		"built": {0, true}, "build_failed": {1, true}, "cancelled": {4, true}, "timeout": {7, true},
		"internal_error": {3, true}, "out_of_memory": {1, true}, "max_memory_exceeded": {1, true},
		"client_disconnect": {3, true}, "client_error": {3, true}, "pending": {0, false}, "running": {0, false},
	}
	for _, key := range []bool{false, true} {
		e := newEnv(t, envOpts{})
		nixbuildtest.Generate(e.srv, nixbuildtest.GenOptions{N: len(words), Statuses: words, BuildStatusKey: key})
		tr := window(rangeAround(nixbuildtest.DefaultGenEnd, 24*time.Hour), 100)
		l, err := e.src.Builds(context.Background(), query.JobRef{Job: "bench-*"}, tr)
		if err != nil {
			t.Fatal(err)
		}
		if len(l.Builds) != len(words) {
			t.Fatalf("got %d builds, want %d", len(l.Builds), len(words))
		}
		for i, b := range l.Builds { // newest first, as generated
			w := want[words[i]]
			if b.Resources.Status != words[i] || b.Status != w.code || b.Finished != w.finished {
				t.Errorf("build_status key %v: %s gave status %d finished %v", key, words[i], b.Status, b.Finished)
			}
			if !w.finished && !b.Stop.IsZero() {
				t.Errorf("%s: an unfinished build has a stop time", words[i])
			}
		}
	}
}

func TestArtifactQueriesSayWhichSourcesHaveOutputs(t *testing.T) {
	e := newEnv(t, envOpts{seed: true})
	r := e.run(map[string]any{"queryType": "artifact", "job": seedJob, "product": "bench.json", "path": "x"}, seedDay)
	if r.Error == nil || !contains(r.Error.Error(), "hydra, hydradb, store or index") {
		t.Fatalf("artifact query: %v", r.Error)
	}
}
