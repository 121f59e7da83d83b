// Package query is the engine: the query model and its validation, the Source interface,
// gjson extraction, and the frames each query type returns. It knows no source's internals.
package query

import (
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

// Query types of the contract.
const (
	TypeArtifact  = "artifact"
	TypeMetric    = "metric"
	TypeBuilds    = "builds"
	TypeEvals     = "evals"
	TypeJobs      = "jobs"
	TypeCompare   = "compare"   // two builds' numbers side by side, with the change
	TypeAggregate = "aggregate" // the constituents of an aggregate job's latest build
)

// Which build of a job counts as its latest (jobs and aggregate queries).
const (
	LatestAny      = "latest"          // the newest build, whatever its state
	LatestFinished = "latest-finished" // the newest build that finished (succeeded or not)
)

// Which direction of change is a regression (the regression option).
const (
	BetterLower  = "lower"  // durations, sizes: a rise is a regression
	BetterHigher = "higher" // throughput, coverage: a fall is a regression
)

// Time fields of the contract.
const (
	TimeQueued = "timestamp"
	TimeStop   = "stoptime"
)

// DefaultLimit and MaxLimit bound how many builds one query may walk.
const (
	DefaultLimit = 100
	MaxLimit     = 100_000
)

// Query is the panel target JSON of the contract.
type Query struct {
	QueryType string `json:"queryType"`
	Project   string `json:"project"`
	Jobset    string `json:"jobset"`
	Job       string `json:"job"`
	Product   string `json:"product"`
	Path      string `json:"path"`
	Metric    string `json:"metric"`
	Limit     Limit  `json:"limit"`
	TimeField string `json:"timeField"`
	Tags      string `json:"tags"` // "TAG:VALUE,TAG2:VALUE2": only builds with these tags (nixbuild.net)

	// The regression option (artifact and metric queries): per series, the baseline (median
	// of the previous BaselineBuilds values), each build's relative change against it, and a
	// flag where the change passes Threshold percent in the bad direction.
	Regression     bool     `json:"regression"`
	BaselineBuilds int      `json:"baselineBuilds"` // K; default 10
	Threshold      *float64 `json:"threshold"`      // percent; absent or null: 5 (validate sets it), 0 is kept
	Better         string   `json:"better"`         // BetterLower (default) or BetterHigher

	// Compare queries: two builds given by id or commit revision (a prefix of at least 7
	// hex digits); an empty Target means the job's latest succeeded build.
	Base   string `json:"base"`
	Target string `json:"target"`

	// Latest is LatestAny (default) or LatestFinished, for jobs and aggregate queries.
	Latest string `json:"latest"`

	// pointsCap is set when the panel's Max data points, smaller than Limit, bounds how
	// many builds are read: more points than that cannot be drawn.
	pointsCap bool
}

// Limit is the query's build limit. Older saved queries hold it as a string ("200") or a
// fraction; alert rules send them as saved, without the editor's migration, so both are read.
type Limit int

// UnmarshalJSON reads a number or a numeric string; null or "" mean the default.
func (l *Limit) UnmarshalJSON(b []byte) error {
	s := strings.Trim(strings.TrimSpace(string(b)), `"`)
	if s == "" || s == "null" {
		*l = 0
		return nil
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return Invalidf("limit %s is not a number: set it to how many builds to show, e.g. 100", string(b))
	}
	*l = Limit(math.Max(math.Min(math.Floor(v), math.MaxInt32), math.MinInt32))
	return nil
}

// JobRef returns the job the query is about.
func (q *Query) JobRef() JobRef {
	return JobRef{Project: q.Project, Jobset: q.Jobset, Job: q.Job, Tags: q.Tags}
}

// Parse decodes and validates one data query. fullJob says whether the source needs
// project and jobset besides the job (every source but the local store does).
func Parse(dq backend.DataQuery, fullJob bool) (*Query, Window, error) {
	q := &Query{}
	if err := json.Unmarshal(dq.JSON, q); err != nil {
		var inv *InvalidError
		if errors.As(err, &inv) {
			return nil, Window{}, inv
		}
		return nil, Window{}, Invalidf("the query is not valid JSON of the expected shape (%v); re-save the panel's query", err)
	}
	if dq.QueryType != "" {
		q.QueryType = dq.QueryType
	}
	trimAll(q)
	if err := q.validate(fullJob); err != nil {
		return nil, Window{}, err
	}
	w, err := window(dq.TimeRange, int(q.Limit))
	if (q.QueryType == TypeArtifact || q.QueryType == TypeMetric) && dq.MaxDataPoints > 0 && dq.MaxDataPoints < int64(w.Limit) {
		w.Limit, q.pointsCap = int(dq.MaxDataPoints), true
	}
	return q, w, err
}

func trimAll(q *Query) {
	for _, s := range []*string{&q.QueryType, &q.Project, &q.Jobset, &q.Job, &q.Product, &q.Path, &q.Metric, &q.TimeField,
		&q.Better, &q.Base, &q.Target, &q.Latest, &q.Tags} {
		*s = strings.TrimSpace(*s)
	}
}

func (q *Query) validate(fullJob bool) error {
	if q.QueryType == "" {
		q.QueryType = TypeArtifact
	}
	switch q.QueryType {
	case TypeArtifact, TypeMetric, TypeBuilds, TypeCompare:
		if err := q.needJob(fullJob); err != nil {
			return err
		}
	case TypeEvals, TypeJobs:
		if err := needNames(map[string]string{"project": q.Project, "jobset": q.Jobset}, "project", "jobset"); err != nil {
			return err
		}
	case TypeAggregate:
		if err := q.needJob(true); err != nil {
			return err
		}
	default:
		return Invalidf("unknown query type %q: use artifact, metric, builds, compare, evals, jobs or aggregate", q.QueryType)
	}
	switch q.QueryType {
	case TypeArtifact:
		if err := q.validateArtifact(); err != nil {
			return err
		}
	case TypeCompare:
		if err := q.validateCompare(); err != nil {
			return err
		}
	case TypeMetric:
		if q.Metric == "" {
			return Invalidf("metric query needs a metric name (or a glob such as *.time) in the metric field")
		}
		if hasControl(q.Metric) || strings.Contains(q.Metric, "/") {
			return Invalidf("metric name %q may not contain '/' or control characters", q.Metric)
		}
	}
	if err := q.validateLatest(); err != nil {
		return err
	}
	if err := q.validateRegression(); err != nil {
		return err
	}
	if err := validateTags(q.Tags); err != nil {
		return err
	}
	switch {
	case q.Limit == 0:
		q.Limit = DefaultLimit
	case q.Limit < 0 || q.Limit > MaxLimit:
		return Invalidf("limit %d is out of range: use a number of builds from 1 to %d", q.Limit, MaxLimit)
	}
	switch q.TimeField {
	case "":
		q.TimeField = TimeQueued
	case TimeQueued, TimeStop:
	default:
		return Invalidf("timeField %q is not known: use timestamp (queue time) or stoptime", q.TimeField)
	}
	return nil
}

// validateLatest defaults latest for the jobs and aggregate queries, the only ones it
// applies to, and refuses values other than LatestAny and LatestFinished.
func (q *Query) validateLatest() error {
	if q.QueryType != TypeJobs && q.QueryType != TypeAggregate {
		return nil
	}
	switch q.Latest {
	case "":
		q.Latest = LatestAny
	case LatestAny, LatestFinished:
	default:
		return Invalidf("latest %q is not known: use latest (the newest build, whatever its state) or latest-finished (the newest build that finished, succeeded or failed)", q.Latest)
	}
	return nil
}

func (q *Query) needJob(fullJob bool) error {
	names := map[string]string{"project": q.Project, "jobset": q.Jobset, "job": q.Job}
	if fullJob {
		return needNames(names, "project", "jobset", "job")
	}
	return needNames(names, "job")
}

func needNames(values map[string]string, keys ...string) error {
	for _, k := range keys {
		v := values[k]
		if v == "" {
			return Invalidf("%s is empty: this query needs %s (a job is named project:jobset:job)", k, strings.Join(keys, ", "))
		}
		if strings.ContainsAny(v, "/?#") || hasControl(v) || strings.ContainsFunc(v, unicode.IsSpace) {
			return Invalidf("%s %q is not a valid Hydra name: it may not contain '/', '?', '#' or spaces", k, v)
		}
	}
	return nil
}

func (q *Query) validateArtifact() error {
	if q.Product == "" {
		return Invalidf("artifact query needs a product: the build product's file name (bench.json) or its path inside the output (results/bench.json)")
	}
	if strings.HasPrefix(q.Product, "/") || strings.Contains(q.Product, "..") || hasControl(q.Product) {
		return Invalidf("product %q must be a file name or a relative path inside the build output, without '..'", q.Product)
	}
	if q.Path == "" {
		return Invalidf("artifact query needs a path into the JSON, e.g. results.throughput (gjson syntax)")
	}
	return ValidatePath(q.Path)
}

// validateTags accepts "" or comma-separated TAG:VALUE pairs, both parts non-empty and
// without spaces, as nixbuild.net's tags filter takes them.
func validateTags(tags string) error {
	if tags == "" {
		return nil
	}
	for _, pair := range strings.Split(tags, ",") {
		tag, value, ok := strings.Cut(pair, ":")
		if !ok || tag == "" || value == "" || strings.ContainsFunc(pair, unicode.IsSpace) || hasControl(pair) {
			return Invalidf("tags %q: use comma-separated TAG:VALUE pairs without spaces, e.g. branch:main,ci:nightly", tags)
		}
	}
	return nil
}

func hasControl(s string) bool { return strings.ContainsFunc(s, unicode.IsControl) }

func window(tr backend.TimeRange, limit int) (Window, error) {
	from, to := tr.From, tr.To
	if to.IsZero() {
		to = time.Now()
	}
	if to.Before(from) {
		return Window{}, Invalidf("the time range ends (%s) before it starts (%s): pick a valid dashboard time range",
			to.UTC().Format(time.RFC3339), from.UTC().Format(time.RFC3339))
	}
	return Window{From: from, To: to, Limit: limit}, nil
}
