package nixbuild

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/httpfail"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

// tokenHelp says how to get a token that can read builds.
const tokenHelp = "create one with `tokens create -p build:read` in the nixbuild.net shell and set it as the datasource's nixbuild.net token"

// statusError says what a non-200 answer means and what to do; the answer's own text is
// kept, with the token hidden.
func (c *Client) statusError(u string, resp *http.Response) error {
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	detail := ""
	if d := c.redact(errorText(raw)); d != "" {
		detail = ": " + httpfail.Truncate(d, 300)
	}
	err := &query.UpstreamError{HTTPStatus: resp.StatusCode}
	switch code := resp.StatusCode; {
	case code == http.StatusUnauthorized:
		err.Msg = fmt.Sprintf("nixbuild.net rejected the token (401 at %s)%s: check the token; it may be wrong or expired: %s", u, detail, tokenHelp)
	case code == http.StatusForbidden:
		err.Msg = fmt.Sprintf("nixbuild.net refused the token (403 at %s)%s: check that the token has the build:read permission: %s", u, detail, tokenHelp)
	case code == http.StatusTooManyRequests:
		err.Msg = fmt.Sprintf("nixbuild.net is rate-limiting requests (429 at %s): lower maxConcurrency in the datasource settings, or retry later", u)
	case code >= 500:
		err.Msg = fmt.Sprintf("nixbuild.net failed to answer %s (%d)%s", u, code, detail)
	case code == http.StatusNotFound:
		err.Msg = fmt.Sprintf("nothing at %s (404): the datasource URL is probably not nixbuild.net's API; leave it empty for https://api.nixbuild.net", u)
	default:
		err.Msg = fmt.Sprintf("nixbuild.net answered %s with status %d%s", u, code, detail)
	}
	return err
}

// errorText is the message of a JSON error body ({"error": ...} or {"message": ...}), else
// the body itself when it is short plain text.
func errorText(raw []byte) string {
	var e struct {
		Error   string `json:"error"`
		Message string `json:"message"`
	}
	if json.Unmarshal(raw, &e) == nil {
		return strings.TrimSpace(e.Error + " " + e.Message)
	}
	s := strings.TrimSpace(string(raw))
	if strings.HasPrefix(s, "<") || len(s) > 300 {
		return ""
	}
	return s
}

// notAPI says that the URL answered, but not as nixbuild.net's API does.
func notAPI(u, what string) error {
	return &query.UpstreamError{HTTPStatus: http.StatusBadGateway, Msg: fmt.Sprintf(
		"%s did not answer as nixbuild.net's API does: %s. The datasource URL is probably not nixbuild.net's API; leave it empty for https://api.nixbuild.net", u, what)}
}

func (c *Client) transportError(ctx context.Context, u string, err error) error {
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case errors.Is(err, context.DeadlineExceeded):
		return &query.UpstreamError{HTTPStatus: http.StatusGatewayTimeout, Err: err, Msg: fmt.Sprintf(
			"nixbuild.net did not answer %s within %s (timeoutSeconds): raise the timeout or retry later", u, c.timeout)}
	}
	return &query.UpstreamError{Msg: fmt.Sprintf("cannot reach nixbuild.net at %s: %s%s", u,
		c.redact(httpfail.Unwrap(err).Error()), httpfail.CertificateHint(err))}
}

// redact hides the token in text from the server or the transport.
func (c *Client) redact(text string) string { return httpfail.Redact(text, c.token) }
