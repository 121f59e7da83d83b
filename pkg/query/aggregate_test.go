package query

import (
	"errors"
	"strings"
	"testing"
)

func TestParseLatest(t *testing.T) {
	for _, c := range []struct{ json, want string }{
		{`{"queryType":"jobs","project":"p","jobset":"j"}`, LatestAny},
		{`{"queryType":"jobs","project":"p","jobset":"j","latest":" latest-finished "}`, LatestFinished},
		{`{"queryType":"aggregate","project":"p","jobset":"j","job":"release"}`, LatestAny},
		{`{"queryType":"aggregate","project":"p","jobset":"j","job":"release","latest":"latest-finished"}`, LatestFinished},
	} {
		q, _, err := Parse(dq(c.json), false)
		if err != nil || q.Latest != c.want {
			t.Errorf("%s: latest %q, %v; want %q", c.json, q.Latest, err, c.want)
		}
	}
}

func TestParseRejectsBadLatestAndIncompleteAggregate(t *testing.T) {
	for _, c := range []struct{ json, want string }{
		{`{"queryType":"jobs","project":"p","jobset":"j","latest":"newest"}`, `latest "newest" is not known: use latest`},
		{`{"queryType":"aggregate","project":"p","jobset":"j","job":"x","latest":"succeeded"}`, "or latest-finished"},
		{`{"queryType":"aggregate","project":"p","jobset":"j"}`, "job is empty"},
		{`{"queryType":"aggregate","jobset":"j","job":"x"}`, "project is empty"},
		{`{"queryType":"aggregate","project":"p","job":"x"}`, "jobset is empty"},
	} {
		_, _, err := Parse(dq(c.json), false) // even where jobs need no project (the store)
		var inv *InvalidError
		if !errors.As(err, &inv) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an InvalidError containing %q", c.json, err, c.want)
		}
	}
}
