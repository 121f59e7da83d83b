package nixstore

import (
	"cmp"
	"path"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/record"
)

// item is one build the index knows: a valid store path, a recorded build, or both
// merged by main output path. Its fields never change once published, except dead.
type item struct {
	id      int64  // BuildID(path)
	path    string // main output path
	name    string // the path's name without hash, e.g. mybench-1
	deriver string // the .drv that built it, from the Nix database; "" when unknown
	at      int64  // Unix nanoseconds: the record's time, else the registration time
	ord     int64  // ValidPaths id when the path was seen valid (orders equal times), else 0
	valid   bool   // the path was in ValidPaths when the item was made
	rec     *record.Record
	// dead is the index generation from which a newer item of the same path replaces
	// this one (0: none yet). Written by the refresh, read by queries.
	dead atomic.Uint64
	// metrics is the output's parsed hydra-metrics once read (not for recorded builds).
	metrics atomic.Pointer[metricList]
}

// liveAt reports whether the item is the current one of its path in generation gen.
func (it *item) liveAt(gen uint64) bool {
	d := it.dead.Load()
	return d == 0 || d > gen
}

// time is the build's time: when it was recorded, else when its output became valid.
func (it *item) time() time.Time { return time.Unix(0, it.at) }

// build describes the item as the engine sees it.
func (it *item) build() query.Build {
	b := query.Build{ID: it.id, Job: query.JobRef{Job: it.name}, Finished: true, NixName: it.name,
		Timestamp: it.time(), Stop: it.time()}
	if r := it.rec; r != nil {
		b.Job = query.JobRef{Project: r.Project, Jobset: r.Jobset, Job: r.Job}
		b.Status, b.System = r.Status, r.System
		if r.NixName != "" {
			b.NixName = r.NixName
		}
	}
	return b
}

// newer orders items newest first: by time, then by ValidPaths id, then by id.
func newer(a, b *item) int {
	if c := cmp.Compare(b.at, a.at); c != 0 {
		return c
	}
	if c := cmp.Compare(b.ord, a.ord); c != 0 {
		return c
	}
	return cmp.Compare(b.id, a.id)
}

// validItem is a valid path not (yet) recorded.
func validItem(r row, name string) *item {
	return &item{id: BuildID(r.path), path: r.path, name: name, deriver: r.deriver, at: r.reg * int64(time.Second),
		ord: r.id, valid: true}
}

// withRecord is a copy of it (nil: a path not valid) that rec describes.
func withRecord(it *item, rec *record.Record, p string) *item {
	n := &item{id: BuildID(p), path: p, name: nameOf(p), rec: rec, at: rec.Time.UnixNano()}
	if it != nil {
		n.deriver, n.ord, n.valid = it.deriver, it.ord, it.valid
	}
	return n
}

// withRow is a copy of it (a recorded build) whose path has become valid as r.
func withRow(it *item, r row) *item {
	n := withRecord(it, it.rec, it.path)
	n.deriver, n.ord, n.valid = r.deriver, r.id, true
	return n
}

// matcher selects the builds of a query's job: the job is an exact name or a path.Match
// glob of the derivation name (the path's name) or of a recorded build's job. A non-empty
// project or jobset selects recorded builds of that project or jobset only.
type matcher struct {
	job, project, jobset string
	glob                 bool
}

func newMatcher(j query.JobRef) matcher {
	return matcher{job: j.Job, project: j.Project, jobset: j.Jobset, glob: query.IsGlob(j.Job)}
}

func (m matcher) key() string { return m.project + "\x00" + m.jobset + "\x00" + m.job }

func (m matcher) name(s string) bool {
	if !m.glob {
		return s == m.job
	}
	ok, _ := path.Match(m.job, s)
	return ok
}

func (m matcher) match(it *item) bool {
	r := it.rec
	if m.project != "" || m.jobset != "" {
		if r == nil || (m.project != "" && r.Project != m.project) || (m.jobset != "" && r.Jobset != m.jobset) {
			return false
		}
	}
	return m.name(it.name) || (r != nil && r.Job != it.name && m.name(r.Job))
}

// window cuts a newest-first list to the builds within w: at most w.Limit of them
// (w.Limit <= 0: all), saying whether more were left out.
func window(list []*item, w query.Window) ([]*item, bool) {
	lo := 0
	if !w.To.IsZero() {
		to := w.To.UnixNano()
		lo, _ = slices.BinarySearchFunc(list, to, func(it *item, t int64) int { return cmp.Compare(t, it.at) })
	}
	hi := len(list)
	if !w.From.IsZero() {
		from := w.From.UnixNano()
		hi, _ = slices.BinarySearchFunc(list, from-1, func(it *item, t int64) int { return cmp.Compare(t, it.at) })
	}
	list = list[lo:max(lo, hi)]
	if w.Limit > 0 && len(list) > w.Limit {
		return list[:w.Limit], true
	}
	return list, false
}

// outputName is the name of a store path that can be a build's output: not a .drv
// file, and, when store is given, directly in store.
func outputName(store, p string) string {
	if (store != "" && path.Dir(p) != store) || strings.HasSuffix(p, ".drv") {
		return ""
	}
	return nameOf(p)
}
