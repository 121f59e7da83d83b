package plugin

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// fileAccess lists the plugin's files that touch the file system, and why: each only when
// a datasource reads a local Nix store (source store, or hydradb with storeDir).
var fileAccess = map[string]string{
	"nixstore/artifact.go":      "reads products and nix-support files inside storeDir",
	"nixstore/beneath_linux.go": "opens files confined to storeDir (openat2)",
	"nixstore/db.go":            "opens the Nix database read-only",
	"nixstore/index.go":         "checks the Nix database file for changes",
	"nixstore/journal.go":       "tails the journal of nixci-artifacts record",
	"nixstore/source.go":        "checks storeDir and nixStateDir at start",
	"record/journal.go":         "reads journal lines and kept copies (for the store source)",
	"hydradb/store.go":          "reads products from storeDir on the Hydra host",
}

// fsCalls are the functions that open, list or stat files.
var fsCalls = map[string]bool{
	"os.Open": true, "os.OpenFile": true, "os.ReadFile": true, "os.ReadDir": true, "os.Stat": true,
	"os.Lstat": true, "os.OpenRoot": true, "os.OpenInRoot": true, "os.DirFS": true, "os.Create": true,
	"os.WriteFile": true, "os.MkdirAll": true, "os.Mkdir": true, "os.Remove": true, "os.RemoveAll": true,
	"os.Readlink": true, "os.Chdir": true, "golang.org/x/sys/unix.Openat2": true, "golang.org/x/sys/unix.Open": true,
	"syscall.Open": true,
}

// TestPluginFollowsTheValidatorsRules checks the Go files built into gpx_nixci for what
// Grafana's plugin validator looks for: environment reads only of GF_PLUGIN* variables, no
// printing to stdout (go-plugin's channel) or the standard logger, and file access only in
// the files listed in fileAccess.
func TestPluginFollowsTheValidatorsRules(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f",
		`{{if not .Standard}}{{.ImportPath}} {{.Dir}} {{join .GoFiles ","}}{{end}}`,
		"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	seen := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 || !strings.HasPrefix(f[0], "github.com/nixci-artifacts/") {
			continue
		}
		for _, name := range strings.Split(f[2], ",") {
			rel := path.Join(path.Base(f[0]), name)
			if f[0] == "github.com/nixci-artifacts/nixci-artifacts-datasource/pkg" {
				rel = name
			}
			for _, v := range violations(t, filepath.Join(f[1], name), rel, seen) {
				t.Error(v)
			}
		}
	}
	for rel := range fileAccess {
		if !seen[rel] {
			t.Errorf("%s is listed in fileAccess but does not touch files (or is not in the plugin): update the list", rel)
		}
	}
	if len(seen) == 0 {
		t.Fatal("no file of the plugin touches the file system: the check finds nothing (the store source must)")
	}
}

// violations parses one file and returns what breaks the rules; files touching the file
// system are recorded in seen.
func violations(t *testing.T, file, rel string, seen map[string]bool) []string {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	imports := map[string]string{} // local name: import path
	for _, im := range f.Imports {
		p, _ := strconv.Unquote(im.Path.Value)
		name := path.Base(p)
		if im.Name != nil {
			name = im.Name.Name
		}
		imports[name] = p
	}
	var out []string
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		where := rel + ":" + strconv.Itoa(fset.Position(call.Pos()).Line)
		if id, ok := call.Fun.(*ast.Ident); ok && (id.Name == "print" || id.Name == "println") {
			out = append(out, where+": "+id.Name+" writes to stderr outside the SDK's logger")
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		x, ok := sel.X.(*ast.Ident)
		if !ok || imports[x.Name] == "" {
			return true
		}
		fn := imports[x.Name] + "." + sel.Sel.Name
		switch {
		case fn == "os.Getenv" || fn == "os.LookupEnv":
			if lit, ok := call.Args[0].(*ast.BasicLit); !ok || !strings.HasPrefix(strings.Trim(lit.Value, `"`), "GF_PLUGIN") {
				out = append(out, where+": "+fn+" reads an environment variable other than GF_PLUGIN*")
			}
		case fn == "os.Environ" || fn == "os.ExpandEnv" || fn == "os.Setenv":
			out = append(out, where+": "+fn+" touches the environment")
		case strings.HasPrefix(fn, "fmt.Print"):
			out = append(out, where+": "+fn+" writes to stdout, go-plugin's channel: use the SDK's log")
		case imports[x.Name] == "log":
			out = append(out, where+": the standard logger: use the SDK's log")
		case fsCalls[fn]:
			seen[rel] = true
			if fileAccess[rel] == "" {
				out = append(out, where+": "+fn+" accesses files outside the store source's files (fileAccess)")
			}
		}
		return true
	})
	return out
}
