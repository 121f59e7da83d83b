// Package e2e holds the end-to-end tests: they build gpx_nixci and launch it through
// hashicorp/go-plugin exactly as Grafana does, then talk to it over gRPC.
package e2e
