// Package nixbuild reads nixbuild.net's HTTP API (GET /builds) as a query.Source: builds
// of a derivation name or glob, their status, and what each used (queue time, CPU,
// memory, storage) as metrics.
package nixbuild

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/httpfail"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

// Options configure a Client.
type Options struct {
	BaseURL        string       // the API's base URL, e.g. https://api.nixbuild.net
	Token          string       // bearer token with build:read; never logged or shown
	HTTP           *http.Client // from the SDK's httpclient
	MaxConcurrency int          // requests in flight at once
	Timeout        time.Duration
	UserAgent      string
}

// Client sends requests to one nixbuild.net API with one token. It is safe for concurrent use.
type Client struct {
	base    string
	token   string
	http    *http.Client
	sem     chan struct{}
	timeout time.Duration
	ua      string
}

// maxAnswerBytes bounds one /builds answer (a page of builds is a few hundred KiB at most).
const maxAnswerBytes = 64 << 20

// New returns a client for the API at o.BaseURL.
func New(o Options) (*Client, error) {
	base := strings.TrimRight(o.BaseURL, "/")
	u, err := url.Parse(base)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, query.Invalidf("the nixbuild.net API URL %q is not an http(s) URL", o.BaseURL)
	}
	if o.Token == "" {
		return nil, query.Invalidf("no nixbuild.net token: create one with `tokens create -p build:read` in the nixbuild.net shell and set it in the datasource settings")
	}
	hc := o.HTTP
	if hc == nil {
		hc = &http.Client{}
	}
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	return &Client{base: base, token: o.Token, http: hc, sem: make(chan struct{}, max(1, o.MaxConcurrency)),
		timeout: timeout, ua: o.UserAgent}, nil
}

// URL is the absolute URL of path with the query params, as shown to the user.
func (c *Client) URL(path string, params url.Values) string {
	if len(params) == 0 {
		return c.base + path
	}
	return c.base + path + "?" + params.Encode()
}

// builds sends GET /builds with params and decodes the JSON array it answers.
func (c *Client) builds(ctx context.Context, params url.Values) ([]apiBuild, error) {
	u := c.URL("/builds", params)
	body, err := c.get(ctx, u)
	if err != nil {
		return nil, err
	}
	var out []apiBuild
	if err := json.Unmarshal(body, &out); err != nil {
		return nil, notAPI(u, fmt.Sprintf("its answer is not a JSON list of builds (%v)", err))
	}
	return out, nil
}

// get sends one GET with the token, within the per-request timeout, and reads a 200 answer.
func (c *Client) get(ctx context.Context, u string) ([]byte, error) {
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-c.sem }()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, query.Invalidf("cannot build a request for %s: %v", u, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	if c.ua != "" {
		req.Header.Set("User-Agent", c.ua)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, c.transportError(ctx, u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, c.statusError(u, resp)
	}
	if httpfail.IsHTML(resp.Header.Get("Content-Type")) {
		return nil, notAPI(u, "it answered with an HTML page")
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes+1))
	if err != nil {
		return nil, c.transportError(ctx, u, err)
	}
	if len(body) > maxAnswerBytes {
		return nil, &query.UpstreamError{HTTPStatus: http.StatusBadGateway, Msg: fmt.Sprintf(
			"%s answered with more than %d bytes: narrow the time range or lower limit", u, maxAnswerBytes)}
	}
	return body, nil
}
