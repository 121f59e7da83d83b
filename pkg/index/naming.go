package index

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/record"
)

// name is what a build is stored as: its job's name and the evaluation it belongs to.
type name struct {
	project, jobset, job, namedBy, commit string
	eval                                  *int64
}

// evalOfDrvSQL finds the oldest imported evaluation listing a derivation: the one that
// introduced it. Parameters: drv path, project and jobset ("" = any jobset).
const evalOfDrvSQL = `SELECT e.id, e.project, e.jobset, j.attr, e.commit
FROM nixci.eval_jobs j JOIN nixci.evals e ON e.id = j.eval_id
WHERE j.drv_path = $1 AND ($2 = '' OR (e.project = $2 AND e.jobset = $3))
ORDER BY e.time, e.id, j.attr LIMIT 1`

// evalOfCommitSQL finds the jobset's evaluation of a commit, an imported one first.
const evalOfCommitSQL = `SELECT id, implicit FROM nixci.evals WHERE project = $1 AND jobset = $2 AND commit = $3
ORDER BY implicit, time DESC, id DESC LIMIT 1`

// resolveName names a build about to be stored. A build named by its derivation takes the
// name of the derivation's job in an imported evaluation; any other keeps its name and
// joins the evaluation of its jobset that lists its derivation, else the one of its
// commit, made implicitly when there is none.
func resolveName(ctx context.Context, tx pgx.Tx, r record.Record) (name, error) {
	n := name{project: r.Project, jobset: r.Jobset, job: r.Job, namedBy: r.NamedBy, commit: r.Commit}
	if r.DrvPath != "" {
		byDrv := r.NamedBy == record.NamedByDerivation
		project, jobset := r.Project, r.Jobset
		if byDrv || project == "" || jobset == "" {
			project, jobset = "", ""
		}
		var id int64
		var p, j, attr, commit string
		err := tx.QueryRow(ctx, evalOfDrvSQL, r.DrvPath, project, jobset).Scan(&id, &p, &j, &attr, &commit)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
		case err != nil:
			return n, err
		case byDrv:
			n.project, n.jobset, n.job, n.namedBy, n.eval = p, j, attr, record.NamedByEval, &id
		case project != "":
			n.eval = &id
		}
		if n.eval != nil && n.commit == "" {
			n.commit = commit
		}
	}
	if n.eval != nil || n.commit == "" || n.project == "" || n.jobset == "" {
		return n, nil
	}
	id, err := evalOfCommit(ctx, tx, n.project, n.jobset, n.commit, r.Time)
	n.eval = &id
	return n, err
}

// evalOfCommit returns the jobset's evaluation of commit, making an implicit one when
// none exists; an implicit evaluation's time is that of its earliest build.
func evalOfCommit(ctx context.Context, tx pgx.Tx, project, jobset, commit string, t time.Time) (int64, error) {
	var id int64
	var implicit bool
	err := tx.QueryRow(ctx, evalOfCommitSQL, project, jobset, commit).Scan(&id, &implicit)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		key := implicitKey(project, jobset, commit)
		err = tx.QueryRow(ctx, `INSERT INTO nixci.evals (key, project, jobset, commit, time, implicit)
			VALUES ($1, $2, $3, $4, $5, true) ON CONFLICT (key) DO NOTHING RETURNING id`, key, project, jobset, commit, t.UTC()).Scan(&id)
		if !errors.Is(err, pgx.ErrNoRows) {
			return id, err
		}
		// another build of the commit made it meanwhile
		if err := tx.QueryRow(ctx, `SELECT id FROM nixci.evals WHERE key = $1`, key).Scan(&id); err != nil {
			return 0, err
		}
	case err != nil || !implicit:
		return id, err
	}
	_, err = tx.Exec(ctx, `UPDATE nixci.evals SET time = $2 WHERE id = $1 AND time > $2`, id, t.UTC())
	return id, err
}

// implicitKey is the key of the implicit evaluation of a jobset's commit.
func implicitKey(project, jobset, commit string) string {
	h := sha256.Sum256([]byte(project + "\x00" + jobset + "\x00" + commit))
	return "implicit:" + hex.EncodeToString(h[:16])
}
