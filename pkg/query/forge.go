package query

import (
	"net/url"
	"strings"
)

// CommitURLPrefix is what a commit revision is appended to for its page on the forge that
// hosts repo (a flake reference or an input URI, as Hydra records them), for the forges
// whose commit pages have a known form: GitHub, GitLab (gitlab.com, or another host named by
// a gitlab: flake's host parameter) and sourcehut. "" for any other repository.
func CommitURLPrefix(repo string) string {
	repo = strings.TrimSpace(repo)
	if kind, rest, ok := strings.Cut(repo, ":"); ok {
		switch kind {
		case "github", "gitlab", "sourcehut":
			return flakeForge(kind, rest)
		}
	}
	repo = strings.TrimPrefix(repo, "git+")
	if host, path, ok := scpLike(repo); ok {
		return forgeCommits(host, path)
	}
	u, err := url.Parse(repo)
	if err != nil || u.Host == "" {
		return ""
	}
	return forgeCommits(u.Hostname(), u.Path)
}

// flakeForge reads github:owner/repo[/ref][?host=…] and its gitlab: and sourcehut: kin.
func flakeForge(kind, rest string) string {
	path, query, _ := strings.Cut(rest, "?")
	parts := strings.Split(strings.Trim(path, "/"), "/")
	if len(parts) < 2 || parts[0] == "" || parts[1] == "" {
		return ""
	}
	host := map[string]string{"github": "github.com", "gitlab": "gitlab.com", "sourcehut": "git.sr.ht"}[kind]
	if params, err := url.ParseQuery(query); err == nil && params.Get("host") != "" {
		host = params.Get("host")
	}
	owner, name := parts[0], parts[1]
	switch kind {
	case "github":
		return "https://" + host + "/" + owner + "/" + name + "/commit/"
	case "gitlab":
		return "https://" + host + "/" + owner + "/" + name + "/-/commit/"
	}
	return "https://" + host + "/" + owner + "/" + name + "/commit/"
}

// scpLike reads git@host:owner/repo.git.
func scpLike(repo string) (host, path string, ok bool) {
	if strings.Contains(repo, "://") {
		return "", "", false
	}
	userHost, path, ok := strings.Cut(repo, ":")
	if !ok || !strings.Contains(userHost, "@") {
		return "", "", false
	}
	return userHost[strings.IndexByte(userHost, '@')+1:], path, true
}

// forgeCommits is the commit URL prefix of owner/repo on a known forge host.
func forgeCommits(host, path string) string {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	if len(parts) < 2 {
		return ""
	}
	owner, name := parts[0], strings.TrimSuffix(parts[1], ".git")
	if owner == "" || name == "" {
		return ""
	}
	switch strings.ToLower(host) {
	case "github.com":
		return "https://github.com/" + owner + "/" + name + "/commit/"
	case "gitlab.com":
		// GitLab groups nest: the project is everything up to the end
		full := strings.TrimSuffix(strings.Join(parts, "/"), ".git")
		return "https://gitlab.com/" + full + "/-/commit/"
	case "git.sr.ht":
		return "https://git.sr.ht/" + owner + "/" + name + "/commit/"
	}
	return ""
}
