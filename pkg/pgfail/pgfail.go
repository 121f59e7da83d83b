// Package pgfail classifies PostgreSQL failures the same way for every source that reads a
// database with pgx (hydradb, index): whether a statement may be run again on a fresh
// connection, which errors already explain themselves, and keeping a secret out of a message.
package pgfail

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

// Lost reports whether err means the connection died under the statement (server shutdown
// or restart, a reset or closed socket), so that running it again on a fresh connection
// is safe for reads and for writes whose transaction rolled back. A deadline or a
// cancellation is never lost.
func Lost(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		// admin_shutdown, crash_shutdown, cannot_connect_now; connection exceptions
		return strings.HasPrefix(pg.Code, "57P") || strings.HasPrefix(pg.Code, "08")
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return false
	}
	return pgconn.SafeToRetry(err) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, net.ErrClosed) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		strings.Contains(err.Error(), "conn closed")
}

// Scrub replaces secret in msg, should a driver ever echo it; secrets shorter than 3
// characters are left alone (they would blank out ordinary words).
func Scrub(msg, secret string) string {
	if len(secret) < 3 {
		return msg
	}
	return strings.ReplaceAll(msg, secret, "xxxxx")
}

// Explained reports whether err needs no translating into a database message: it already
// says what to do (an invalid setting or query, an upstream error, a missing artifact), or
// it is the caller's own cancellation.
func Explained(ctx context.Context, err error) bool {
	var inv *query.InvalidError
	var up *query.UpstreamError
	if errors.As(err, &inv) || errors.As(err, &up) || errors.Is(err, query.ErrNoArtifact) {
		return true
	}
	return errors.Is(err, context.Canceled) && ctx.Err() == context.Canceled
}
