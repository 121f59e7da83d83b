// Command gpx_nixci is the nixci-artifacts Grafana datasource plugin's backend.
package main

import (
	"os"

	"github.com/grafana/grafana-plugin-sdk-go/backend/datasource"
	"github.com/grafana/grafana-plugin-sdk-go/backend/log"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/plugin"
)

func main() {
	if err := datasource.Manage(plugin.PluginID, plugin.New, datasource.ManageOpts{}); err != nil {
		log.DefaultLogger.Error("plugin stopped", "error", err.Error())
		os.Exit(1)
	}
}
