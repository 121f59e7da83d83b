package index

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

// noIndex says what to do when the database holds no build index yet.
const noIndex = "run  nixci-artifacts record --database <this URL> …  or  nixci-artifacts migrate --database <this URL>  " +
	"once to create it"

// fail turns a database failure into an *query.UpstreamError saying what happened and what
// to do, without the password. Errors that say so already, and the caller's own
// cancellation, pass through.
func (c *conn) fail(ctx context.Context, err error, what string) error {
	if err == nil {
		return nil
	}
	if pgfail.Explained(ctx, err) {
		return err
	}
	return &query.UpstreamError{Msg: scrub(what+": "+c.why(err), c.secret, ""), Err: err}
}

// why explains err in words; the SQLSTATE decides where PostgreSQL answered.
func (c *conn) why(err error) string {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return c.whyPg(pg)
	}
	var dns *net.DNSError
	msg := err.Error()
	switch {
	case errors.Is(err, context.DeadlineExceeded) || pgconn.Timeout(err):
		return fmt.Sprintf("PostgreSQL at %s did not answer within %s: raise timeoutSeconds, narrow the time range or lower limit",
			c.target, c.timeout)
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Sprintf("cannot connect to PostgreSQL at %s: connection refused. Check the host and port of the database URL "+
			"and that PostgreSQL listens there", c.target)
	case errors.As(err, &dns):
		return fmt.Sprintf("cannot connect to PostgreSQL at %s: the host name %q does not resolve. Check the database URL", c.target, dns.Name)
	case strings.Contains(msg, "tls") || strings.Contains(msg, "x509") || strings.Contains(msg, "SSL"):
		return fmt.Sprintf("the TLS connection to PostgreSQL at %s failed (%s): check sslmode and the certificates", c.target, msg)
	case pgfail.Lost(err):
		return fmt.Sprintf("the connection to PostgreSQL at %s broke and retrying did not help (%s): try again in a moment", c.target, msg)
	}
	return fmt.Sprintf("PostgreSQL at %s: %s", c.target, msg)
}

// pgAdvice maps SQLSTATE codes (or classes, by prefix) to what the user should do. %[1]s
// is the target, %[2]q the user, %[3]s PostgreSQL's message.
var pgAdvice = []struct{ code, advice string }{
	{"28P01", "PostgreSQL at %[1]s refused the login of user %[2]q (%[3]s): check the user in the database URL, its password " +
		"(secureJsonData databasePassword; NIXCI_ARTIFACTS_DATABASE_PASSWORD for nixci-artifacts) and pg_hba.conf"},
	{"28000", "PostgreSQL at %[1]s refused the login of user %[2]q (%[3]s): check the user, the password and pg_hba.conf"},
	{"3D000", "PostgreSQL at %[1]s has no such database (%[3]s): check the database name in the URL, or create it"},
	{"3F000", "the database %[1]s has no build index (%[3]s): " + noIndex},
	{"42P01", "the database %[1]s has no build index, or an incomplete one (%[3]s): " + noIndex},
	{"42501", "user %[2]q lacks a privilege (%[3]s): the plugin's user needs GRANT USAGE ON SCHEMA " + Schema +
		" TO %[2]s; GRANT SELECT ON ALL TABLES IN SCHEMA " + Schema + " TO %[2]s, and the recorder's user CREATE on the " +
		"database (to make the schema) or ownership of the schema"},
	{"57014", "PostgreSQL cancelled the statement after the timeout (%[3]s): raise timeoutSeconds, narrow the time range or lower limit"},
	{"53300", "PostgreSQL at %[1]s has no free connection slots (%[3]s): raise max_connections or use fewer connections"},
	{"25006", "the session is read-only (%[3]s): connect to the primary server, not a replica"},
	{"57P", "PostgreSQL at %[1]s closed the connection (%[3]s); it may be restarting: try again in a moment"},
	{"08", "PostgreSQL at %[1]s closed the connection (%[3]s); it may be restarting: try again in a moment"},
}

func (c *conn) whyPg(pg *pgconn.PgError) string {
	for _, a := range pgAdvice {
		if strings.HasPrefix(pg.Code, a.code) {
			return fmt.Sprintf(a.advice, c.target, c.user, pg.Message)
		}
	}
	return fmt.Sprintf("PostgreSQL answered: %s (SQLSTATE %s)", pg.Message, pg.Code)
}

// conflict reports a deadlock or serialisation failure: the transaction may be retried.
func conflict(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && (pg.Code == "40P01" || pg.Code == "40001")
}
