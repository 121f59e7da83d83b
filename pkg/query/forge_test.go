package query

import "testing"

func TestCommitURLPrefix(t *testing.T) {
	for repo, want := range map[string]string{
		"github:NixOS/nixpkgs/0123456789abcdef0123456789abcdef01234567": "https://github.com/NixOS/nixpkgs/commit/",
		"github:NixOS/nix?rev=0123456789abcdef0123456789abcdef01234567": "https://github.com/NixOS/nix/commit/",
		"github:acme/app?host=github.example.com":                       "https://github.example.com/acme/app/commit/",
		"gitlab:group/project/main":                                     "https://gitlab.com/group/project/-/commit/",
		"gitlab:group/project?host=gitlab.example.org":                  "https://gitlab.example.org/group/project/-/commit/",
		"sourcehut:~sircmpwn/hare":                                      "https://git.sr.ht/~sircmpwn/hare/commit/",
		"git+https://github.com/NixOS/hydra.git?ref=master&rev=abcdef1": "https://github.com/NixOS/hydra/commit/",
		"https://github.com/NixOS/hydra.git":                            "https://github.com/NixOS/hydra/commit/",
		"https://github.com/NixOS/hydra":                                "https://github.com/NixOS/hydra/commit/",
		"git+ssh://git@github.com/NixOS/hydra":                          "https://github.com/NixOS/hydra/commit/",
		"git@github.com:NixOS/hydra.git":                                "https://github.com/NixOS/hydra/commit/",
		"https://gitlab.com/group/sub/project.git":                      "https://gitlab.com/group/sub/project/-/commit/",
		"https://git.sr.ht/~user/repo":                                  "https://git.sr.ht/~user/repo/commit/",
		"git+https://git.example.org/repo.git?rev=abcdef1":              "",
		"https://github.com/NixOS":                                      "",
		"github:NixOS":                                                  "",
		"path:/home/me/src":                                             "",
		"/home/me/src":                                                  "",
		"":                                                              "",
		"tarball+https://example.org/x.tar.gz":                          "",
	} {
		if got := CommitURLPrefix(repo); got != want {
			t.Errorf("CommitURLPrefix(%q) = %q, want %q", repo, got, want)
		}
	}
}
