package hydratest

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"time"
)

// GenOptions configures GenerateJob. Zero fields take the documented defaults.
type GenOptions struct {
	Project, Jobset, Job string        // default "bench", "main", "bench"
	System               string        // default "x86_64-linux"
	N                    int           // number of builds
	FirstID              int64         // id of the oldest build; default 1
	FirstEvalID          int64         // id of the oldest eval; default FirstID
	End                  time.Time     // queue time (timestamp) of the newest build; default 2024-06-01 00:00 UTC
	Interval             time.Duration // spacing of build timestamps; default 1h
	FailFraction         float64       // evenly spread failed builds: buildstatus 1, no products or metrics
	GCFraction           float64       // the oldest fraction of builds is garbage-collected
	StringMetricsEvery   int           // every k-th build emits its metrics as JSON strings; default 3, <0 never
	Repo                 string        // URI of the evals' git input "src"; default https://example.org/<project>.git
}

// DefaultGenEnd is the default GenOptions.End.
var DefaultGenEnd = time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)

// GenerateJob adds a synthetic, deterministic job history to s and returns
// its builds, oldest first. Each build has its own eval (hasnewbuilds=1, a git
// input "src" with a 40-hex revision), a product 1 "bench.json" (file/json)
// whose contents are in Files, and metrics "time" (s) and "maxresident" (KiB).
func GenerateJob(s *Server, o GenOptions) []Build {
	o = genDefaults(o)
	uri := o.Repo
	if uri == "" {
		uri = "https://example.org/" + o.Project + ".git"
	}
	end, step := o.End.Unix(), int64(o.Interval/time.Second)
	nGC := int(float64(o.N) * o.GCFraction)
	out := make([]Build, o.N)

	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.jobsets[jsKey{o.Project, o.Jobset}]; !ok {
		s.ensureProject(o.Project)
		s.jobsets[jsKey{o.Project, o.Jobset}] = &Jobset{Project: o.Project, Name: o.Jobset, Enabled: 1,
			NixExprInput: "src", NixExprPath: "release.nix",
			Inputs: map[string]JobsetInput{"src": {Type: "git", Value: uri}}}
	}
	for i := 0; i < o.N; i++ {
		id := o.FirstID + int64(i)
		r := mix(uint64(id) ^ uint64(len(o.Job))<<40)
		ts := end - int64(o.N-1-i)*step
		dur := 200 + int64(r%200)
		tag := fmt.Sprintf("%s/%s/%s/%d", o.Project, o.Jobset, o.Job, id)
		outPath := "/nix/store/" + nixHash(tag+"/out") + "-" + o.Job
		failed := o.FailFraction > 0 && math.Floor(float64(i+1)*o.FailFraction) > math.Floor(float64(i)*o.FailFraction)
		b := Build{
			ID: id, Project: o.Project, Jobset: o.Jobset, Job: o.Job, Finished: true,
			Timestamp: ts, StartTime: ts + 30, StopTime: ts + 30 + dur,
			NixName: o.Job, System: o.System, DrvPath: "/nix/store/" + nixHash(tag+"/drv") + "-" + o.Job + ".drv",
			Outputs:          map[string]string{"out": outPath},
			GarbageCollected: i < nGC,
			ClosureSize:      50_000_000 + int64(r%1_000_000), Size: 1_000_000 + int64(r%10_000),
		}
		if failed {
			b.Status = 1
		} else {
			asString := o.StringMetricsEvery > 0 && i%o.StringMetricsEvery == 0
			b.Metrics = map[string]Metric{
				"time":        {Value: float64(dur), Unit: "s", AsString: asString},
				"maxresident": {Value: float64(100_000 + r%50_000), Unit: "KiB", AsString: asString},
			}
			file := outPath + "/bench.json"
			b.Products = []Product{{Type: "file", Subtype: "json", Name: "bench.json", Path: file}}
			b.Files = map[string][]byte{file: benchJSON(i, r)}
		}
		s.addBuildLocked(b)
		rev := sha1.Sum([]byte(tag))
		s.addEvalLocked(Eval{ID: o.FirstEvalID + int64(i), Project: o.Project, Jobset: o.Jobset,
			Timestamp: ts, CheckoutTime: 1 + int64(r%3), EvalTime: 5 + int64(r>>8%10), HasNewBuilds: true,
			Inputs: map[string]EvalInput{"src": {Type: "git", URI: uri, Revision: hex.EncodeToString(rev[:])}},
			Builds: []int64{id}})
		out[i] = b
	}
	return out
}

func genDefaults(o GenOptions) GenOptions {
	def := func(p *string, v string) {
		if *p == "" {
			*p = v
		}
	}
	def(&o.Project, "bench")
	def(&o.Jobset, "main")
	def(&o.Job, "bench")
	def(&o.System, "x86_64-linux")
	if o.FirstID == 0 {
		o.FirstID = 1
	}
	if o.FirstEvalID == 0 {
		o.FirstEvalID = o.FirstID
	}
	if o.End.IsZero() {
		o.End = DefaultGenEnd
	}
	if o.Interval < time.Second {
		o.Interval = time.Hour
	}
	if o.StringMetricsEvery == 0 {
		o.StringMetricsEvery = 3
	}
	return o
}

// benchJSON renders the deterministic bench.json of build number i.
func benchJSON(i int, r uint64) []byte {
	x := float64(i)
	tp := round2(1000 + 100*math.Sin(x/25) + float64(r%4000)/100 - 20)
	lat := round2(5 + math.Cos(x/40) + float64(r>>16%100)/100)
	a := round2(10 + float64(r>>24%500)/100)
	bm := round2(20 + float64(r>>32%800)/100)
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	return []byte(`{"results":{"throughput":` + f(tp) + `,"latency_ms":` + f(lat) +
		`},"benchmarks":[{"name":"a","mean":` + f(a) + `},{"name":"b","mean":` + f(bm) + `}]}` + "\n")
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }

// mix is splitmix64's finaliser: a cheap deterministic hash.
func mix(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// nixHash derives a 32-character Nix base-32 store path hash from s.
func nixHash(s string) string {
	const alphabet = "0123456789abcdfghijklmnpqrsvwxyz"
	sum := sha256.Sum256([]byte(s))
	out := make([]byte, 32)
	for i := range out {
		out[i] = alphabet[sum[i]%32]
	}
	return string(out)
}
