package nixstore

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"sync"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/record"
)

// Bounds on what one journal line may make the index keep; lines beyond them are skipped.
const (
	maxNameLen     = 1 << 10  // project, jobset, job, commit, system names
	maxRecProducts = 1 << 10  // products kept of one record
	maxRecMetrics  = 1 << 12  // metrics kept of one record
	maxJournalLine = 16 << 20 // the longest line record.ReadJournal reads
)

// journal is what the index has read of the journal of `nixci-artifacts record`
// (<nixStateDir>/nixci-artifacts/journal.jsonl). A journal that was replaced is read
// again from its start into a new journal.
type journal struct {
	dir  string
	file string

	// Owned by the refresh in flight.
	offset int64
	info   os.FileInfo
	recs   map[string]*record.Record // the latest record of each main output path

	// Read by queries under mu.
	mu       sync.RWMutex
	realDir  string                        // dir with its symlinks resolved; "" while it does not exist
	evals    []*evalInfo                   // imported evaluations, in journal order
	evalIDs  map[int64]bool                // ids of evals, to skip an evaluation imported twice
	drvEval  map[string]*evalInfo          // derivation → the earliest imported eval listing it
	byCommit map[commitKey]*evalInfo       // the earliest imported eval of each jobset and commit
	names    map[jobsetKey]map[string]bool // job names of recorded builds and eval attributes
	records  int                           // build lines read
	bad      int                           // lines skipped
}

type jobsetKey struct{ project, jobset string }

type commitKey struct{ project, jobset, commit string }

// evalInfo is one imported evaluation.
type evalInfo struct {
	id       int64
	project  string
	jobset   string
	commit   string
	at       int64 // Unix nanoseconds
	nrBuilds int
}

func newJournal(stateDir string) *journal {
	dir := record.DefaultDir(stateDir)
	return &journal{dir: dir, file: filepath.Join(dir, record.JournalFile), recs: map[string]*record.Record{},
		evalIDs: map[int64]bool{}, drvEval: map[string]*evalInfo{}, byCommit: map[commitKey]*evalInfo{}, names: map[jobsetKey]map[string]bool{}}
}

// replaced reports whether the journal file is no longer the one read so far.
func (j *journal) replaced() bool {
	fi, err := os.Stat(j.file)
	return err == nil && j.info != nil && (!os.SameFile(fi, j.info) || fi.Size() < j.offset)
}

// tail reads the lines appended since the last call and returns the new build records
// (only complete lines; bad ones are skipped). store is the clean store directory: a
// record whose main output is not a path in it is skipped.
func (j *journal) tail(store string) ([]*record.Record, error) {
	fi, err := os.Stat(j.file)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the journal %s: %w", j.file, err)
	}
	real, err := filepath.EvalSymlinks(j.dir)
	if err != nil {
		return nil, fmt.Errorf("reading the journal directory %s: %w", j.dir, err)
	}
	if rf, err := filepath.EvalSymlinks(j.file); err != nil || filepath.Dir(rf) != real {
		return nil, fmt.Errorf("refused to read the journal %s: it is a link out of %s", j.file, j.dir)
	}
	j.mu.Lock()
	j.realDir = real
	j.mu.Unlock()
	j.info = fi
	var recs []*record.Record
	var evals []record.Eval
	for {
		skipped := 0
		next, bad, err := record.ReadJournal(j.dir, j.offset, func(e record.Entry) error {
			switch {
			case e.Kind == record.KindBuild && sane(e.Build, store):
				recs = append(recs, e.Build)
			case e.Kind == record.KindEval && saneEval(e.Eval):
				evals = append(evals, *e.Eval)
			default:
				skipped++
			}
			return nil
		})
		j.offset = next
		j.count(bad + skipped)
		if err == nil {
			break
		}
		// A line too long to read is skipped whole once it is complete.
		if end, ok := skipLine(j.file, next); ok && end-next > maxJournalLine {
			j.offset = end
			j.count(1)
			continue
		}
		j.apply(recs, evals)
		return recs, fmt.Errorf("reading the journal %s: %w", j.file, err)
	}
	j.apply(recs, evals)
	return recs, nil
}

func (j *journal) count(bad int) {
	j.mu.Lock()
	j.bad += bad
	j.mu.Unlock()
}

// apply takes new records and evaluations into the journal's maps.
func (j *journal) apply(recs []*record.Record, evals []record.Eval) {
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, r := range recs {
		j.recs[r.MainOutput()] = r
		j.name(r.Project, r.Jobset, r.Job)
		j.records++
	}
	for _, e := range evals {
		id := evalID("eval", e.Key())
		if j.evalIDs[id] {
			continue
		}
		j.evalIDs[id] = true
		ev := &evalInfo{id: id, project: e.Project, jobset: e.Jobset, commit: e.Commit, at: e.Time.UnixNano()}
		j.name(e.Project, e.Jobset, "")
		for _, job := range e.Jobs {
			if job.Error != "" || job.DrvPath == "" {
				continue
			}
			ev.nrBuilds++
			j.name(e.Project, e.Jobset, job.Attr)
			if old := j.drvEval[job.DrvPath]; old == nil || ev.at < old.at {
				j.drvEval[job.DrvPath] = ev
			}
		}
		j.evals = append(j.evals, ev)
		if k := (commitKey{e.Project, e.Jobset, e.Commit}); e.Commit != "" && (j.byCommit[k] == nil || ev.at < j.byCommit[k].at) {
			j.byCommit[k] = ev
		}
	}
}

// name notes a job of a jobset; an empty job notes the jobset only.
func (j *journal) name(project, jobset, job string) {
	k := jobsetKey{project, jobset}
	if j.names[k] == nil {
		j.names[k] = map[string]bool{}
	}
	if job != "" && len(job) <= maxNameLen {
		j.names[k][job] = true
	}
}

// jobsets lists the project/jobset pairs the journal knows, sorted.
func (j *journal) jobsets() []jobsetKey {
	j.mu.RLock()
	defer j.mu.RUnlock()
	out := make([]jobsetKey, 0, len(j.names))
	for k := range j.names {
		out = append(out, k)
	}
	sort.Slice(out, func(a, b int) bool {
		return out[a].project < out[b].project || (out[a].project == out[b].project && out[a].jobset < out[b].jobset)
	})
	return out
}

// sane keeps a journal record only when its main output is a path directly in store
// and its names and lists are of bounded size. Products and metrics beyond the bounds
// are dropped.
func sane(r *record.Record, store string) bool {
	p := r.MainOutput()
	if path.Clean(p) != p || outputName(store, p) == "" {
		return false
	}
	for _, s := range []string{r.Project, r.Jobset, r.Job, r.Commit, r.System, r.NixName} {
		if len(s) > maxNameLen {
			return false
		}
	}
	r.Products = r.Products[:min(len(r.Products), maxRecProducts)]
	r.Metrics = r.Metrics[:min(len(r.Metrics), maxRecMetrics)]
	for i := range r.Products {
		r.Products[i].Content = nil
	}
	return true
}

// saneEval keeps an imported evaluation that names its jobset and time.
func saneEval(e *record.Eval) bool {
	return e.Project != "" && e.Jobset != "" && !e.Time.IsZero() &&
		len(e.Project) <= maxNameLen && len(e.Jobset) <= maxNameLen && len(e.Commit) <= maxNameLen
}

// skipLine finds the end of the line at offset: the offset after its newline, or false
// while the line is not complete.
func skipLine(file string, offset int64) (int64, bool) {
	f, err := os.Open(file)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for at := offset; ; {
		n, err := f.ReadAt(buf, at)
		if i := bytes.IndexByte(buf[:n], '\n'); i >= 0 {
			return at + int64(i) + 1, true
		}
		if err != nil && !errors.Is(err, io.EOF) || n == 0 {
			return 0, false
		}
		at += int64(n)
	}
}
