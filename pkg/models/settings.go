// Package models holds the datasource settings: jsonData and secureJsonData parsed once,
// with defaults and validation.
package models

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

// Source names accepted in jsonData.source.
const (
	SourceHydra   = "hydra"
	SourceHydraDB = "hydradb"
	SourceStore   = "store"
	SourceIndex   = "index"
	// SourceNixbuild reads nixbuild.net's HTTP API; the URL defaults to DefaultNixbuildURL.
	SourceNixbuild = "nixbuild"
)

// DefaultNixbuildURL is nixbuild.net's API, used when source nixbuild has no URL.
const DefaultNixbuildURL = "https://api.nixbuild.net"

// Defaults applied when a setting is missing or zero.
const (
	DefaultMaxConcurrency   = 8
	DefaultTimeoutSeconds   = 30
	DefaultMaxArtifactBytes = 16 << 20
	DefaultCacheBytes       = 64 << 20
	DefaultStoreDir         = "/nix/store"
	DefaultNixStateDir      = "/nix/var/nix"
)

// Settings is one datasource instance's configuration. Secrets live in Secrets, which is
// never serialised.
type Settings struct {
	URL              string `json:"-"`
	Source           string `json:"source"`
	HydraUser        string `json:"hydraUser"`
	Database         string `json:"database"`
	StoreDir         string `json:"storeDir"`
	NixStateDir      string `json:"nixStateDir"`
	MaxConcurrency   int    `json:"maxConcurrency"`
	TimeoutSeconds   int    `json:"timeoutSeconds"`
	MaxArtifactBytes int64  `json:"maxArtifactBytes"`
	CacheBytes       int64  `json:"cacheBytes"`

	Secrets Secrets `json:"-"`
}

// Secrets holds the decrypted secureJsonData values.
type Secrets struct {
	HydraPassword    string
	DatabasePassword string
	NixbuildToken    string // secureJsonData nixbuildToken: a nixbuild.net API token (build:read)
}

// Load parses instance settings, applies defaults and validates them. The error says which
// setting to fix.
func Load(s backend.DataSourceInstanceSettings) (*Settings, error) {
	out := &Settings{}
	if len(s.JSONData) > 0 && strings.TrimSpace(string(s.JSONData)) != "null" {
		if err := json.Unmarshal(s.JSONData, out); err != nil {
			return nil, fmt.Errorf("the datasource settings (jsonData) are not valid JSON of the expected shape: %w", err)
		}
	}
	out.URL = strings.TrimRight(strings.TrimSpace(s.URL), "/")
	out.Secrets = Secrets{
		HydraPassword:    s.DecryptedSecureJSONData["hydraPassword"],
		DatabasePassword: s.DecryptedSecureJSONData["databasePassword"],
		NixbuildToken:    strings.TrimSpace(s.DecryptedSecureJSONData["nixbuildToken"]),
	}
	out.applyDefaults()
	return out, out.Validate()
}

func (s *Settings) applyDefaults() {
	if s.Source == "" {
		s.Source = SourceHydra
	}
	if s.Source == SourceNixbuild && s.URL == "" {
		s.URL = DefaultNixbuildURL
	}
	if s.StoreDir == "" {
		s.StoreDir = DefaultStoreDir
	}
	if s.NixStateDir == "" {
		s.NixStateDir = DefaultNixStateDir
	}
	if s.MaxConcurrency <= 0 {
		s.MaxConcurrency = DefaultMaxConcurrency
	}
	if s.TimeoutSeconds <= 0 {
		s.TimeoutSeconds = DefaultTimeoutSeconds
	}
	if s.MaxArtifactBytes <= 0 {
		s.MaxArtifactBytes = DefaultMaxArtifactBytes
	}
	if s.CacheBytes <= 0 {
		s.CacheBytes = DefaultCacheBytes
	}
}

// Validate reports the first setting that cannot work, in words that say what to change.
func (s *Settings) Validate() error {
	switch s.Source {
	case SourceHydra:
		return s.validateURL()
	case SourceHydraDB, SourceIndex:
		if s.Database == "" {
			return fmt.Errorf("source %q needs a PostgreSQL URL in the Database setting", s.Source)
		}
	case SourceStore:
	case SourceNixbuild:
		if err := s.validateNixbuild(); err != nil {
			return err
		}
	default:
		return fmt.Errorf("unknown source %q: choose hydra, hydradb, store, index or nixbuild", s.Source)
	}
	if s.MaxConcurrency > 256 {
		return fmt.Errorf("maxConcurrency %d is too high: use at most 256", s.MaxConcurrency)
	}
	return nil
}

func (s *Settings) validateURL() error {
	if s.URL == "" {
		return fmt.Errorf("the Hydra URL is empty: set it to your Hydra's base URL, e.g. https://hydra.nixos.org")
	}
	u, err := url.Parse(s.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("the Hydra URL %q is not an http(s) URL: use e.g. https://hydra.nixos.org", s.URL)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("the Hydra URL %q must not have a query or fragment: use the base URL only", s.URL)
	}
	if s.MaxConcurrency > 256 {
		return fmt.Errorf("maxConcurrency %d is too high: use at most 256", s.MaxConcurrency)
	}
	return nil
}

func (s *Settings) validateNixbuild() error {
	if s.Secrets.NixbuildToken == "" {
		return fmt.Errorf("source nixbuild needs an API token (nixbuildToken): create one with `tokens create -p build:read` in the nixbuild.net shell")
	}
	u, err := url.Parse(s.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("the nixbuild.net API URL %q is not an http(s) base URL: leave it empty for %s", s.URL, DefaultNixbuildURL)
	}
	return nil
}
