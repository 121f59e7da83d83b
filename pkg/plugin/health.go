package plugin

import (
	"context"
	"errors"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

// CheckHealth talks to the configured source and says in plain words what is wrong.
func (d *Datasource) CheckHealth(ctx context.Context, _ *backend.CheckHealthRequest) (*backend.CheckHealthResult, error) {
	if d.settingsErr != nil {
		return unhealthy(d.settingsErr), nil
	}
	msg, err := d.health(ctx)
	if err != nil {
		return unhealthy(err), nil
	}
	return &backend.CheckHealthResult{Status: backend.HealthStatusOk, Message: msg}, nil
}

func unhealthy(err error) *backend.CheckHealthResult {
	msg := err.Error()
	var inv *query.InvalidError
	var up *query.UpstreamError
	switch {
	case errors.As(err, &inv):
		msg = inv.Msg
	case errors.As(err, &up):
		msg = up.Msg
	case errors.Is(err, context.DeadlineExceeded):
		msg = "the health check timed out: " + msg
	}
	return &backend.CheckHealthResult{Status: backend.HealthStatusError, Message: msg}
}
