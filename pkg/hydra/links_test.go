package hydra_test

import (
	"strings"
	"testing"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/hydra/hydratest"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/testutil"
)

// Each point links to its build, its evaluation and, when the evaluations' input is on a
// known forge, its commit there; elsewhere there is no commit link.
func TestDataLinksToBuildEvalAndCommit(t *testing.T) {
	for repo, commit := range map[string]string{
		"https://github.com/acme/bench.git":   "https://github.com/acme/bench/commit/${__data.fields.revision}",
		"https://gitlab.com/acme/tools/bench": "https://gitlab.com/acme/tools/bench/-/commit/${__data.fields.revision}",
		"https://git.example.org/bench.git":   "",
	} {
		e := newEnv(t, envOpts{})
		hydratest.GenerateJob(e.srv, hydratest.GenOptions{N: 3, Repo: repo})
		r := e.run(testutil.Job(map[string]any{"queryType": "metric", "metric": "time"}))
		testutil.MustOK(t, r)
		links := map[string]string{}
		for _, l := range testutil.FieldNamed(r.Frames[0], "value").Config.Links {
			links[strings.Fields(l.Title)[0]] = l.URL
		}
		base := e.srv.URL
		want := map[string]string{"Build": base + "/build/${__data.fields.build}", "Evaluation": base + "/eval/${__data.fields.eval}"}
		if commit != "" {
			want["Commit"] = commit
		}
		if len(links) != len(want) {
			t.Errorf("%s: links %v, want %v", repo, links, want)
		}
		for k, v := range want {
			if links[k] != v {
				t.Errorf("%s: %s link %q, want %q", repo, k, links[k], v)
			}
		}
		// the columns the links read are there, revision visible and eval in tooltips
		for _, name := range []string{"build", "eval", "revision"} {
			if testutil.FieldNamed(r.Frames[0], name) == nil {
				t.Errorf("%s: no %s column for the links", repo, name)
			}
		}
	}
}
