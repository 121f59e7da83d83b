package e2e

import (
	"encoding/json"
	"math"
	"os"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"
	"go.yaml.in/yaml/v3"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/hydra/hydratest"
)

// The provisioned alert rule (provisioning/alerting) is evaluated here as Grafana's alerting
// would: its query goes to the launched plugin as an alert request, then its reduce and
// threshold expressions run over the numbers that come back.

type ruleQuery struct {
	RefID             string `yaml:"refId"`
	RelativeTimeRange struct {
		From int64 `yaml:"from"`
		To   int64 `yaml:"to"`
	} `yaml:"relativeTimeRange"`
	DatasourceUID string         `yaml:"datasourceUid"`
	Model         map[string]any `yaml:"model"`
}

type alertRule struct {
	UID       string      `yaml:"uid"`
	Condition string      `yaml:"condition"`
	Data      []ruleQuery `yaml:"data"`
}

// provisionedRule reads the one rule of provisioning/alerting/nixci-regressions.yaml.
func provisionedRule(t *testing.T) alertRule {
	t.Helper()
	raw, err := os.ReadFile("../../provisioning/alerting/nixci-regressions.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		APIVersion int `yaml:"apiVersion"`
		Groups     []struct {
			Rules []alertRule `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	if file.APIVersion != 1 || len(file.Groups) != 1 || len(file.Groups[0].Rules) != 1 {
		t.Fatalf("want one group with one rule: %+v", file)
	}
	return file.Groups[0].Rules[0]
}

// evaluate runs the rule against the plugin at now: its datasource query as an alert
// request, then the expressions. It returns the label sets of the firing instances.
func evaluate(t *testing.T, p *pluginConn, rule alertRule, now time.Time) []string {
	t.Helper()
	series := map[string]map[string][]*float64{} // datasource queries: refId -> labels -> points
	numbers := map[string]map[string]float64{}   // expressions: refId -> labels -> number
	for _, q := range rule.Data {
		switch q.DatasourceUID {
		case "hydra-nixos-org":
			model, _ := json.Marshal(q.Model)
			res := p.send(t, &backend.QueryDataRequest{
				PluginContext: p.pluginContext(),
				Headers:       map[string]string{backend.FromAlertHeaderName: "true"},
				Queries: []backend.DataQuery{{RefID: q.RefID, JSON: model, QueryType: q.Model["queryType"].(string),
					TimeRange: backend.TimeRange{From: now.Add(-time.Duration(q.RelativeTimeRange.From) * time.Second),
						To: now.Add(-time.Duration(q.RelativeTimeRange.To) * time.Second)},
					Interval: time.Minute, MaxDataPoints: 43200}},
			})
			r := res.Responses[q.RefID]
			if r.Error != nil {
				t.Fatalf("query %s: %v", q.RefID, r.Error)
			}
			series[q.RefID] = alertSeries(t, r.Frames)
		case "__expr__":
			numbers[q.RefID] = expression(t, q.Model, series, numbers)
		default:
			t.Fatalf("query %s reads datasource %q, not the provisioned one", q.RefID, q.DatasourceUID)
		}
	}
	var firing []string
	for labels, v := range numbers[rule.Condition] {
		if v != 0 && !math.IsNaN(v) {
			firing = append(firing, labels)
		}
	}
	return firing
}

// expression runs a reduce (last, dropping non-numbers) or a threshold.
func expression(t *testing.T, model map[string]any, series map[string]map[string][]*float64, numbers map[string]map[string]float64) map[string]float64 {
	ref := model["expression"].(string)
	out := map[string]float64{}
	switch model["type"] {
	case "reduce":
		settings, _ := model["settings"].(map[string]any)
		if model["reducer"] != "last" || settings["mode"] != "dropNN" {
			t.Fatalf("this test evaluates reduce last with dropNN, not %v %v", model["reducer"], settings)
		}
		in, ok := series[ref]
		if !ok {
			t.Fatalf("reduce %v reads a query not run before it", model["refId"])
		}
		for labels, vals := range in {
			out[labels] = math.NaN() // no number at all: Grafana's NoData for this series
			for i := len(vals) - 1; i >= 0; i-- {
				if vals[i] != nil && !math.IsNaN(*vals[i]) && !math.IsInf(*vals[i], 0) {
					out[labels] = *vals[i]
					break
				}
			}
		}
	case "threshold":
		in, ok := numbers[ref]
		if !ok {
			t.Fatalf("threshold %v reads an expression not evaluated before it", model["refId"])
		}
		conds := model["conditions"].([]any)
		ev := conds[0].(map[string]any)["evaluator"].(map[string]any)
		limit := ev["params"].([]any)[0]
		if ev["type"] != "gt" {
			t.Fatalf("this test evaluates gt thresholds, not %v", ev["type"])
		}
		for labels, v := range in {
			out[labels] = 0
			if v > toFloat(limit) {
				out[labels] = 1
			}
		}
	default:
		t.Fatalf("expression type %v", model["type"])
	}
	return out
}

func toFloat(v any) float64 {
	switch n := v.(type) {
	case int:
		return float64(n)
	case float64:
		return n
	}
	return math.NaN()
}

// regressingHydra has nixpkgs:trunk:metrics with the metric nix-env.qa.time: 30 builds
// around 10 s, hourly up to an hour ago; the newest takes slow seconds.
func regressingHydra(t *testing.T, now time.Time, slow float64) *hydratest.Server {
	srv := hydratest.New()
	t.Cleanup(srv.Close)
	builds := hydratest.GenerateJob(srv, hydratest.GenOptions{Project: "nixpkgs", Jobset: "trunk", Job: "metrics", N: 30,
		End: now.Add(-time.Hour), StringMetricsEvery: -1})
	for i, b := range builds {
		b.Metrics["nix-env.qa.time"] = hydratest.Metric{Value: 10 + 0.1*float64(i%3), Unit: "s"}
		if i == len(builds)-1 {
			b.Metrics["nix-env.qa.time"] = hydratest.Metric{Value: slow, Unit: "s"}
		}
		srv.AddBuild(b)
	}
	return srv
}

func TestProvisionedAlertRuleFiresOnARegression(t *testing.T) {
	rule := provisionedRule(t)
	now := time.Now().Truncate(time.Second)
	for _, tc := range []struct {
		name   string
		newest float64
		fires  bool
	}{
		{"newest 20% slower than the median of the previous 10", 12.1, true},
		{"newest 4% slower: within the threshold", 10.5, false},
		{"newest faster", 8, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := regressingHydra(t, now, tc.newest)
			p := launch(t, srv.URL, map[string]any{"source": "hydra"}, nil)
			firing := evaluate(t, p, rule, now)
			if tc.fires && (len(firing) != 1 || firing[0] != "field=regression, series=nix-env.qa.time") {
				t.Fatalf("want the rule to fire once, for the series' regression flag: %v", firing)
			}
			if !tc.fires && len(firing) != 0 {
				t.Fatalf("the rule fired: %v", firing)
			}
		})
	}
}

// alertSeries turns an alert request's frames into series the way Grafana's server-side
// expressions read a datasource's answer, failing where they would: a time series frame has
// one time field and numeric value fields, each a series named by its labels; a table has
// string columns (the labels) and exactly one numeric column, each row a series of one
// number. No two series may have the same labels.
func alertSeries(t *testing.T, frames data.Frames) map[string][]*float64 {
	t.Helper()
	out := map[string][]*float64{}
	add := func(labels data.Labels, vals []*float64) {
		key := labels.String()
		if _, dup := out[key]; dup {
			t.Fatalf("two series have the labels %s: Grafana's alerting cannot tell them apart", key)
		}
		out[key] = vals
	}
	for _, f := range frames {
		if f.Rows() == 0 {
			continue
		}
		var times, strs, nums []*data.Field
		for _, fld := range f.Fields {
			switch {
			case fld.Type().Time():
				times = append(times, fld)
			case fld.Type().Numeric():
				nums = append(nums, fld)
			case fld.Type() == data.FieldTypeString || fld.Type() == data.FieldTypeNullableString:
				strs = append(strs, fld)
			default:
				t.Fatalf("frame %q has field %q of type %s, which alerting does not read", f.Name, fld.Name, fld.Type())
			}
		}
		switch {
		case len(times) == 1 && len(strs) == 0 && len(nums) > 0:
			for _, fld := range nums {
				add(fld.Labels, floats(fld))
			}
		case len(times) == 0 && len(nums) == 1:
			vals := floats(nums[0])
			for row := range f.Rows() {
				labels := data.Labels{}
				for _, s := range strs {
					v, _ := s.ConcreteAt(row)
					labels[s.Name], _ = v.(string)
				}
				add(labels, vals[row:row+1])
			}
		default:
			t.Fatalf("frame %q (%d time, %d string, %d numeric fields) is neither a time series nor a table of one number per row",
				f.Name, len(times), len(strs), len(nums))
		}
	}
	return out
}

// floats reads a numeric field as nullable float64s.
func floats(f *data.Field) []*float64 {
	out := make([]*float64, f.Len())
	for i := range out {
		if v, ok := f.NullableFloatAt(i); ok == nil && v != nil {
			out[i] = v
		}
	}
	return out
}
