package hydradb

import (
	"context"
	"fmt"
)

// healthSQL touches every table the plugin reads, so a missing grant shows up here.
const healthSQL = `SELECT (SELECT count(*) FROM projects WHERE hidden = 0),
	EXISTS (SELECT 1 FROM builds), EXISTS (SELECT 1 FROM buildmetrics), EXISTS (SELECT 1 FROM buildproducts),
	EXISTS (SELECT 1 FROM buildoutputs), EXISTS (SELECT 1 FROM jobsets), EXISTS (SELECT 1 FROM jobsetevals),
	EXISTS (SELECT 1 FROM jobsetevalmembers), EXISTS (SELECT 1 FROM jobsetevalinputs),
	current_setting('transaction_read_only')`

// Health connects, checks that the database is Hydra's and that its tables are readable,
// and says so with the schema version, e.g. "Connected to Hydra's database (schema
// version 87): 3 projects". The error says what to fix.
func (s *Source) Health(ctx context.Context) (string, error) {
	var projects int64
	var sc *schema
	var readOnly string
	err := s.read(ctx, "checking Hydra's database", func(ctx context.Context, got *schema) error {
		sc = got
		var t [8]bool
		return s.pool.QueryRow(ctx, healthSQL).Scan(&projects, &t[0], &t[1], &t[2], &t[3], &t[4], &t[5], &t[6], &t[7], &readOnly)
	})
	if err != nil {
		return "", err
	}
	msg := fmt.Sprintf("Connected to Hydra's database (schema version %d): %d projects", sc.version, projects)
	if readOnly != "on" {
		msg += "; warning: the session is not read-only"
	}
	if s.opts.HydraURL == "" {
		msg += "; no Hydra URL is set, so builds have no links and products are read only from the local store"
	}
	return msg + sc.describe(), nil
}
