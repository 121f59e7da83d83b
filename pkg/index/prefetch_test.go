package index_test

import (
	"testing"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/index"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/testutil"
)

// Artifacts are read many builds at a time: every build gets its own artifact, none is
// left behind once asked for, and what is read ahead for nothing stays bounded.
func TestArtifactsReadInBatches(t *testing.T) {
	e := newEnv(t)
	const n = 1_200
	e.seedMany(t, "bench", n, 1)
	e.seedMany(t, "other", n, n+1)
	q := func(job string, limit int) map[string]any {
		return testutil.Job(map[string]any{"queryType": "artifact", "job": job, "product": "bench.json",
			"path": "results.throughput", "limit": limit})
	}
	// two jobs at once, as two panels of a dashboard
	done := make(chan struct{})
	go func() {
		defer close(done)
		if r := e.run(q("other", n)); r.Error != nil || r.Frames[0].Rows() != n {
			t.Errorf("other: %v", r.Error)
		}
	}()
	r := e.run(q("bench", n))
	<-done
	testutil.MustOK(t, r)
	f := r.Frames[0]
	if f.Rows() != n {
		t.Fatalf("%d points, want %d", f.Rows(), n)
	}
	for i := range n { // build i+1 is the i-th oldest; its throughput is 1000+i.25
		if v := f.Fields[1].At(i).(float64); v != float64(1000+i)+0.25 || f.Fields[2].At(i).(int64) != int64(i+1) {
			t.Fatalf("point %d: build %d, value %v", i, f.Fields[2].At(i), v)
		}
	}
	// only an ask lagging a whole batch behind the others reads a build again along
	if u := e.src.Unclaimed(); u > n/50 {
		t.Fatalf("%d artifacts read and never asked for", u)
	}
	// fresh engines asking for few builds each time: the reads ahead for nothing stay bounded
	for limit := 1; limit <= 6; limit++ {
		testutil.MustOK(t, runOn(engineOf(e.src), q("other", limit)))
		testutil.MustOK(t, runOn(engineOf(e.src), q("bench", limit*200)))
	}
	if u := e.src.Unclaimed(); u > index.MaxUnclaimed+index.BatchSize {
		t.Fatalf("%d artifacts read ahead and kept", u)
	}
}
