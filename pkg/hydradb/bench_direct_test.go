package hydradb_test

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/hydradb"
)

// The baselines of the hydradb benchmarks: the statements the Source runs, run directly
// with pgx on a pool of the same size, scanned into plain values, and the product files
// read with os.ReadFile, with nothing of the engine around them. Each returns how many
// rows (or files) it got, for the benchmark to check. The window statements are planned
// for their values every time, as the Source has them planned (see planned in source.go).

// directMetric runs the metric SQL of bench:main:bench's "time" and returns the build ids,
// newest first.
func directMetric(ctx context.Context, db *pgxpool.Pool, from, to time.Time, limit int) ([]int64, error) {
	rows, err := db.Query(ctx, hydradb.MetricSQL, pgx.QueryExecModeCacheDescribe, "bench", "main", "bench", "time", from.Unix(), to.Unix(), limit+1)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	ids := make([]int64, 0, limit+1)
	var build, ts int64
	var value float64
	var unit *string
	for rows.Next() {
		if err := rows.Scan(&build, &ts, &value, &unit); err != nil {
			return nil, err
		}
		ids = append(ids, build)
	}
	return ids, rows.Err()
}

// directOrigins runs the origins SQL for ids and returns how many rows came back.
func directOrigins(ctx context.Context, db *pgxpool.Pool, ids []int64) (int, error) {
	rows, err := db.Query(ctx, hydradb.OriginsSQL, ids)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	n := 0
	var build, eval int64
	var flake, expr, name, rev *string
	for rows.Next() {
		if err := rows.Scan(&build, &eval, &flake, &expr, &name, &rev); err != nil {
			return n, err
		}
		n++
	}
	return n, rows.Err()
}

// directListing runs the listing SQL (limit+1 rows, as the Source asks) and returns the
// ids of the successful builds among the newest limit, newest first.
func directListing(ctx context.Context, db *pgxpool.Pool, from, to time.Time, limit int) ([]int64, error) {
	rows, err := db.Query(ctx, hydradb.BuildsSQL, pgx.QueryExecModeCacheDescribe, "bench", "main", "bench", from.Unix(), to.Unix(), limit+1)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ok []int64
	var (
		id, ts, finished            int64
		status, cached, start, stop *int64
		nixName, system             *string
	)
	for n := 0; rows.Next(); n++ {
		if err := rows.Scan(&id, &finished, &status, &ts, &start, &stop, &nixName, &system, &cached); err != nil {
			return nil, err
		}
		if n < limit && finished == 1 && status != nil && *status == 0 {
			ok = append(ok, id)
		}
	}
	return ok, rows.Err()
}

// directProducts reads each build's bench.json as the Source finds it: the products SQL,
// then the file, workers at a time. It returns how many files were read.
func directProducts(ctx context.Context, db *pgxpool.Pool, ids []int64, workers int) (int, error) {
	jobs := make(chan int64)
	var (
		mu    sync.Mutex
		read  int
		first error
	)
	var wg sync.WaitGroup
	for range min(workers, len(ids)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range jobs {
				err := directProduct(ctx, db, id)
				mu.Lock()
				if err == nil {
					read++
				} else if first == nil {
					first = err
				}
				mu.Unlock()
			}
		}()
	}
	for _, id := range ids {
		jobs <- id
	}
	close(jobs)
	wg.Wait()
	return read, first
}

func directProduct(ctx context.Context, db *pgxpool.Pool, id int64) error {
	rows, err := db.Query(ctx, hydradb.ProductsSQL, id)
	if err != nil {
		return err
	}
	var file string
	for rows.Next() {
		var kind, nr int
		var name, path, storeDir, sub *string
		var dir bool
		if err := rows.Scan(&kind, &nr, &name, &path, &dir, &storeDir, &sub); err != nil {
			rows.Close()
			return err
		}
		if kind == 0 && name != nil && *name == benchProduct && path != nil {
			file = *path
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if file == "" {
		return fmt.Errorf("build %d has no %s", id, benchProduct)
	}
	body, err := os.ReadFile(file)
	if err == nil && len(body) == 0 {
		err = fmt.Errorf("%s is empty", file)
	}
	return err
}

// directArtifacts is the cold artifact query's work done directly: the listing, then the
// origins of its successful builds beside their products and files, as the engine
// overlaps them. It returns how many files were read.
func directArtifacts(ctx context.Context, db *pgxpool.Pool, from, to time.Time, limit, workers int) (int, error) {
	ids, err := directListing(ctx, db, from, to, limit)
	if err != nil {
		return 0, err
	}
	var origins int
	var originsErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		origins, originsErr = directOrigins(ctx, db, ids)
	}()
	read, err := directProducts(ctx, db, ids, workers)
	<-done
	switch {
	case err != nil:
		return read, err
	case originsErr != nil:
		return read, originsErr
	case origins != len(ids):
		return read, fmt.Errorf("%d origins for %d builds", origins, len(ids))
	}
	return read, nil
}
