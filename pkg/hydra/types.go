package hydra

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/httpfail"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

// flexInt reads Hydra's integers: JSON numbers (finished, buildstatus), also booleans and
// numeric strings as some versions and proxies send them. null leaves Set false.
type flexInt struct {
	V   int64
	Set bool
}

func (f *flexInt) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch s := string(b); s {
	case "null":
		*f = flexInt{}
		return nil
	case "true":
		*f = flexInt{V: 1, Set: true}
		return nil
	case "false":
		*f = flexInt{V: 0, Set: true}
		return nil
	}
	s := strings.Trim(string(b), `"`)
	if s == "" {
		*f = flexInt{}
		return nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		*f = flexInt{V: n, Set: true}
		return nil
	}
	// A fraction is truncated; a value outside int64 is an error, not a wrapped number.
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || !(v >= -(1<<63) && v < 1<<63) {
		return fmt.Errorf("expected an integer, got %s", httpfail.Truncate(string(b), 40))
	}
	*f = flexInt{V: int64(v), Set: true}
	return nil
}

// flexFloat reads a metric value sent as a JSON number or a string ("12.5", "NaN", "inf").
type flexFloat struct {
	V   float64
	Set bool
}

func (f *flexFloat) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		*f = flexFloat{}
		return nil
	}
	s := string(b)
	if strings.HasPrefix(s, `"`) {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	}
	v, ok := query.ParseFloat(s)
	if !ok {
		return fmt.Errorf("expected a number, got %s", httpfail.Truncate(string(b), 40))
	}
	*f = flexFloat{V: v, Set: true}
	return nil
}

// apiBuild is Hydra's Build JSON (Builds.pm as_json) and /api/latestbuilds items.
type apiBuild struct {
	ID            int64                 `json:"id"`
	Project       string                `json:"project"`
	Jobset        string                `json:"jobset"`
	Job           string                `json:"job"`
	Finished      flexInt               `json:"finished"`
	BuildStatus   flexInt               `json:"buildstatus"`
	Timestamp     flexInt               `json:"timestamp"`
	StartTime     flexInt               `json:"starttime"`
	StopTime      flexInt               `json:"stoptime"`
	NixName       string                `json:"nixname"`
	System        string                `json:"system"`
	DrvPath       string                `json:"drvpath"`
	JobsetEvals   []int64               `json:"jobsetevals"`
	BuildOutputs  map[string]apiOutput  `json:"buildoutputs"`
	BuildProducts map[string]apiProduct `json:"buildproducts"`
	BuildMetrics  map[string]apiMetric  `json:"buildmetrics"`
}

type apiOutput struct {
	Path string `json:"path"`
}

type apiProduct struct {
	Type        string  `json:"type"`
	Subtype     string  `json:"subtype"`
	Name        string  `json:"name"`
	Path        string  `json:"path"`
	DefaultPath string  `json:"defaultpath"`
	FileSize    flexInt `json:"filesize"`
}

type apiMetric struct {
	Value flexFloat `json:"value"`
	Unit  *string   `json:"unit"`
}

// apiMetricPoint is one row of /job/P/J/JOB/metric/NAME.
type apiMetricPoint struct {
	ID        int64     `json:"id"`
	Timestamp flexInt   `json:"timestamp"`
	Value     flexFloat `json:"value"`
	Unit      *string   `json:"unit"`
}

// apiEval is /eval/ID and an item of /jobset/P/J/evals.
type apiEval struct {
	ID           int64                   `json:"id"`
	Timestamp    flexInt                 `json:"timestamp"`
	CheckoutTime flexInt                 `json:"checkouttime"`
	EvalTime     flexInt                 `json:"evaltime"`
	HasNewBuilds flexInt                 `json:"hasnewbuilds"`
	Flake        *string                 `json:"flake"`
	Builds       []int64                 `json:"builds"`
	Inputs       map[string]apiEvalInput `json:"jobsetevalinputs"`
}

type apiEvalInput struct {
	Type     string `json:"type"`
	URI      string `json:"uri"`
	Revision string `json:"revision"`
	Value    string `json:"value"`
}

// apiEvalPage is /jobset/P/J/evals?page=N: 20 evals per page, newest first.
type apiEvalPage struct {
	Evals []apiEval `json:"evals"`
	Next  string    `json:"next"`
	Last  string    `json:"last"`
}

type apiProject struct {
	Name        string   `json:"name"`
	DisplayName string   `json:"displayname"`
	Description string   `json:"description"`
	Hidden      bool     `json:"hidden"`
	Enabled     bool     `json:"enabled"`
	Jobsets     []string `json:"jobsets"`
}

type apiJobsetOverview struct {
	Project string `json:"project"`
	Name    string `json:"name"`
}

type apiJobset struct {
	Name         string  `json:"name"`
	NixExprInput string  `json:"nixexprinput"`
	Type         flexInt `json:"type"`
	Flake        string  `json:"flake"`
}
