package index

import (
	"context"
	"fmt"
	"time"
)

// healthSQL touches every table the source reads, so that a missing grant shows here.
const healthSQL = `SELECT (SELECT count(*) FROM nixci.builds), (SELECT count(*) FROM nixci.evals WHERE NOT implicit),
	(SELECT time FROM nixci.builds ORDER BY id DESC LIMIT 1),
	EXISTS (SELECT 1 FROM nixci.products), EXISTS (SELECT 1 FROM nixci.contents), EXISTS (SELECT 1 FROM nixci.metrics),
	EXISTS (SELECT 1 FROM nixci.outputs), EXISTS (SELECT 1 FROM nixci.eval_jobs), current_setting('transaction_read_only')`

// Health connects, checks that the database holds a build index this plugin reads, and
// says what it holds, e.g. "Connected to the build index at nixci@db:5432/nixci (schema
// version 1): 1200 builds, 40 imported evaluations, the newest recorded 2024-06-01T12:00:00Z".
// The error says what to fix.
func (s *Source) Health(ctx context.Context) (string, error) {
	var builds, evals int64
	var newest *time.Time
	var readOnly string
	err := s.read(ctx, "checking the build index", func(ctx context.Context) error {
		var t [5]bool
		return s.pool.QueryRow(ctx, healthSQL).Scan(&builds, &evals, &newest, &t[0], &t[1], &t[2], &t[3], &t[4], &readOnly)
	})
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	version := s.version
	s.mu.Unlock()
	msg := fmt.Sprintf("Connected to the build index at %s (schema version %d): %d builds, %d imported evaluations",
		s.target, version, builds, evals)
	if newest != nil {
		msg += ", the newest recorded " + newest.UTC().Format(time.RFC3339)
	} else {
		msg += "; nothing recorded yet: run  nixci-artifacts record --database <this URL>  after a build"
	}
	if version > NewestSchema {
		msg += fmt.Sprintf("; the schema is newer than this plugin knows (%d): if queries fail, upgrade the plugin", NewestSchema)
	}
	if _, ok, err := s.change(ctx); err == nil && !ok && s.memo != nil {
		msg += fmt.Sprintf("; warning: the change counter %s.changes cannot be read, so every query asks the index: "+
			"GRANT SELECT ON %s.changes TO %s", Schema, Schema, s.user)
	}
	if readOnly != "on" {
		msg += "; warning: the session is not read-only"
	}
	return msg, nil
}
