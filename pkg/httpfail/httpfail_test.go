package httpfail

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"testing"
)

func TestRedact(t *testing.T) {
	got := Redact("login as alice with p@ss word and p%40ss+word; short: ab", "p@ss word", "ab", "")
	if want := "login as alice with [redacted] and [redacted]; short: ab"; got != want {
		t.Fatalf("%q, want %q", got, want)
	}
}

func TestCertificateHintAndUnwrap(t *testing.T) {
	bad := &url.Error{Op: "Get", URL: "https://h/", Err: fmt.Errorf("tls: %w", x509.UnknownAuthorityError{})}
	if CertificateHint(bad) == "" || CertificateHint(errors.New("connection refused")) != "" {
		t.Fatal("the hint is for certificates only")
	}
	if err := Unwrap(bad); err == bad || !errors.As(err, new(x509.UnknownAuthorityError)) {
		t.Fatalf("Unwrap kept the URL error: %v", err)
	}
}

func TestIsHTMLAndTruncate(t *testing.T) {
	if !IsHTML("text/html; charset=utf-8") || IsHTML("application/json") {
		t.Fatal("IsHTML")
	}
	if Truncate("abcdef", 3) != "abc…" || Truncate("ab", 3) != "ab" {
		t.Fatal("Truncate")
	}
}
