package record

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func testRecord(i int) Record {
	return Record{Job: "bench", NamedBy: NamedByFlag, NixName: "bench-1",
		Outputs: []Output{{Name: "out", Path: fmt.Sprintf("/nix/store/%032d-bench-1", i)}},
		Time:    time.Unix(1700000000+int64(i), 0).UTC(),
		Products: []Artifact{{Name: "bench.json", Path: "/nix/store/x-bench-1/bench.json",
			Content: []byte(fmt.Sprintf(`{"i":%d}`, i%3))}},
		Metrics: []Metric{{Name: "nan", Value: Float(math.NaN())}, {Name: "inf", Value: Float(math.Inf(-1))}, {Name: "x", Value: 1.5, Unit: "s"}}}
}

func TestJournalRoundTripAndCopies(t *testing.T) {
	dir := t.TempDir()
	j, err := OpenJournal(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := j.AppendBuild(testRecord(1)); err != nil {
		t.Fatal(err)
	}
	if err := j.AppendEval(Eval{Project: "p", Jobset: "main", Commit: "abc", Jobs: []EvalJob{{Attr: "bench"}}}); err != nil {
		t.Fatal(err)
	}
	var got []Entry
	next, bad, err := ReadJournal(dir, 0, func(e Entry) error { got = append(got, e); return nil })
	if err != nil || bad != 0 || len(got) != 2 {
		t.Fatalf("read %d entries, %d bad, err %v", len(got), bad, err)
	}
	b := got[0].Build
	if b.Products[0].Content != nil || b.Products[0].SHA256 == "" {
		t.Fatalf("journal line holds content or no hash: %+v", b.Products[0])
	}
	if !math.IsNaN(float64(b.Metrics[0].Value)) || !math.IsInf(float64(b.Metrics[1].Value), -1) || b.Metrics[2].Value != 1.5 {
		t.Fatalf("metrics did not survive JSON: %+v", b.Metrics)
	}
	body, err := ReadCopy(dir, b.Products[0].SHA256, 1<<20)
	if err != nil || string(body) != `{"i":1}` {
		t.Fatalf("copy = %q, %v", body, err)
	}
	if _, err := ReadCopy(dir, b.Products[0].SHA256, 3); err == nil {
		t.Fatal("a copy larger than max was read")
	}
	if _, err := ReadCopy(dir, "../../etc/passwd", 10); err == nil {
		t.Fatal("a hash that is a path was read")
	}
	// Nothing new: the offset stays.
	n2, _, _ := ReadJournal(dir, next, func(Entry) error { t.Fatal("entry read twice"); return nil })
	if n2 != next {
		t.Fatalf("offset moved from %d to %d", next, n2)
	}
}

func TestJournalSkipsBadAndWaitsForIncompleteLines(t *testing.T) {
	dir := t.TempDir()
	j, _ := OpenJournal(dir)
	if err := j.AppendBuild(testRecord(1)); err != nil {
		t.Fatal(err)
	}
	f, _ := os.OpenFile(filepath.Join(dir, JournalFile), os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString("not json\n{\"v\":1,\"kind\":\"build\",\"build\":{}}\n{\"v\":1,\"kind\":\"bu")
	f.Close()
	n := 0
	next, bad, err := ReadJournal(dir, 0, func(Entry) error { n++; return nil })
	if err != nil || n != 1 || bad != 2 {
		t.Fatalf("entries %d, bad %d, err %v", n, bad, err)
	}
	f, _ = os.OpenFile(filepath.Join(dir, JournalFile), os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString("ild\",\"build\":{\"job\":\"j\",\"outputs\":[{\"name\":\"out\",\"path\":\"/nix/store/a-j\"}],\"time\":\"2024-01-01T00:00:00Z\"}}\n")
	f.Close()
	_, _, err = ReadJournal(dir, next, func(e Entry) error {
		n++
		if e.Build.Job != "j" {
			t.Fatalf("completed line read as %+v", e.Build)
		}
		return nil
	})
	if err != nil || n != 2 {
		t.Fatalf("after completion: %d entries, err %v", n, err)
	}
}

func TestJournalConcurrentAppendsLoseNothing(t *testing.T) {
	dir := t.TempDir()
	const writers, each = 8, 50
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			j, err := OpenJournal(dir)
			if err != nil {
				t.Error(err)
				return
			}
			for i := 0; i < each; i++ {
				r := testRecord(w*each + i)
				r.Metrics = append(r.Metrics, Metric{Name: "pad", Value: Float(i), Unit: string(bytes.Repeat([]byte("u"), 5000))})
				if err := j.AppendBuild(r); err != nil {
					t.Error(err)
				}
			}
		}(w)
	}
	wg.Wait()
	seen := map[string]bool{}
	_, bad, err := ReadJournal(dir, 0, func(e Entry) error { seen[e.Build.Key()] = true; return nil })
	if err != nil || bad != 0 || len(seen) != writers*each {
		t.Fatalf("read %d distinct builds of %d, %d bad, err %v", len(seen), writers*each, bad, err)
	}
}

func TestRecordKeyAndValidate(t *testing.T) {
	a, b := testRecord(1), testRecord(1)
	b.Time = b.Time.Add(time.Hour)
	if a.Key() != b.Key() {
		t.Fatal("the same job and output gave two keys")
	}
	b.Job = "other"
	if a.Key() == b.Key() {
		t.Fatal("two jobs gave one key")
	}
	if err := (Record{Job: "x", Time: time.Now()}).Validate(); err == nil {
		t.Fatal("a record without outputs is valid")
	}
}

func TestJournalSkipsOverlongLinesAndSymlinkedCopies(t *testing.T) {
	dir := t.TempDir()
	j, _ := OpenJournal(dir)
	f, _ := os.OpenFile(filepath.Join(dir, JournalFile), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	f.Write(bytes.Repeat([]byte("x"), maxLine+10))
	f.WriteString("\n")
	f.Close()
	r := testRecord(2)
	if err := j.AppendBuild(r); err != nil {
		t.Fatal(err)
	}
	var got []Entry
	next, bad, err := ReadJournal(dir, 0, func(e Entry) error { got = append(got, e); return nil })
	if err != nil || bad != 1 || len(got) != 1 {
		t.Fatalf("entries %d, bad %d, err %v: an over-long line must be skipped, not stop the reader", len(got), bad, err)
	}
	if fi, _ := os.Stat(filepath.Join(dir, JournalFile)); next != fi.Size() {
		t.Fatalf("offset %d, want the end %d", next, fi.Size())
	}
	sha := got[0].Build.Products[0].SHA256
	secret := filepath.Join(t.TempDir(), "secret")
	os.WriteFile(secret, []byte("secret"), 0o644)
	os.Remove(CopyPath(dir, sha))
	if err := os.Symlink(secret, CopyPath(dir, sha)); err != nil {
		t.Fatal(err)
	}
	if b, err := ReadCopy(dir, sha, 100); err == nil {
		t.Fatalf("a symlinked copy was read: %q", b)
	}
}
