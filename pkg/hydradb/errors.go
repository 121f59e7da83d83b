package hydradb

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/pgfail"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

// upstream turns a failure of the database into an error that says what happened and what
// to do. Errors that already say so pass through; a caller's cancellation stays as it is.
func (s *Source) upstream(ctx context.Context, err error, what string) error {
	if err == nil {
		return nil
	}
	if pgfail.Explained(ctx, err) {
		return err
	}
	msg := s.explain(err)
	return &query.UpstreamError{Msg: pgfail.Scrub(fmt.Sprintf("%s: %s", what, msg), s.opts.Password), Err: err}
}

// explain says in plain words why a database call failed.
func (s *Source) explain(err error) string {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return s.explainPg(pg)
	}
	var dns *net.DNSError
	switch {
	case errors.Is(err, context.DeadlineExceeded) || pgconn.Timeout(err):
		return fmt.Sprintf("PostgreSQL at %s did not answer within the datasource's timeout (%s): raise timeoutSeconds, "+
			"narrow the time range or lower limit", s.target, s.opts.Timeout)
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Sprintf("cannot connect to PostgreSQL at %s: connection refused. Check the host and port in the database URL "+
			"and that PostgreSQL listens there for Grafana's address", s.target)
	case errors.As(err, &dns):
		return fmt.Sprintf("cannot connect to PostgreSQL at %s: the host name %q does not resolve. Check the database URL", s.target, dns.Name)
	case strings.Contains(err.Error(), "tls") || strings.Contains(err.Error(), "x509") || strings.Contains(err.Error(), "SSL"):
		return fmt.Sprintf("the TLS connection to PostgreSQL at %s failed (%s): check sslmode and the certificates in the database URL",
			s.target, err.Error())
	case pgfail.Lost(err):
		return fmt.Sprintf("the connection to PostgreSQL at %s was lost mid-query and retrying did not help (%s): "+
			"the server may be restarting; try again in a moment", s.target, err.Error())
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return fmt.Sprintf("cannot connect to PostgreSQL at %s: %s", s.target, err.Error())
	}
	return err.Error()
}

func (s *Source) explainPg(pg *pgconn.PgError) string {
	user, _, _ := strings.Cut(s.target, "@")
	switch {
	case pg.Code == "28P01" || pg.Code == "28000":
		return fmt.Sprintf("PostgreSQL at %s refused the login of user %q (%s): check the user in the database URL, "+
			"the password (secureJsonData databasePassword) and pg_hba.conf", s.target, user, pg.Message)
	case pg.Code == "3D000":
		return fmt.Sprintf("PostgreSQL at %s has no such database (%s): check the database name in the URL", s.target, pg.Message)
	case pg.Code == "42501":
		return fmt.Sprintf("user %q may not read Hydra's tables (%s): grant it read access, e.g. "+
			"GRANT SELECT ON ALL TABLES IN SCHEMA public TO %s", user, pg.Message, user)
	case pg.Code == "42P01" || pg.Code == "42703":
		ver := 0
		if sc := s.known(); sc != nil {
			ver = sc.version
		}
		return fmt.Sprintf("Hydra's database (schema version %d) lacks a table or column this plugin reads (%s): "+
			"this plugin knows schema versions %d to %d", ver, pg.Message, OldestSchema, NewestSchema)
	case pg.Code == "57014":
		return fmt.Sprintf("PostgreSQL cancelled the query after the datasource's timeout (%s): raise timeoutSeconds, "+
			"narrow the time range or lower limit", s.opts.Timeout)
	case pg.Code == "53300":
		return fmt.Sprintf("PostgreSQL at %s has no free connection slots (%s): raise max_connections or lower the plugin's connections",
			s.target, pg.Message)
	case strings.HasPrefix(pg.Code, "57P") || strings.HasPrefix(pg.Code, "08"):
		return fmt.Sprintf("PostgreSQL at %s closed the connection (%s); it may be restarting: try again in a moment", s.target, pg.Message)
	}
	return fmt.Sprintf("PostgreSQL answered: %s (SQLSTATE %s)", pg.Message, pg.Code)
}

// known returns the schema if it was read already, without querying.
func (s *Source) known() *schema {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.schema
}
