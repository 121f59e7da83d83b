package hydra

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

// login signs in with POST /login (JSON body, Origin header as Hydra's anti-XSRF check
// demands) and keeps the session cookie. Concurrent callers that saw the same session
// generation log in once.
func (c *Client) login(ctx context.Context, seen uint64) error {
	c.loginMu.Lock()
	defer c.loginMu.Unlock()
	if c.session.Load() != seen && c.loggedIn.Load() {
		return nil // someone else logged in meanwhile
	}
	body, _ := json.Marshal(map[string]string{"username": c.user, "password": c.password})
	rctx, cancel := context.WithTimeout(context.WithValue(ctx, noRedirectKey{}, true), c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, c.URL("/login"), bytes.NewReader(body))
	if err != nil {
		return query.Invalidf("cannot build the login request: %v", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Origin", c.baseStr)
	req.Header.Set("Referer", c.baseStr+"/")
	c.setUA(req)
	resp, err := c.http.Do(req)
	if err != nil {
		return c.transportError(ctx, "/login", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	switch {
	case resp.StatusCode == http.StatusFound || resp.StatusCode == http.StatusSeeOther || resp.StatusCode == http.StatusOK:
		c.session.Add(1)
		c.loggedIn.Store(true)
		return nil
	case resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusUnauthorized:
		return &query.UpstreamError{HTTPStatus: http.StatusUnauthorized, Msg: fmt.Sprintf(
			"Hydra rejected the login of user %q (%d): check the user and password in the datasource settings", c.user, resp.StatusCode)}
	default:
		return &query.UpstreamError{HTTPStatus: resp.StatusCode, Msg: fmt.Sprintf(
			"logging in to Hydra at %s failed with status %d", c.URL("/login"), resp.StatusCode)}
	}
}
