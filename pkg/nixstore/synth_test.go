package nixstore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/testutil"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/cache"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/record"
)

// synthStore is a made-up Nix store for tests that need no Nix: a directory of outputs
// and a state directory whose db/db.sqlite has Nix's schema, written by the test only.
type synthStore struct {
	tb           testing.TB
	store, state string
	db           *sql.DB
}

func newSynthStore(tb testing.TB) *synthStore {
	tb.Helper()
	s := &synthStore{tb: tb, store: filepath.Join(tb.TempDir(), "store"), state: tb.TempDir()}
	for _, d := range []string{s.store, filepath.Join(s.state, "db")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			tb.Fatal(err)
		}
	}
	db, err := sql.Open("sqlite", filepath.Join(s.state, "db", "db.sqlite")+"?_pragma=busy_timeout(10000)")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	if _, err := db.Exec(testutil.NixSchema); err != nil {
		tb.Fatal(err)
	}
	s.db = db
	return s
}

// storePath is where an output named name lands: a 32-character hash of the name in
// Nix's base-32 alphabet, a dash and the name.
func (s *synthStore) storePath(name string) string {
	const alphabet = "0123456789abcdfghijklmnpqrsvwxyz"
	sum := sha256.Sum256([]byte(name))
	h := make([]byte, hashLen)
	for i := range h {
		h[i] = alphabet[sum[i]%32]
	}
	return filepath.Join(s.store, string(h)+"-"+name)
}

// output is one path to add: its name, registration time and files (path → content).
type output struct {
	name  string
	reg   time.Time
	files map[string]string
}

// add writes the outputs and registers them (and a .drv for each) in one transaction.
func (s *synthStore) add(outs ...output) []string {
	s.tb.Helper()
	tx, err := s.db.Begin()
	if err != nil {
		s.tb.Fatal(err)
	}
	ins, err := tx.Prepare(`INSERT INTO ValidPaths (path, hash, registrationTime, deriver, narSize, ultimate) VALUES (?, 'sha256:0', ?, ?, 1, 1)`)
	if err != nil {
		s.tb.Fatal(err)
	}
	var paths []string
	for _, o := range outs {
		p := s.storePath(o.name)
		for f, body := range o.files {
			if err := os.MkdirAll(filepath.Dir(filepath.Join(p, f)), 0o755); err != nil {
				s.tb.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(p, f), []byte(body), 0o644); err != nil {
				s.tb.Fatal(err)
			}
		}
		drv := s.storePath(o.name + ".drv")
		if _, err := ins.Exec(drv, o.reg.Unix(), nil); err != nil {
			s.tb.Fatal(err)
		}
		if _, err := ins.Exec(p, o.reg.Unix(), drv); err != nil {
			s.tb.Fatal(err)
		}
		paths = append(paths, p)
	}
	if err := tx.Commit(); err != nil {
		s.tb.Fatal(err)
	}
	return paths
}

// bench is an output named name with bench.json {"results":{"throughput":v}} and
// nix-support/hydra-metrics "time v s".
func bench(name string, reg time.Time, v int) output {
	return output{name: name, reg: reg, files: map[string]string{
		"bench.json":                fmt.Sprintf(`{"results":{"throughput":%d}}`, v),
		"nix-support/hydra-metrics": fmt.Sprintf("time %d s\n", v),
	}}
}

// collect deletes paths as nix-collect-garbage does: their rows and their files.
func (s *synthStore) collect(paths ...string) {
	s.tb.Helper()
	for _, p := range paths {
		if _, err := s.db.Exec(`DELETE FROM ValidPaths WHERE path = ?`, p); err != nil {
			s.tb.Fatal(err)
		}
		if err := os.RemoveAll(p); err != nil {
			s.tb.Fatal(err)
		}
	}
}

// journal opens the state directory's journal for appending.
func (s *synthStore) journal() *record.Journal {
	s.tb.Helper()
	j, err := record.OpenJournal(record.DefaultDir(s.state))
	if err != nil {
		s.tb.Fatal(err)
	}
	return j
}

// source opens a Source on the store that refreshes every `every`, with an engine.
func (s *synthStore) source(every time.Duration) (*Source, *query.Engine) {
	s.tb.Helper()
	src, err := NewSource(Options{StoreDir: s.store, StateDir: s.state, Refresh: every})
	if err != nil {
		s.tb.Fatal(err)
	}
	s.tb.Cleanup(func() { _ = src.Close() })
	return src, query.NewEngine(src, cache.New(64<<20), query.Options{FullJob: false})
}

// listing lists the builds of job in the last day, newest first.
func listing(tb testing.TB, src *Source, job query.JobRef, limit int) query.Listing {
	tb.Helper()
	l, err := src.Builds(context.Background(), job, query.Window{From: time.Now().Add(-24 * time.Hour), To: time.Now().Add(time.Hour), Limit: limit})
	if err != nil {
		tb.Fatal(err)
	}
	return l
}

// names are the NixNames of a listing's builds.
func names(l query.Listing) []string {
	var out []string
	for _, b := range l.Builds {
		out = append(out, b.NixName)
	}
	return out
}

// waitRefresh waits until the index is older than its interval, so that the next query
// refreshes it.
func waitRefresh(src *Source) { time.Sleep(src.x.every + 5*time.Millisecond) }

// waitListing lists job until want says the listing is as expected (a garbage collection
// is seen by the next count of all rows, which is spaced out), at most 10 s.
func waitListing(tb testing.TB, src *Source, job query.JobRef, want func(query.Listing) bool) query.Listing {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		waitRefresh(src)
		l := listing(tb, src, job, 10)
		if want(l) || time.Now().After(deadline) {
			return l
		}
	}
}
