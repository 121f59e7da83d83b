package query

import "strings"

// FlakeRevision takes the commit out of a locked flake reference: a rev= parameter
// (git+https://host/repo?ref=main&rev=<sha>) or a 40/64-hex last path element
// (github:owner/repo/<sha>). "" when there is none.
func FlakeRevision(ref string) string {
	path, params, _ := strings.Cut(ref, "?")
	params, _, _ = strings.Cut(params, "#")
	for _, p := range strings.Split(params, "&") {
		if v, ok := strings.CutPrefix(p, "rev="); ok && isHex(v) && len(v) >= 7 && len(v) <= 64 {
			return v
		}
	}
	path, _, _ = strings.Cut(path, "#")
	if !strings.Contains(path, ":") {
		return ""
	}
	last := path[strings.LastIndexByte(path, '/')+1:]
	if (len(last) == 40 || len(last) == 64) && isHex(last) {
		return last
	}
	return ""
}

func isHex(s string) bool {
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return s != ""
}
