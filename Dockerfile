# syntax=docker/dockerfile:1
#
# Grafana with this plugin built from source: front end (webpack) and Go backend (mage),
# plus the provisioning in provisioning/. `docker compose up --build` uses it; so can
#   docker build --build-arg GRAFANA_VERSION=11.6.0 -t nixci-grafana . && docker run -p 3000:3000 nixci-grafana
# The plugin needs Grafana >= 10.4.0.

# grafana/grafana is Grafana's open-source image; grafana/grafana-oss gets no images from 12.4 on.
ARG GRAFANA_IMAGE=grafana/grafana
ARG GRAFANA_VERSION=12.2.0

# --- front end: dist/module.js, plugin.json (version filled in), img/ ---
FROM node:22-bookworm AS frontend
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

# --- backend: dist/gpx_nixci_linux_{amd64,arm64} through the SDK's mage targets ---
FROM golang:1.26 AS backend
WORKDIR /build
RUN go install github.com/magefile/mage@v1.17.2
COPY go.mod go.sum ./
RUN go mod download
# the build reads the executable name from src/plugin.json and the version from package.json
COPY Magefile.go package.json ./
COPY src/plugin.json ./src/plugin.json
COPY pkg ./pkg
RUN mage -v build:linux build:linuxARM64 command && chmod 0755 dist/gpx_nixci_linux_* dist/nixci-artifacts_*

# --- the plugin folder: front end and backend together ---
# `docker compose up` runs this stage once to write the plugin into ./dist, which the
# grafana service mounts.
FROM busybox:1.37 AS plugin
COPY --from=frontend /build/dist/ /plugin/
COPY --from=backend /build/dist/ /plugin/
CMD ["sh", "-c", "mkdir -p /out && rm -rf /out/* && cp -a /plugin/. /out/ && ls -l /out"]

# --- Grafana with the plugin baked in (the default target, for `docker build .`) ---
FROM ${GRAFANA_IMAGE}:${GRAFANA_VERSION}
ENV GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS=nixci-artifacts-datasource
# COPY keeps the files' modes: the binaries stay 0755, the rest 0644, all owned by root
COPY --from=plugin /plugin/ /var/lib/grafana/plugins/nixci-artifacts-datasource/
COPY provisioning/ /etc/grafana/provisioning/
