package recorder

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/record"
)

// maxDrvSize bounds the .drv files read (nixpkgs' largest are a few hundred KiB).
const maxDrvSize = 16 << 20

// Derivation is what the recorder needs of a .drv file: its outputs, name and system.
type Derivation struct {
	Outputs []record.Output // in the file's order (sorted by name, as Nix writes them)
	Name    string          // the env's name, e.g. mybench-1.2
	System  string
}

// ReadDerivation parses the ATerm of a .drv file: Derive([outputs],[inputDrvs],[inputSrcs],
// "system","builder",[args],[env]). Content-addressed outputs have an empty path.
func ReadDerivation(file string) (Derivation, error) {
	fi, err := os.Stat(file)
	if err != nil {
		return Derivation{}, fmt.Errorf("reading the derivation: %w", err)
	}
	if fi.Size() > maxDrvSize {
		return Derivation{}, fmt.Errorf("derivation %s is %d bytes, more than %d", file, fi.Size(), maxDrvSize)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return Derivation{}, fmt.Errorf("reading the derivation: %w", err)
	}
	d, err := ParseDerivation(string(b))
	if err != nil {
		return Derivation{}, fmt.Errorf("derivation %s: %w", file, err)
	}
	return d, nil
}

// ParseDerivation parses a derivation's ATerm text.
func ParseDerivation(s string) (Derivation, error) {
	p := &aterm{s: s}
	v, err := p.value(0)
	if err != nil {
		return Derivation{}, err
	}
	if p.skipSpace(); p.i != len(p.s) {
		return Derivation{}, fmt.Errorf("unexpected text at byte %d after the derivation", p.i)
	}
	if v.ctor != "Derive" || len(v.items) < 7 {
		return Derivation{}, errors.New("not a derivation: expected Derive(...) with 7 fields")
	}
	var d Derivation
	for _, o := range v.items[0].items {
		if len(o.items) < 2 || o.items[0].str == nil || o.items[1].str == nil {
			return Derivation{}, errors.New("malformed output in the derivation")
		}
		d.Outputs = append(d.Outputs, record.Output{Name: *o.items[0].str, Path: *o.items[1].str})
	}
	if v.items[3].str != nil {
		d.System = *v.items[3].str
	}
	for _, kv := range v.items[6].items {
		if len(kv.items) == 2 && kv.items[0].str != nil && kv.items[1].str != nil && *kv.items[0].str == "name" {
			d.Name = *kv.items[1].str
		}
	}
	return d, nil
}

// term is an ATerm value: a string, or a list/tuple/constructor application of terms.
type term struct {
	str   *string
	ctor  string
	items []term
}

type aterm struct {
	s string
	i int
}

const maxDepth = 8

func (p *aterm) skipSpace() {
	for p.i < len(p.s) && strings.ContainsRune(" \t\r\n", rune(p.s[p.i])) {
		p.i++
	}
}

func (p *aterm) value(depth int) (term, error) {
	if depth > maxDepth {
		return term{}, errors.New("derivation nested too deeply")
	}
	p.skipSpace()
	if p.i >= len(p.s) {
		return term{}, errors.New("derivation ends early")
	}
	switch c := p.s[p.i]; {
	case c == '"':
		s, err := p.str()
		return term{str: &s}, err
	case c == '[':
		items, err := p.seq(']', depth)
		return term{items: items}, err
	case c == '(':
		items, err := p.seq(')', depth)
		return term{items: items}, err
	case c >= 'A' && c <= 'Z':
		start := p.i
		for p.i < len(p.s) && (p.s[p.i] >= 'A' && p.s[p.i] <= 'Z' || p.s[p.i] >= 'a' && p.s[p.i] <= 'z') {
			p.i++
		}
		ctor := p.s[start:p.i]
		if p.i >= len(p.s) || p.s[p.i] != '(' {
			return term{}, fmt.Errorf("expected ( after %s at byte %d", ctor, p.i)
		}
		items, err := p.seq(')', depth)
		return term{ctor: ctor, items: items}, err
	default:
		return term{}, fmt.Errorf("unexpected %q at byte %d", c, p.i)
	}
}

// seq reads comma-separated values up to the closing byte; p.i is at the opening one.
func (p *aterm) seq(closing byte, depth int) ([]term, error) {
	p.i++
	var items []term
	for {
		p.skipSpace()
		if p.i < len(p.s) && p.s[p.i] == closing {
			p.i++
			return items, nil
		}
		if len(items) > 0 {
			if p.i >= len(p.s) || p.s[p.i] != ',' {
				return nil, fmt.Errorf("expected , or %c at byte %d", closing, p.i)
			}
			p.i++
		}
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		items = append(items, v)
	}
}

// str reads a quoted string with Nix's escapes (\" \\ \n \r \t).
func (p *aterm) str() (string, error) {
	p.i++
	var b strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		p.i++
		switch c {
		case '"':
			return b.String(), nil
		case '\\':
			if p.i >= len(p.s) {
				return "", errors.New("derivation ends inside a string")
			}
			e := p.s[p.i]
			p.i++
			switch e {
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			default:
				b.WriteByte(e)
			}
		default:
			b.WriteByte(c)
		}
	}
	return "", errors.New("derivation ends inside a string")
}
