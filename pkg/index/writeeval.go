package index

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/record"
)

// renameSQL names the builds that were named by their derivation after the evaluation's
// job of that derivation (the first attribute, should several share it), ties them to the
// evaluation, and renames their metrics alike. Parameters: eval id, project, jobset, commit.
const renameSQL = `WITH renamed AS (
	UPDATE nixci.builds b SET project = $2, jobset = $3, job = j.attr, named_by = 'eval', eval_id = $1,
		commit = CASE WHEN b.commit = '' THEN $4 ELSE b.commit END
	FROM (SELECT DISTINCT ON (drv_path) drv_path, attr FROM nixci.eval_jobs
		WHERE eval_id = $1 AND drv_path <> '' ORDER BY drv_path, attr) j
	WHERE b.named_by = 'derivation' AND b.drv_path <> '' AND b.drv_path = j.drv_path
	RETURNING b.id, b.job)
UPDATE nixci.metrics m SET project = $2, jobset = $3, job = r.job FROM renamed r WHERE m.build_id = r.id`

// adoptSQL moves the builds of the implicit evaluation of the same commit into the
// imported one. Parameters: eval id, project, jobset, commit.
const adoptSQL = `UPDATE nixci.builds SET eval_id = $1 WHERE eval_id IN (
	SELECT id FROM nixci.evals WHERE implicit AND project = $2 AND jobset = $3 AND commit = $4)`

// WriteEval stores an imported evaluation and its jobs in one transaction and returns its
// id; it is idempotent by e.Key(). Builds named by their derivation whose derivation is a
// job of it take the job's name (project, jobset, attribute), its id and, when they have
// none, its commit; the implicit evaluation of its commit, if any, is merged into it.
func (d *DB) WriteEval(ctx context.Context, e record.Eval) (int64, error) {
	if e.Project == "" || e.Jobset == "" {
		return 0, fmt.Errorf("the evaluation cannot be recorded: it needs a project and a jobset")
	}
	if e.Time.IsZero() {
		return 0, fmt.Errorf("the evaluation cannot be recorded: it has no time")
	}
	jobs := uniqueJobs(e.Jobs)
	ok := 0
	for _, j := range jobs {
		if j.Error == "" && j.DrvPath != "" {
			ok++
		}
	}
	key := e.Key()
	var id int64
	err := d.write(ctx, fmt.Sprintf("importing the evaluation of %s:%s at %s", e.Project, e.Jobset, e.Commit), true, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO nixci.evals (key, project, jobset, commit, time, nr_jobs)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (key) DO NOTHING RETURNING id`,
			key, e.Project, e.Jobset, e.Commit, e.Time.UTC(), ok).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) { // imported before
			return tx.QueryRow(ctx, `SELECT id FROM nixci.evals WHERE key = $1`, key).Scan(&id)
		}
		if err != nil {
			return err
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{Schema, "eval_jobs"},
			[]string{"eval_id", "attr", "drv_path", "nix_name", "system", "out_path", "error"},
			pgx.CopyFromSlice(len(jobs), func(i int) ([]any, error) {
				j := jobs[i]
				return []any{id, j.Attr, j.DrvPath, j.NixName, j.System, outPath(j.Outputs), j.Error}, nil
			})); err != nil {
			return err
		}
		if e.Commit != "" {
			if _, err := tx.Exec(ctx, adoptSQL, id, e.Project, e.Jobset, e.Commit); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `DELETE FROM nixci.evals WHERE implicit AND project = $1 AND jobset = $2 AND commit = $3`,
				e.Project, e.Jobset, e.Commit); err != nil {
				return err
			}
		}
		_, err = tx.Exec(ctx, renameSQL, id, e.Project, e.Jobset, e.Commit)
		return err
	})
	return id, err
}

// uniqueJobs keeps the first line of each attribute.
func uniqueJobs(in []record.EvalJob) []record.EvalJob {
	seen := make(map[string]bool, len(in))
	out := make([]record.EvalJob, 0, len(in))
	for _, j := range in {
		if j.Attr != "" && !seen[j.Attr] {
			seen[j.Attr] = true
			out = append(out, j)
		}
	}
	return out
}

// outPath is the path of the output named out, else the first.
func outPath(outs []record.Output) string {
	return record.Record{Outputs: outs}.MainOutput()
}
