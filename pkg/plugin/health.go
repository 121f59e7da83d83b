package plugin

import (
	"context"
	"errors"
	"fmt"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

// CheckHealth talks to the configured source and says in plain words what is wrong.
func (d *Datasource) CheckHealth(ctx context.Context, _ *backend.CheckHealthRequest) (*backend.CheckHealthResult, error) {
	if d.settingsErr != nil {
		return unhealthy(d.settingsErr), nil
	}
	projects, err := d.hydra.Projects(ctx)
	if err != nil {
		return unhealthy(err), nil
	}
	who := "anonymously"
	if d.settings.HydraUser != "" {
		who = fmt.Sprintf("as %q", d.settings.HydraUser)
	}
	return &backend.CheckHealthResult{
		Status:  backend.HealthStatusOk,
		Message: fmt.Sprintf("Connected to Hydra at %s %s: %d projects visible.", d.settings.URL, who, len(projects)),
	}, nil
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
