// Command gpx_nixci is the nixci-artifacts Grafana datasource plugin's backend.
package main

import (
	"os"

	"github.com/grafana/grafana-plugin-sdk-go/backend/datasource"
	"github.com/grafana/grafana-plugin-sdk-go/backend/log"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/plugin"
)

// version is set by the SDK's mage build (-X main.version) from package.json.
var version = "dev"

func main() {
	plugin.Version = version
	if err := datasource.Manage(plugin.PluginID, plugin.New, datasource.ManageOpts{}); err != nil {
		log.DefaultLogger.Error("plugin stopped", "error", err.Error())
		os.Exit(1)
	}
}
