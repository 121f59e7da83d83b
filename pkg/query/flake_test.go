package query

import "testing"

func TestFlakeRevision(t *testing.T) {
	sha := "0123456789abcdef0123456789abcdef01234567"
	for ref, want := range map[string]string{
		"github:o/r/" + sha:                             sha,
		"github:o/r/" + sha + "?dir=sub":                sha,
		"git+https://host/r?ref=main&rev=" + sha:        sha,
		"git+https://host/r?rev=" + sha + "#attr":       sha,
		"gitlab:o/r?rev=abc1234":                        "abc1234",
		"path:/nix/store/" + sha + "?narHash=sha256-xx": sha,
		"github:o/r":                    "",
		"github:o/r/main":               "",
		"":                              "",
		sha:                             "",
		"git+https://host/r?rev=nothex": "",
	} {
		if got := FlakeRevision(ref); got != want {
			t.Errorf("FlakeRevision(%q) = %q, want %q", ref, got, want)
		}
	}
}

func TestPickRevision(t *testing.T) {
	a, b := EvalInput{Name: "nixpkgs", Revision: "aaaa"}, EvalInput{Name: "src", Revision: "bbbb"}
	cases := []struct {
		flake, expr string
		inputs      []EvalInput
		want        string
	}{
		{"github:o/r/0123456789abcdef0123456789abcdef01234567", "src", []EvalInput{a, b}, "0123456789abcdef0123456789abcdef01234567"},
		{"", "src", []EvalInput{a, b}, "bbbb"},
		{"", "", []EvalInput{b}, "bbbb"},
		{"", "", []EvalInput{a, b}, ""},          // ambiguous
		{"", "other", []EvalInput{a, b}, "aaaa"}, // the expression's input has no revision: first by name
		{"", "src", nil, ""},
	}
	for _, c := range cases {
		if got := PickRevision(c.flake, c.expr, c.inputs); got != c.want {
			t.Errorf("PickRevision(%q, %q, %v) = %q, want %q", c.flake, c.expr, c.inputs, got, c.want)
		}
	}
}
