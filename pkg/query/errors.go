package query

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

// InvalidError says the query or the settings are wrong and what to change.
type InvalidError struct{ Msg string }

func (e *InvalidError) Error() string { return e.Msg }

// Invalidf builds an InvalidError: a user fault, reported as a bad request from downstream.
func Invalidf(format string, args ...any) error {
	return &InvalidError{Msg: fmt.Sprintf(format, args...)}
}

// UpstreamError is a failure of the system a source reads (Hydra, PostgreSQL, the store).
type UpstreamError struct {
	HTTPStatus int    // 0 when not an HTTP answer
	Msg        string // says what happened and what to do, never a secret
	Err        error
}

func (e *UpstreamError) Error() string { return e.Msg }
func (e *UpstreamError) Unwrap() error { return e.Err }

// Upstreamf builds an UpstreamError without an HTTP status.
func Upstreamf(err error, format string, args ...any) error {
	return &UpstreamError{Msg: fmt.Sprintf(format, args...), Err: err}
}

// ErrorResponse turns any error of a query into its DataResponse, deciding status and
// error source in one place: user and upstream faults are downstream, the rest is ours.
func ErrorResponse(err error) backend.DataResponse {
	var inv *InvalidError
	var up *UpstreamError
	switch {
	case errors.As(err, &inv):
		return backend.ErrDataResponseWithSource(backend.StatusBadRequest, backend.ErrorSourceDownstream, inv.Msg)
	case errors.As(err, &up):
		return backend.ErrDataResponseWithSource(statusFor(up.HTTPStatus), backend.ErrorSourceDownstream, up.Msg)
	case errors.Is(err, context.DeadlineExceeded):
		return backend.ErrDataResponseWithSource(backend.StatusTimeout, backend.ErrorSourceDownstream,
			"the query took longer than the datasource's timeout: "+err.Error())
	case errors.Is(err, context.Canceled):
		return backend.ErrDataResponseWithSource(backend.StatusTimeout, backend.ErrorSourceDownstream, "the query was cancelled")
	default:
		return backend.ErrDataResponseWithSource(backend.StatusInternal, backend.ErrorSourcePlugin,
			"internal error in the nixci-artifacts plugin: "+err.Error())
	}
}

func statusFor(code int) backend.Status {
	switch {
	case code == http.StatusUnauthorized:
		return backend.StatusUnauthorized
	case code == http.StatusForbidden:
		return backend.StatusForbidden
	case code == http.StatusNotFound:
		return backend.StatusNotFound
	case code == http.StatusTooManyRequests:
		return backend.StatusTooManyRequests
	case code == http.StatusGatewayTimeout:
		return backend.StatusTimeout
	default:
		return backend.StatusBadGateway
	}
}

// IsPartial reports whether err says a source's answer is incomplete but usable: the data
// is shown with the error as a warning.
func IsPartial(err error) bool {
	var p interface{ Partial() bool }
	return errors.As(err, &p) && p.Partial()
}
