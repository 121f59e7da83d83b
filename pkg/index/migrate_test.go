package index_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/index"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/testutil"
)

// Runners start at once against an empty database: each opens its own pool and migrates;
// one schema results, and migrating again changes nothing.
func TestMigrateTwiceAndConcurrently(t *testing.T) {
	name := freshDB(t)
	e := &env{t: t, name: name}
	ctx := context.Background()
	migrateAtOnce(t, e, 6)
	e = openEnv(t, name)
	must(t, e.db.Migrate(ctx))
	if n := e.count(`SELECT count(*) FROM nixci.schema_version`); n != index.NewestSchema {
		t.Fatalf("%d schema versions recorded, want %d", n, index.NewestSchema)
	}
	if n := e.count(`SELECT count(*) FROM pg_namespace WHERE nspname = $1`, index.Schema); n != 1 {
		t.Fatalf("%d schemas named %s", n, index.Schema)
	}
	if n := e.count(`SELECT count(*) FROM pg_tables WHERE schemaname = $1`, index.Schema); n != 9 {
		t.Fatalf("%d tables in %s, want 9", n, index.Schema)
	}
	msg, err := e.src.Health(ctx)
	if err != nil || !strings.Contains(msg, "schema version 2") || !strings.Contains(msg, "nothing recorded yet") {
		t.Fatalf("Health of an empty index: %q, %v", msg, err)
	}
}

// A database without the index: the source says which command creates it, and the
// writer creates it.
func TestDatabaseWithoutTheIndex(t *testing.T) {
	name := freshDB(t)
	e := &env{t: t, name: name}
	src := e.source(index.Options{})
	for _, err := range []error{health(src), queryError(src)} {
		says(t, err, testPassword, "has no build index", "nixci-artifacts migrate")
	}
	must(t, e.writer().Migrate(context.Background()))
	// the same source serves once the schema exists
	if err := health(src); err != nil {
		t.Fatalf("after migrating: %v", err)
	}
}

// migrateAtOnce has n runners, each with its own pool, migrate e's database at once.
func migrateAtOnce(t *testing.T, e *env, n int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := index.Open(context.Background(), e.opts(index.Options{MaxConns: 2}))
			if err == nil {
				defer db.Close()
				err = db.Migrate(context.Background())
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("runner %d: %v", i, err)
		}
	}
}

func health(src *index.Source) error {
	_, err := src.Health(context.Background())
	return err
}

// queryError runs a builds query on src through the engine and returns its error.
func queryError(src *index.Source) error {
	r := runOn(engineOf(src), testutil.Job(map[string]any{"queryType": "builds"}))
	return r.Error
}
