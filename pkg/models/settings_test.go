package models

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

func TestDefaults(t *testing.T) {
	s, err := Load(backend.DataSourceInstanceSettings{URL: "https://hydra.example.org/", JSONData: []byte(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	if s.Source != SourceHydra || s.URL != "https://hydra.example.org" || s.MaxConcurrency != 8 || s.TimeoutSeconds != 30 ||
		s.MaxArtifactBytes != 16<<20 || s.StoreDir != "/nix/store" || s.NixStateDir != "/nix/var/nix" {
		t.Fatalf("defaults not applied: %+v", s)
	}
}

func TestSecretsAreReadButNeverSerialised(t *testing.T) {
	s, err := Load(backend.DataSourceInstanceSettings{URL: "http://h", JSONData: []byte(`{"hydraUser":"alice"}`),
		DecryptedSecureJSONData: map[string]string{"hydraPassword": "pw-1", "databasePassword": "pw-2"}})
	if err != nil {
		t.Fatal(err)
	}
	if s.Secrets.HydraPassword != "pw-1" || s.Secrets.DatabasePassword != "pw-2" {
		t.Fatalf("secrets not read: %+v", s.Secrets)
	}
	out, _ := json.Marshal(s)
	if strings.Contains(string(out), "pw-") {
		t.Fatalf("a secret was serialised: %s", out)
	}
}

func TestValidationSaysWhatToFix(t *testing.T) {
	cases := []struct{ url, json, want string }{
		{"", `{}`, "Hydra URL is empty"},
		{"hydra.nixos.org", `{}`, "not an http(s) URL"},
		{"https://h/?x=1", `{}`, "must not have a query"},
		{"https://h", `{"source":"gitlab"}`, `unknown source "gitlab"`},
		{"https://h", `{"source":"hydradb"}`, "needs a PostgreSQL URL"},
		{"https://h", `{"maxConcurrency":1000}`, "too high"},
		{"https://h", `{"maxConcurrency":"eight"}`, "not valid JSON"},
	}
	for _, c := range cases {
		_, err := Load(backend.DataSourceInstanceSettings{URL: c.url, JSONData: []byte(c.json)})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %s: got %v, want %q", c.url, c.json, err, c.want)
		}
	}
}

func TestNixbuildSettings(t *testing.T) {
	s, err := Load(backend.DataSourceInstanceSettings{JSONData: []byte(`{"source":"nixbuild"}`),
		DecryptedSecureJSONData: map[string]string{"nixbuildToken": " tok-1 "}})
	if err != nil {
		t.Fatal(err)
	}
	if s.URL != DefaultNixbuildURL || s.Secrets.NixbuildToken != "tok-1" {
		t.Fatalf("nixbuild defaults: url %q, token read %v", s.URL, s.Secrets.NixbuildToken == "tok-1")
	}
	if out, _ := json.Marshal(s); strings.Contains(string(out), "tok-1") {
		t.Fatalf("the token was serialised: %s", out)
	}
	for _, c := range []struct{ url, token, want string }{
		{"", "", "tokens create -p build:read"},
		{"api.nixbuild.net", "t", "not an http(s) base URL"},
	} {
		_, err := Load(backend.DataSourceInstanceSettings{URL: c.url, JSONData: []byte(`{"source":"nixbuild"}`),
			DecryptedSecureJSONData: map[string]string{"nixbuildToken": c.token}})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("url %q: got %v, want %q", c.url, err, c.want)
		}
	}
}
