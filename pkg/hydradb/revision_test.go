package hydradb

import "testing"

func TestFullPath(t *testing.T) {
	for _, c := range [][4]string{
		{"/nix/store/abc-x/bench.json", "", "", "/nix/store/abc-x/bench.json"}, // not converted yet
		{"abc-x", "/nix/store", "share/doc/bench.json", "/nix/store/abc-x/share/doc/bench.json"},
		{"abc-x", "/nix/store/", "", "/nix/store/abc-x"},
		{"", "/nix/store", "", ""},
	} {
		if got := fullPath(c[0], c[1], c[2]); got != c[3] {
			t.Errorf("fullPath(%q, %q, %q) = %q, want %q", c[0], c[1], c[2], got, c[3])
		}
	}
}
