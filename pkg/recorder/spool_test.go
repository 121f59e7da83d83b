package recorder

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/record"
)

func TestSpoolKeepsOrderAndMovesBadFilesAside(t *testing.T) {
	s := NewSpool(t.TempDir())
	if files, err := s.Pending(); err != nil || len(files) != 0 {
		t.Fatalf("an empty spool lists %v, %v", files, err)
	}
	rec := record.Record{Job: "j", Outputs: []record.Output{{Name: "out", Path: "/nix/store/a-j"}}, Time: time.Now(),
		Products: []record.Artifact{{Name: "b.json", Content: []byte("{}")}}}
	first, err := s.Put(record.Entry{Kind: record.KindBuild, Build: &rec})
	must(t, err)
	second, err := s.Put(record.Entry{Kind: record.KindEval, Eval: &record.Eval{Project: "p"}})
	must(t, err)
	must(t, os.WriteFile(filepath.Join(s.Dir(), "00000000000000000000-1-bad.json"), []byte("{"), 0o600))
	files, _ := s.Pending()
	if len(files) != 3 || files[1] != first || files[2] != second {
		t.Fatalf("pending %v, want the bad file, then %s, %s", files, first, second)
	}
	if _, err := s.Load(files[0]); !errors.Is(err, ErrBadSpoolFile) {
		t.Fatalf("bad file: %v", err)
	}
	if _, err := os.Stat(filepath.Join(s.Dir(), "bad", filepath.Base(files[0]))); err != nil {
		t.Fatalf("bad file not moved aside: %v", err)
	}
	e, err := s.Load(first)
	if err != nil || e.Build == nil || string(e.Build.Products[0].Content) != "{}" {
		t.Fatalf("spooled build lost its content: %+v, %v", e, err)
	}
	must(t, s.Done(first))
	must(t, s.Done(first)) // twice (another process delivered it) is fine
}

func TestRecorderWithoutIndexKeepsTheJournal(t *testing.T) {
	dir := t.TempDir()
	j, err := record.OpenJournal(dir)
	must(t, err)
	r := &Recorder{Journal: j, Names: NewNames(dir), Spool: NewSpool(dir)}
	rec := record.Record{Job: "j", Outputs: []record.Output{{Name: "out", Path: "/nix/store/a-j"}}, Time: time.Now()}
	must(t, r.Build(context.Background(), rec))
	if err := r.Build(context.Background(), record.Record{Job: "j"}); err == nil {
		t.Fatal("an invalid record was kept")
	}
	n := 0
	_, _, err = record.ReadJournal(dir, 0, func(record.Entry) error { n++; return nil })
	if err != nil || n != 1 {
		t.Fatalf("journal holds %d entries, %v", n, err)
	}
	if _, _, err := r.Flush(context.Background()); err == nil {
		t.Fatal("Flush without an index did not say so")
	}
}
