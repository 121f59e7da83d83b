package index

import "testing"

func TestGlobsBecomeEscapedLikePatterns(t *testing.T) {
	for glob, want := range map[string]string{
		"bench-*":   `bench-%`,
		"b?nch":     `b_nch`,
		"a_b%c":     `a\_b\%c`,
		`back\sl*`:  `back\\sl%`,
		"[x]*":      `[x]%`,
		"*.time":    `%.time`,
		"plain":     `plain`,
		"multi*x*?": `multi%x%_`,
	} {
		if got := likePattern(glob); got != want {
			t.Errorf("likePattern(%q) = %q, want %q", glob, got, want)
		}
	}
	for glob, want := range map[string][2]string{"bench-*": {"bench-", "bench."}, "ab\xff*": {"ab\xff", "ac"}} {
		lo, hi, ok := prefixRange(glob)
		if !ok || lo != want[0] || hi != want[1] {
			t.Errorf("prefixRange(%q) = %q, %q, %v", glob, lo, hi, ok)
		}
	}
	if _, _, ok := prefixRange("*x"); ok {
		t.Error("a glob without a literal prefix has a range")
	}
}
