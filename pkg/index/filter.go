package index

import (
	"strings"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

// isGlob reports whether a job name is a glob: * matches any run of characters, ? one.
func isGlob(job string) bool { return strings.ContainsAny(job, "*?") }

// likePattern turns a job glob into a LIKE pattern: LIKE's own wildcards and escape
// character are escaped, then * becomes % and ? becomes _.
func likePattern(glob string) string {
	var b strings.Builder
	for _, r := range glob {
		switch r {
		case '\\', '%', '_':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '*':
			b.WriteByte('%')
		case '?':
			b.WriteByte('_')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// jobWhere is the condition on builds (alias b) selecting a job's builds: the job by name
// or glob, and the project and jobset only when they are given.
func jobWhere(job query.JobRef, p *params) string { return jobWhereOn("b", job, p) }

// jobWhereOn is jobWhere on another table with project, jobset and job columns.
func jobWhereOn(alias string, job query.JobRef, p *params) string {
	conds := make([]string, 0, 3)
	if job.Project != "" {
		conds = append(conds, alias+".project = "+p.add(job.Project))
	}
	if job.Jobset != "" {
		conds = append(conds, alias+".jobset = "+p.add(job.Jobset))
	}
	if isGlob(job.Job) {
		// the literal prefix as a range too, so that even a generic plan walks the index
		if lo, hi, ok := prefixRange(job.Job); ok {
			conds = append(conds, alias+".job >= "+p.add(lo), alias+".job < "+p.add(hi))
		}
		conds = append(conds, alias+".job LIKE "+p.add(likePattern(job.Job)))
	} else {
		conds = append(conds, alias+".job = "+p.add(job.Job))
	}
	return strings.Join(conds, " AND ")
}

// prefixRange is the byte range of names starting with the glob's literal prefix
// (names are compared byte-wise, COLLATE "C"); ok is false when it has none.
func prefixRange(glob string) (lo, hi string, ok bool) {
	lo = glob[:strings.IndexAny(glob, "*?")]
	end := []byte(lo)
	for len(end) > 0 && end[len(end)-1] == 0xff {
		end = end[:len(end)-1]
	}
	if len(end) == 0 {
		return "", "", false
	}
	end[len(end)-1]++
	return lo, string(end), true
}

// jobsetWhere is the condition on builds (alias b) of a project and jobset, each only
// when given; "true" when neither is.
func jobsetWhere(project, jobset string, p *params) string {
	conds := []string{"true"}
	if project != "" {
		conds = append(conds, "b.project = "+p.add(project))
	}
	if jobset != "" {
		conds = append(conds, "b.jobset = "+p.add(jobset))
	}
	if len(conds) > 1 {
		conds = conds[1:]
	}
	return strings.Join(conds, " AND ")
}
