// Package httpfail words the failures of the sources that read an HTTP API (hydra,
// nixbuild) the same way: an HTML page where JSON was asked for, a certificate that does not
// verify, Go's URL wrapping of transport errors, and secrets an error page may echo.
package httpfail

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"mime"
	"net/url"
	"strings"
)

// IsHTML reports whether a Content-Type is a web page (a login page, a proxy's error page,
// a wrong base URL) rather than an API's answer.
func IsHTML(contentType string) bool {
	mt, _, _ := mime.ParseMediaType(contentType)
	return mt == "text/html" || mt == "application/xhtml+xml"
}

// Truncate cuts s to n bytes, marking the cut.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// Redact replaces every secret, as is and URL-encoded, in text from a server or a transport
// error. Secrets shorter than 4 characters are left alone: they would blank out ordinary
// words.
func Redact(text string, secrets ...string) string {
	for _, s := range secrets {
		for _, form := range []string{s, url.QueryEscape(s)} {
			if len(form) >= 4 {
				text = strings.ReplaceAll(text, form, "[redacted]")
			}
		}
	}
	return text
}

// Unwrap drops the method and URL Go's client puts around a transport error; the caller's
// message names the URL already.
func Unwrap(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// CertificateHint is what to do when err is a server certificate that did not verify, to
// append to the message; "" for any other error.
func CertificateHint(err error) string {
	var unknownCA x509.UnknownAuthorityError
	var badName x509.HostnameError
	var invalid x509.CertificateInvalidError
	var verify *tls.CertificateVerificationError
	if errors.As(err, &unknownCA) || errors.As(err, &badName) || errors.As(err, &invalid) || errors.As(err, &verify) {
		return ". Give the server's CA certificate in the datasource's TLS settings (With CA Cert), or turn on Skip TLS certificate validation only if you trust the network"
	}
	return ""
}
