package hydratest

// Project is a Hydra project as served by GET / and GET /project/NAME.
type Project struct {
	Name, DisplayName, Description, Owner, Homepage string
	Enabled, Hidden                                 bool
}

// Jobset is a Hydra jobset as served by GET /jobset/P/J. Zero KeepNr,
// CheckInterval and SchedulingShares are served as Hydra's defaults (3, 300, 100).
type Jobset struct {
	Project, Name, Description, NixExprInput, NixExprPath string
	Type                                                  int // 0 legacy, 1 flake
	Flake                                                 string
	Enabled                                               int // 0 off, 1 on, 2 one-shot, 3 one-at-a-time
	Hidden                                                bool
	Inputs                                                map[string]JobsetInput
	// Optional extra columns; empty strings and zero times are served as "" / null like Hydra.
	ErrorMsg, FetchErrorMsg                            string
	ErrorTime, LastCheckedTime, TriggerTime, StartTime int64
	KeepNr, CheckInterval, SchedulingShares            int
}

// JobsetInput is one configured input of a legacy jobset.
type JobsetInput struct{ Type, Value string }

// Build is one row of Hydra's Builds table with its outputs, products and metrics.
type Build struct {
	ID                             int64
	Project, Jobset, Job           string
	Finished                       bool
	Status                         int   // buildstatus; ignored (served as null) when !Finished
	Timestamp, StartTime, StopTime int64 // unix seconds; start/stop are served as null when !Finished
	NixName, System, DrvPath       string
	Outputs                        map[string]string // output name -> store path
	Products                       []Product         // productnr = index+1
	Metrics                        map[string]Metric
	Files                          map[string][]byte // absolute store path of a file -> contents (what downloads serve)
	GarbageCollected               bool              // downloads 404, /output 410, but JSON rows remain
	Priority                       int               // 0 is served as Hydra's default 100
	ReleaseName                    string            // "" is served as null
	Constituents                   []int64           // aggregate members, for /build/ID/constituents
	ClosureSize, Size              int64             // bytes, for /closure-sizes and /output-sizes (0 = not listed)
}

// Product is one build product (nix-support/hydra-build-products line).
type Product struct {
	Type, Subtype, Name, Path, DefaultPath string
	Dir                                    bool // directory: filesize/sha256hash are null
	// FileSize and SHA256 are used when Files holds no content for Path (0 / "" = null).
	FileSize int64
	SHA256   string
}

// Metric is one build metric (nix-support/hydra-metrics line).
type Metric struct {
	Value    float64
	Unit     string // "" is served as null
	AsString bool   // emit value as a JSON string, as some Hydras do
	Raw      string // if non-empty, emit exactly this string, e.g. "NaN"
}

// Eval is one jobset evaluation. Evals with HasNewBuilds=false are stored
// without members and inputs, as Hydra records none for them.
type Eval struct {
	ID                                int64
	Project, Jobset                   string
	Timestamp, CheckoutTime, EvalTime int64
	HasNewBuilds                      bool
	Flake                             string // locked flake ref; "" is served as null
	Inputs                            map[string]EvalInput
	Builds                            []int64
}

// EvalInput is one JobsetEvalInputs row; empty strings are served as null.
type EvalInput struct {
	Type, URI, Revision, Value string
	Dependency                 *int64
}

type jsKey struct{ project, jobset string }

type jobKey struct{ project, jobset, job string }

func (b *Build) jsKey() jsKey   { return jsKey{b.Project, b.Jobset} }
func (b *Build) jobKey() jobKey { return jobKey{b.Project, b.Jobset, b.Job} }

// insertSorted inserts v into the ascending slice s (no duplicates), fast when v is largest.
func insertSorted(s []int64, v int64) []int64 {
	n := len(s)
	if n == 0 || s[n-1] < v {
		return append(s, v)
	}
	lo, hi := 0, n
	for lo < hi {
		m := (lo + hi) / 2
		if s[m] < v {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < n && s[lo] == v {
		return s
	}
	s = append(s, 0)
	copy(s[lo+1:], s[lo:])
	s[lo] = v
	return s
}

// removeSorted removes v from the ascending slice s if present.
func removeSorted(s []int64, v int64) []int64 {
	for i, x := range s {
		if x == v {
			return append(s[:i], s[i+1:]...)
		}
		if x > v {
			break
		}
	}
	return s
}
