// Package hydra reads Hydra's HTTP JSON API: a client with login, bounded concurrency,
// timeouts and size limits, and a query.Source over it.
package hydra

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/httpfail"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

// Options configure a Client.
type Options struct {
	BaseURL        string       // Hydra's base URL, no trailing slash
	HTTP           *http.Client // from the SDK's httpclient; a cookie jar and redirect policy are added
	MaxConcurrency int          // requests in flight at once
	Timeout        time.Duration
	MaxBytes       int64 // largest artifact read
	User, Password string
	UserAgent      string
}

// Client talks to one Hydra. It is safe for concurrent use.
type Client struct {
	base     *url.URL
	baseStr  string
	http     *http.Client
	sem      chan struct{}
	timeout  time.Duration
	maxBytes int64
	user     string
	password string
	ua       string

	loginMu  sync.Mutex
	session  atomic.Uint64 // bumped at every successful login
	loggedIn atomic.Bool
}

// maxJSONBytes bounds a JSON answer (eval pages of big jobsets list every build id).
const maxJSONBytes = 256 << 20

// ErrNotFound wraps Hydra's 404 and 410 answers.
var ErrNotFound = errors.New("not found on Hydra")

type noRedirectKey struct{}

// New returns a client for the Hydra at o.BaseURL.
func New(o Options) (*Client, error) {
	u, err := url.Parse(o.BaseURL)
	if err != nil || u.Host == "" {
		return nil, query.Invalidf("the Hydra URL %q is not valid", o.BaseURL)
	}
	hc := o.HTTP
	if hc == nil {
		hc = &http.Client{}
	}
	cp := *hc
	if cp.Jar == nil {
		cp.Jar, _ = cookiejar.New(nil)
	}
	c := &Client{base: u, baseStr: strings.TrimRight(o.BaseURL, "/"), http: &cp,
		sem: make(chan struct{}, max(1, o.MaxConcurrency)), timeout: o.Timeout, maxBytes: o.MaxBytes,
		user: o.User, password: o.Password, ua: o.UserAgent}
	cp.CheckRedirect = c.checkRedirect
	return c, nil
}

// checkRedirect follows Hydra's redirects (latest, bare download URLs, renamed jobsets)
// but never to another host, so the session cookie and requests stay with the Hydra.
func (c *Client) checkRedirect(req *http.Request, via []*http.Request) error {
	if req.Context().Value(noRedirectKey{}) != nil {
		return http.ErrUseLastResponse
	}
	if len(via) >= 10 {
		return fmt.Errorf("Hydra redirected more than 10 times (a redirect loop?) starting at %s", via[0].URL.Redacted())
	}
	if req.URL.Host != c.base.Host {
		return fmt.Errorf("Hydra redirected to another host (%s); only %s is trusted", req.URL.Host, c.base.Host)
	}
	return nil
}

// URL returns the absolute URL of a Hydra path ("/build/1").
func (c *Client) URL(path string) string { return c.baseStr + path }

// GetJSON fetches path asking for JSON the way Hydra's REST controllers expect, and decodes it.
func (c *Client) GetJSON(ctx context.Context, path string, v any) error {
	body, _, err := c.get(ctx, path, true, maxJSONBytes)
	if err != nil {
		return err
	}
	return decodeJSON(c.URL(path), body, v)
}

// Download fetches a file of at most MaxBytes; a larger one is refused without reading it whole.
func (c *Client) Download(ctx context.Context, path string) ([]byte, http.Header, error) {
	return c.get(ctx, path, false, c.maxBytes)
}

func (c *Client) get(ctx context.Context, path string, wantJSON bool, limit int64) ([]byte, http.Header, error) {
	if c.user != "" && !c.loggedIn.Load() {
		if err := c.login(ctx, c.session.Load()); err != nil {
			return nil, nil, err
		}
	}
	gen := c.session.Load()
	body, hdr, status, err := c.once(ctx, path, wantJSON, limit)
	if err == nil || (status != http.StatusForbidden && status != http.StatusUnauthorized) {
		return body, hdr, err
	}
	if c.user == "" {
		return nil, nil, &query.UpstreamError{HTTPStatus: status, Err: err, Msg: fmt.Sprintf(
			"Hydra refused %s (%d): if this Hydra is private, set a user and password in the datasource settings", c.URL(path), status)}
	}
	if lerr := c.login(ctx, gen); lerr != nil {
		return nil, nil, lerr
	}
	body, hdr, status, err = c.once(ctx, path, wantJSON, limit)
	if status == http.StatusForbidden || status == http.StatusUnauthorized {
		return nil, nil, &query.UpstreamError{HTTPStatus: status, Err: err, Msg: fmt.Sprintf(
			"Hydra refused %s (%d) even after logging in again as %q: check that this user may read it", c.URL(path), status, c.user)}
	}
	return body, hdr, err
}

// once sends one GET and reads the answer within the per-request timeout.
func (c *Client) once(ctx context.Context, path string, wantJSON bool, limit int64) ([]byte, http.Header, int, error) {
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, nil, 0, ctx.Err()
	}
	defer func() { <-c.sem }()
	rctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, c.URL(path), nil)
	if err != nil {
		return nil, nil, 0, query.Invalidf("cannot build a request for %s: %v", c.URL(path), err)
	}
	if wantJSON {
		req.Header.Set("Accept", "application/json")
	}
	c.setUA(req)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, nil, 0, c.transportError(ctx, path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, nil, resp.StatusCode, c.statusError(path, resp)
	}
	if wantJSON && httpfail.IsHTML(resp.Header.Get("Content-Type")) {
		return nil, nil, resp.StatusCode, &query.UpstreamError{HTTPStatus: http.StatusBadGateway, Msg: fmt.Sprintf(
			"%s answered with an HTML page instead of JSON: check that the URL is a Hydra server's base URL", c.URL(path))}
	}
	if resp.ContentLength > limit {
		return nil, nil, resp.StatusCode, tooLarge(c.URL(path), resp.ContentLength, limit)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, nil, resp.StatusCode, c.transportError(ctx, path, err)
	}
	if int64(len(body)) > limit {
		return nil, nil, resp.StatusCode, tooLarge(c.URL(path), -1, limit)
	}
	return body, resp.Header, resp.StatusCode, nil
}

func (c *Client) setUA(req *http.Request) {
	if c.ua != "" {
		req.Header.Set("User-Agent", c.ua)
	}
}

func tooLarge(u string, size, limit int64) error {
	got := "more than " + strconv.FormatInt(limit, 10)
	if size > 0 {
		got = strconv.FormatInt(size, 10)
	}
	return &query.UpstreamError{HTTPStatus: http.StatusRequestEntityTooLarge, Msg: fmt.Sprintf(
		"%s is %s bytes, over the datasource's limit of %d bytes (maxArtifactBytes): raise the limit or pick a smaller product", u, got, limit)}
}

// statusError reads Hydra's {"error": "..."} body and says what the status means.
func (c *Client) statusError(path string, resp *http.Response) error {
	var e struct {
		Error string `json:"error"`
	}
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	detail := ""
	if json.Unmarshal(raw, &e) == nil && e.Error != "" {
		detail = ": " + strings.TrimSuffix(httpfail.Truncate(c.redact(e.Error, resp.Request), 300), ".")
	}
	u := c.URL(path)
	err := &query.UpstreamError{HTTPStatus: resp.StatusCode}
	switch {
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		err.Err = ErrNotFound
		err.Msg = fmt.Sprintf("Hydra has nothing at %s (%d)%s: check the project, jobset and job names", u, resp.StatusCode, detail)
	case resp.StatusCode == http.StatusTooManyRequests:
		err.Msg = fmt.Sprintf("Hydra is rate-limiting requests (429 at %s): lower maxConcurrency or wait", u)
	case resp.StatusCode >= 500:
		err.Msg = fmt.Sprintf("Hydra failed to answer %s (%d)%s", u, resp.StatusCode, detail)
	default:
		err.Msg = fmt.Sprintf("Hydra answered %s with status %d%s", u, resp.StatusCode, detail)
	}
	return err
}

// redact hides the password, the session cookie and any credential header of req in text
// from Hydra: an error page may echo the request, and its text ends up in error messages.
func (c *Client) redact(text string, req *http.Request) string {
	secrets := []string{c.password}
	if c.http.Jar != nil {
		for _, ck := range c.http.Jar.Cookies(c.base) {
			secrets = append(secrets, ck.Value)
		}
	}
	if req != nil {
		for _, ck := range req.Cookies() {
			secrets = append(secrets, ck.Value)
		}
		secrets = append(secrets, req.Header.Get("Authorization"), req.Header.Get("Proxy-Authorization"))
	}
	return httpfail.Redact(text, secrets...)
}

func (c *Client) transportError(ctx context.Context, path string, err error) error {
	u := c.URL(path)
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case errors.Is(err, context.DeadlineExceeded):
		return &query.UpstreamError{HTTPStatus: http.StatusGatewayTimeout, Err: err, Msg: fmt.Sprintf(
			"Hydra did not answer %s within %s (timeoutSeconds): raise the timeout or check the server", u, c.timeout)}
	}
	return &query.UpstreamError{Err: err, Msg: fmt.Sprintf("cannot reach Hydra at %s: %v%s", u, httpfail.Unwrap(err), httpfail.CertificateHint(err))}
}

// Probe asks for path without following redirects and reports the status and, for a
// redirect, where it points. It reads no body.
func (c *Client) Probe(ctx context.Context, path string) (status int, location string, err error) {
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return 0, "", ctx.Err()
	}
	defer func() { <-c.sem }()
	rctx, cancel := context.WithTimeout(context.WithValue(ctx, noRedirectKey{}, true), c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, c.URL(path), nil)
	if err != nil {
		return 0, "", query.Invalidf("cannot build a request for %s: %v", c.URL(path), err)
	}
	req.Header.Set("Accept", "application/json")
	c.setUA(req)
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, "", c.transportError(ctx, path, err)
	}
	_ = resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Location"), nil
}
