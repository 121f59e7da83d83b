package pgfail

import (
	"context"
	"fmt"
	"io"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

func TestLost(t *testing.T) {
	for err, want := range map[error]bool{
		&pgconn.PgError{Code: "57P01"}:                      true,
		&pgconn.PgError{Code: "08006"}:                      true,
		&pgconn.PgError{Code: "42P01"}:                      false,
		fmt.Errorf("reading: %w", io.ErrUnexpectedEOF):      true,
		fmt.Errorf("write: %w", syscall.ECONNRESET):         true,
		context.DeadlineExceeded:                            false,
		fmt.Errorf("query: %w", context.Canceled):           false,
		fmt.Errorf("syntax error at or near %q", "SELECTT"): false,
	} {
		if got := Lost(err); got != want {
			t.Errorf("Lost(%v) = %v, want %v", err, got, want)
		}
	}
}

func TestScrub(t *testing.T) {
	if got := Scrub("password authentication failed: hunter2", "hunter2"); got != "password authentication failed: xxxxx" {
		t.Fatal(got)
	}
	if got := Scrub("an ordinary message", "a"); got != "an ordinary message" {
		t.Fatal(got)
	}
}
