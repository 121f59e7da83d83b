package query

import (
	"context"
	"errors"
	"time"
)

// JobRef names the builds of one job. For the store source only Job is used (a derivation
// name or glob). Tags ("TAG:VALUE,...") narrow the builds where the source knows tags
// (nixbuild.net); other sources ignore them.
type JobRef struct {
	Project string `json:"project"`
	Jobset  string `json:"jobset"`
	Job     string `json:"job"`
	Tags    string `json:"tags,omitempty"`
}

// String renders the job as Hydra writes it: project:jobset:job.
// A job named by its name alone (the store and nixbuild sources, builds recorded without
// project and jobset) is just that name.
func (j JobRef) String() string {
	if j.Project == "" && j.Jobset == "" {
		return j.Job
	}
	return j.Project + ":" + j.Jobset + ":" + j.Job
}

// Window bounds what a source returns: builds queued within [From, To], at most Limit of
// them, newest first.
type Window struct {
	From, To time.Time
	Limit    int
}

// Contains reports whether t lies inside the window's time range.
func (w Window) Contains(t time.Time) bool { return !t.Before(w.From) && !t.After(w.To) }

// Build is one build of a job as every source describes it.
type Build struct {
	ID        int64
	Job       JobRef
	Finished  bool
	Status    int       // Hydra build status; meaningful only when Finished
	Timestamp time.Time // queued (Hydra) or registered (store)
	Start     time.Time // zero when unknown
	Stop      time.Time // zero when unknown
	NixName   string
	System    string
	Cached    bool // outputs were already valid (Hydra: start = stop): duration 0, products copied
	// Resources is what the build used, where the source measures it (nixbuild.net); else nil.
	Resources *Resources
}

// Resources are the figures a builder measured for one build, and its own words for the
// outcome (Status such as "out_of_memory", Message). The peaks are nil when not measured.
type Resources struct {
	Status           string
	Message          string
	QueueSeconds     float64
	CPUSeconds       float64
	CPUCount         int64
	AllocatedBytes   int64
	PeakMemoryBytes  *int64
	PeakStorageBytes *int64
}

// Succeeded reports whether the build finished with status 0.
func (b Build) Succeeded() bool { return b.Finished && b.Status == 0 }

// Duration is how long the build ran in seconds; nil unless both its start and stop are known.
func (b Build) Duration() *float64 {
	if b.Start.IsZero() || b.Stop.IsZero() {
		return nil
	}
	d := b.Stop.Sub(b.Start).Seconds()
	return &d
}

// StatusCode is the finished build's status; nil while it is unfinished.
func (b Build) StatusCode() *int64 {
	if !b.Finished {
		return nil
	}
	c := int64(b.Status)
	return &c
}

// Listing is a page of builds, newest first.
type Listing struct {
	Builds    []Build
	Truncated bool     // more builds matched the window than Limit allowed
	Requests  []string // what was asked of the upstream (URLs or SQL), for ExecutedQueryString
}

// Origin ties a build to the evaluation that introduced it and that evaluation's commit.
type Origin struct {
	Eval     int64
	Revision string
	Repo     string // where Revision lives: a flake reference or an input URI; "" if unknown
}

// MetricPoint is one value of a Hydra metric for one build.
type MetricPoint struct {
	Build     int64
	Timestamp time.Time
	Value     float64
	Unit      string
}

// Eval is one evaluation of a jobset.
type Eval struct {
	ID           int64
	Timestamp    time.Time
	Revision     string
	Flake        string
	Inputs       []EvalInput
	NrBuilds     int
	CheckoutTime int64
	EvalTime     int64
}

// EvalInput is one input of an evaluation.
type EvalInput struct {
	Name, Type, URI, Revision, Value string
}

// JobStatus is the latest build of one job of a jobset.
type JobStatus struct {
	Job   string
	Build Build
}

// Source answers the questions every query type is built from. Implementations must be
// safe for concurrent use and must return a *SourceError (or wrap one) for failures that
// are the user's or the upstream's fault.
type Source interface {
	// Builds lists finished and (where known) unfinished builds of job, newest first.
	Builds(ctx context.Context, job JobRef, w Window) (Listing, error)
	// Complete fills Start and Stop of the given builds (fetching details where needed).
	Complete(ctx context.Context, builds []Build) error
	// Artifact returns the bytes of product in build b, or an error wrapping ErrNoArtifact
	// when the build has no such product or it was garbage-collected.
	Artifact(ctx context.Context, b Build, product string) ([]byte, error)
	// ArtifactURL names where Artifact reads from, for ExecutedQueryString.
	ArtifactURL(b Build, product string) string
	// Metric returns the points of one metric (exact name) of job within w, oldest first.
	Metric(ctx context.Context, job JobRef, name string, w Window) ([]MetricPoint, []string, error)
	// MetricNames lists the metric names of the job's recent builds.
	MetricNames(ctx context.Context, job JobRef) ([]string, error)
	// Origins resolves the eval and revision of each build it can; missing builds are left out.
	Origins(ctx context.Context, job JobRef, builds []Build) (map[int64]Origin, error)
	// BuildURLPrefix is what a build id is appended to for its page in a browser ("" if none).
	BuildURLPrefix() string
}

// EvalSource is implemented by sources that know evaluations.
type EvalSource interface {
	Evals(ctx context.Context, project, jobset string, w Window) ([]Eval, []string, error)
}

// JobSource is implemented by sources that can list the jobs of a jobset with their latest build.
type JobSource interface {
	// Jobs lists the jobset's jobs with their newest build, or with finishedOnly their
	// newest finished build (succeeded or failed); a job without one is left out.
	Jobs(ctx context.Context, project, jobset string, finishedOnly bool) ([]JobStatus, []string, error)
}

// ConstituentSource is implemented by sources that know aggregate jobs (Hydra's
// _hydraAggregate) and the builds they are made of.
type ConstituentSource interface {
	// LatestBuild returns the job's newest build, or with finishedOnly its newest finished
	// one; an *InvalidError when the job has none.
	LatestBuild(ctx context.Context, job JobRef, finishedOnly bool) (Build, []string, error)
	// Constituents returns the constituent builds of an aggregate build (none when it is
	// not an aggregate), with their times and the job each belongs to.
	Constituents(ctx context.Context, aggregate Build) ([]Build, []string, error)
}

// ErrNoArtifact marks a build without the requested product (or whose product is gone).
var ErrNoArtifact = errors.New("no such artifact")
