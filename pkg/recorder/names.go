package recorder

import (
	"fmt"
	"strings"
	"unicode"
)

// JobName is the job a derivation name stands for when none is given: its name part as
// Nix splits names (builtins.parseDrvName): everything before the first dash that is not
// followed by a letter. mybench-1.2 → mybench, patchelf-coverage-0.15.0 → patchelf-coverage.
func JobName(nixName string) string {
	for i := 0; i+1 < len(nixName); i++ {
		if nixName[i] == '-' && !unicode.IsLetter(rune(nixName[i+1])) {
			return nixName[:i]
		}
	}
	return nixName
}

// CheckName says what is wrong with a project, jobset or job name given on the command
// line: the plugin's queries refuse '/', '?', '#', spaces and control characters.
func CheckName(what, v string) error {
	if strings.ContainsAny(v, "/?#") || strings.ContainsFunc(v, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		return fmt.Errorf("%s %q may not contain '/', '?', '#' or spaces (Grafana queries name jobs project:jobset:job)", what, v)
	}
	return nil
}

// storeName is the name part of a store path's base name: /nix/store/<hash>-name → name.
func storeName(p string) string {
	base := p[strings.LastIndexByte(p, '/')+1:]
	if len(base) > 33 && base[32] == '-' {
		return base[33:]
	}
	return base
}
