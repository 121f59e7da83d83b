package hydratest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math"
	"sort"
	"strconv"
)

// buildJSON is a build as Hydra serves it; buildDoc is its shape, generic in how metric
// values are held (served values, or raw ones when parsing fixtures).
type buildJSON = buildDoc[metricJSON]

type buildDoc[M any] struct {
	ID            int64                  `json:"id"`
	Finished      int                    `json:"finished"`
	Timestamp     int64                  `json:"timestamp"`
	StartTime     *int64                 `json:"starttime"`
	StopTime      *int64                 `json:"stoptime"`
	Project       string                 `json:"project"`
	Jobset        string                 `json:"jobset"`
	Job           string                 `json:"job"`
	NixName       string                 `json:"nixname"`
	System        string                 `json:"system"`
	Priority      int                    `json:"priority"`
	BuildStatus   *int                   `json:"buildstatus"`
	ReleaseName   *string                `json:"releasename"`
	DrvPath       string                 `json:"drvpath"`
	JobsetEvals   []int64                `json:"jobsetevals"`
	BuildOutputs  map[string]outputJSON  `json:"buildoutputs"`
	BuildProducts map[string]productJSON `json:"buildproducts"`
	BuildMetrics  map[string]M           `json:"buildmetrics"`
}

type outputJSON struct {
	Path string `json:"path"`
}

type productJSON struct {
	Type        string  `json:"type"`
	Subtype     string  `json:"subtype"`
	Name        string  `json:"name"`
	FileSize    *int64  `json:"filesize"`
	SHA256Hash  *string `json:"sha256hash"`
	Path        string  `json:"path"`
	DefaultPath string  `json:"defaultpath"`
}

type metricJSON struct {
	Value json.RawMessage `json:"value"`
	Unit  *string         `json:"unit"`
}

func strOrNull(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func intOrNull(v int64) *int64 {
	if v == 0 {
		return nil
	}
	return &v
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// formatNumber renders a double like Perl does (%.15g).
func formatNumber(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	}
	return strconv.FormatFloat(v, 'g', 15, 64)
}

// metricValue renders a metric value as a JSON number or string, as configured.
// Non-finite values are always strings, since JSON has no NaN or Inf.
func metricValue(m Metric) json.RawMessage {
	if m.Raw != "" {
		return json.RawMessage(strconv.Quote(m.Raw))
	}
	s := formatNumber(m.Value)
	if m.AsString || math.IsNaN(m.Value) || math.IsInf(m.Value, 0) {
		return json.RawMessage(strconv.Quote(s))
	}
	return json.RawMessage(s)
}

// productFor renders a product; filesize and sha256hash come from Files when present.
func productFor(b *Build, p Product) productJSON {
	out := productJSON{Type: p.Type, Subtype: p.Subtype, Name: p.Name, Path: p.Path, DefaultPath: p.DefaultPath}
	if p.Dir {
		return out
	}
	if data, ok := b.Files[p.Path]; ok {
		n := int64(len(data))
		sum := sha256.Sum256(data)
		h := hex.EncodeToString(sum[:])
		out.FileSize, out.SHA256Hash = &n, &h
		return out
	}
	out.FileSize, out.SHA256Hash = intOrNull(p.FileSize), strOrNull(p.SHA256)
	return out
}

// buildJSONLocked returns the cached /build/ID JSON for st (s.mu held for reading).
func (s *Server) buildJSONLocked(st *buildState) []byte {
	if p := st.json.Load(); p != nil {
		return *p
	}
	b := &st.b
	v := buildJSON{
		ID: b.ID, Finished: b2i(b.Finished), Timestamp: b.Timestamp,
		Project: b.Project, Jobset: b.Jobset, Job: b.Job, NixName: b.NixName, System: b.System,
		Priority: b.Priority, ReleaseName: strOrNull(b.ReleaseName), DrvPath: b.DrvPath,
		JobsetEvals:   append([]int64{}, s.memberOf[b.ID]...),
		BuildOutputs:  map[string]outputJSON{},
		BuildProducts: map[string]productJSON{},
		BuildMetrics:  map[string]metricJSON{},
	}
	if v.Priority == 0 {
		v.Priority = 100
	}
	if b.Finished {
		st, sp, bs := b.StartTime, b.StopTime, b.Status
		v.StartTime, v.StopTime, v.BuildStatus = &st, &sp, &bs
	}
	for name, path := range b.Outputs {
		v.BuildOutputs[name] = outputJSON{path}
	}
	for i, p := range b.Products {
		v.BuildProducts[strconv.Itoa(i+1)] = productFor(b, p)
	}
	for name, m := range b.Metrics {
		v.BuildMetrics[name] = metricJSON{metricValue(m), strOrNull(m.Unit)}
	}
	data, err := json.Marshal(v)
	if err != nil {
		panic(err) // cannot happen: every value is encodable
	}
	st.json.Store(&data)
	return data
}

// buildsJSONLocked renders a JSON array of full Build objects.
func (s *Server) buildsJSONLocked(ids []int64) []byte {
	out := []byte{'['}
	first := true
	for _, id := range ids {
		st, ok := s.builds[id]
		if !ok {
			continue
		}
		if !first {
			out = append(out, ',')
		}
		first = false
		out = append(out, s.buildJSONLocked(st)...)
	}
	return append(out, ']')
}

type evalJSON struct {
	ID           int64                    `json:"id"`
	Timestamp    int64                    `json:"timestamp"`
	CheckoutTime int64                    `json:"checkouttime"`
	EvalTime     int64                    `json:"evaltime"`
	HasNewBuilds int                      `json:"hasnewbuilds"`
	Flake        *string                  `json:"flake"`
	Builds       []int64                  `json:"builds"`
	Inputs       map[string]evalInputJSON `json:"jobsetevalinputs"`
}

type evalInputJSON struct {
	Revision   *string `json:"revision"`
	Value      *string `json:"value"`
	Type       *string `json:"type"`
	URI        *string `json:"uri"`
	Dependency *int64  `json:"dependency"`
}

func evalToJSON(e *Eval) evalJSON {
	v := evalJSON{ID: e.ID, Timestamp: e.Timestamp, CheckoutTime: e.CheckoutTime, EvalTime: e.EvalTime,
		HasNewBuilds: b2i(e.HasNewBuilds), Flake: strOrNull(e.Flake),
		Builds: append([]int64{}, e.Builds...), Inputs: map[string]evalInputJSON{}}
	for name, in := range e.Inputs {
		v.Inputs[name] = evalInputJSON{strOrNull(in.Revision), strOrNull(in.Value), strOrNull(in.Type),
			strOrNull(in.URI), in.Dependency}
	}
	return v
}

type projectJSON struct {
	Name                    string   `json:"name"`
	DisplayName             string   `json:"displayname"`
	Description             string   `json:"description"`
	Homepage                string   `json:"homepage"`
	Owner                   string   `json:"owner"`
	Enabled                 bool     `json:"enabled"`
	Hidden                  bool     `json:"hidden"`
	EnableDynamicRunCommand bool     `json:"enable_dynamic_run_command"`
	Jobsets                 []string `json:"jobsets"`
}

func (s *Server) projectToJSONLocked(p *Project) projectJSON {
	v := projectJSON{Name: p.Name, DisplayName: p.DisplayName, Description: p.Description,
		Homepage: p.Homepage, Owner: p.Owner, Enabled: p.Enabled, Hidden: p.Hidden, Jobsets: []string{}}
	for k := range s.jobsets {
		if k.project == p.Name {
			v.Jobsets = append(v.Jobsets, k.jobset)
		}
	}
	sort.Strings(v.Jobsets)
	return v
}

type jobsetInputJSON struct {
	Name             string `json:"name"`
	Type             string `json:"type"`
	Value            string `json:"value"`
	EmailResponsible bool   `json:"emailresponsible"`
}

func orDefault(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

func jobsetToJSON(j *Jobset) map[string]any {
	inputs := map[string]jobsetInputJSON{}
	for name, in := range j.Inputs {
		inputs[name] = jobsetInputJSON{name, in.Type, in.Value, false}
	}
	return map[string]any{
		"errortime": intOrNull(j.ErrorTime), "lastcheckedtime": intOrNull(j.LastCheckedTime),
		"triggertime": intOrNull(j.TriggerTime), "starttime": intOrNull(j.StartTime),
		"enabled": j.Enabled, "keepnr": orDefault(j.KeepNr, 3),
		"checkinterval": orDefault(j.CheckInterval, 300), "schedulingshares": orDefault(j.SchedulingShares, 100),
		"name": j.Name, "project": j.Project, "description": j.Description,
		"nixexprinput": j.NixExprInput, "nixexprpath": j.NixExprPath, "errormsg": j.ErrorMsg,
		"emailoverride": "", "fetcherrormsg": j.FetchErrorMsg, "type": j.Type, "flake": j.Flake,
		"enableemail": false, "enable_dynamic_run_command": false, "visible": !j.Hidden,
		"inputs": inputs,
	}
}
