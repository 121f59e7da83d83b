package recorder

// commitVars are the CI environment variables that hold the commit being built, in the
// order they are tried: GitHub Actions, GitLab CI and Woodpecker, Buildkite, CircleCI, Drone,
// Travis CI, Azure Pipelines, Jenkins (git plugin).
var commitVars = []string{
	"GITHUB_SHA", "CI_COMMIT_SHA", "BUILDKITE_COMMIT", "CIRCLE_SHA1", "DRONE_COMMIT_SHA",
	"TRAVIS_COMMIT", "BUILD_SOURCEVERSION", "GIT_COMMIT",
}

// CommitFromEnv returns the commit named by the first set CI variable, and that variable.
func CommitFromEnv(getenv func(string) string) (commit, from string) {
	for _, v := range commitVars {
		if c := getenv(v); c != "" {
			return c, v
		}
	}
	return "", ""
}
