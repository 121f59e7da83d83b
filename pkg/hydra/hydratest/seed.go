package hydratest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
)

// Seed fixture file names, as copied into pkg/hydra/testdata/seed/.
const (
	SeedBuildFile        = "hydra-build-70.json"
	SeedConstituentsFile = "hydra-build-constituents.json"
	SeedPrometheusFile   = "hydra-job-prometheus.txt"
)

// SeedFixtures loads the real Hydra responses in dir (normally
// pkg/hydra/testdata/seed): build 70 from hydra-build-70.json and the builds
// of hydra-build-constituents.json (project myapp, jobset main), plus one
// eval (hasnewbuilds=1) per eval id they list. The two files are snapshots
// taken at different times: build 70 is taken from hydra-build-70.json (evals
// [296]) so that /build/70 answers that file exactly; the later copy of 70
// in the constituents file, and the evals only it lists, are ignored.
func (s *Server) SeedFixtures(dir string) error {
	var builds []Build
	members := map[int64][]int64{}
	seen := map[int64]bool{}
	add := func(raw json.RawMessage) error {
		b, evals, err := ParseBuildJSON(raw)
		if err != nil {
			return err
		}
		if seen[b.ID] {
			return nil
		}
		seen[b.ID] = true
		builds = append(builds, b)
		for _, e := range evals {
			members[e] = append(members[e], b.ID)
		}
		return nil
	}
	one, err := os.ReadFile(filepath.Join(dir, SeedBuildFile))
	if err != nil {
		return err
	}
	if err := add(one); err != nil {
		return fmt.Errorf("%s: %w", SeedBuildFile, err)
	}
	data, err := os.ReadFile(filepath.Join(dir, SeedConstituentsFile))
	if err != nil {
		return err
	}
	var list []json.RawMessage
	if err := json.Unmarshal(data, &list); err != nil {
		return fmt.Errorf("%s: %w", SeedConstituentsFile, err)
	}
	for _, raw := range list {
		if err := add(raw); err != nil {
			return fmt.Errorf("%s: %w", SeedConstituentsFile, err)
		}
	}
	byID := map[int64]*Build{}
	for i := range builds {
		byID[builds[i].ID] = &builds[i]
		s.AddBuild(builds[i])
	}
	ids := make([]int64, 0, len(members))
	for id := range members {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		first := byID[members[id][0]]
		s.AddEval(Eval{ID: id, Project: first.Project, Jobset: first.Jobset, Timestamp: first.Timestamp,
			HasNewBuilds: true, Inputs: map[string]EvalInput{}, Builds: members[id]})
	}
	return nil
}

type rawBuild = buildDoc[rawMetricValue]

type rawMetricValue struct {
	Value json.RawMessage `json:"value"`
	Unit  *string         `json:"unit"`
}

// ParseBuildJSON turns a Hydra /build/ID JSON object into a Build and the
// eval ids it lists in "jobsetevals". Products with a null filesize become
// directories; metric values given as strings keep AsString (or Raw).
func ParseBuildJSON(data []byte) (Build, []int64, error) {
	var rb rawBuild
	if err := json.Unmarshal(data, &rb); err != nil {
		return Build{}, nil, err
	}
	b := Build{ID: rb.ID, Project: rb.Project, Jobset: rb.Jobset, Job: rb.Job, Finished: rb.Finished != 0,
		Timestamp: rb.Timestamp, NixName: rb.NixName, System: rb.System, DrvPath: rb.DrvPath,
		Priority: rb.Priority, Outputs: map[string]string{}, Metrics: map[string]Metric{}}
	if rb.StartTime != nil {
		b.StartTime = *rb.StartTime
	}
	if rb.StopTime != nil {
		b.StopTime = *rb.StopTime
	}
	if rb.BuildStatus != nil {
		b.Status = *rb.BuildStatus
	}
	if rb.ReleaseName != nil {
		b.ReleaseName = *rb.ReleaseName
	}
	for name, o := range rb.BuildOutputs {
		b.Outputs[name] = o.Path
	}
	for key, p := range rb.BuildProducts {
		nr, err := strconv.Atoi(key)
		if err != nil || nr < 1 || nr > 10000 {
			return Build{}, nil, fmt.Errorf("bad product number %q", key)
		}
		for len(b.Products) < nr {
			b.Products = append(b.Products, Product{})
		}
		q := Product{Type: p.Type, Subtype: p.Subtype, Name: p.Name, Path: p.Path, DefaultPath: p.DefaultPath,
			Dir: p.FileSize == nil}
		if p.FileSize != nil {
			q.FileSize = *p.FileSize
		}
		if p.SHA256Hash != nil {
			q.SHA256 = *p.SHA256Hash
		}
		b.Products[nr-1] = q
	}
	for name, m := range rb.BuildMetrics {
		var mt Metric
		if m.Unit != nil {
			mt.Unit = *m.Unit
		}
		var str string
		if err := json.Unmarshal(m.Value, &str); err == nil {
			mt.AsString = true
			if v, err := strconv.ParseFloat(str, 64); err == nil && formatNumber(v) == str {
				mt.Value = v
			} else {
				mt.Raw = str
			}
		} else if err := json.Unmarshal(m.Value, &mt.Value); err != nil {
			return Build{}, nil, fmt.Errorf("metric %s: %w", name, err)
		}
		b.Metrics[name] = mt
	}
	return b, rb.JobsetEvals, nil
}
