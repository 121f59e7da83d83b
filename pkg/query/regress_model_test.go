package query

import (
	"errors"
	"strings"
	"testing"
)

const regressJob = `"project":"p","jobset":"j","job":"x","product":"bench.json","path":"a.b","metric":"time"`

func TestRegressionOptionDefaults(t *testing.T) {
	cases := []struct {
		json      string
		k         int
		threshold float64
		better    string
	}{
		{`{"queryType":"artifact","regression":true,` + regressJob + `}`, 10, 5, BetterLower},
		{`{"queryType":"metric","regression":true,"threshold":null,` + regressJob + `}`, 10, 5, BetterLower},
		{`{"queryType":"metric","regression":true,"threshold":0,"baselineBuilds":1,"better":"higher",` + regressJob + `}`, 1, 0, BetterHigher},
		{`{"queryType":"artifact","regression":true,"threshold":12.5,"baselineBuilds":1000,"better":" lower ",` + regressJob + `}`, 1000, 12.5, BetterLower},
		{`{"queryType":"artifact","regression":true,"threshold":1000,` + regressJob + `}`, 10, 1000, BetterLower},
	}
	for _, c := range cases {
		q, _, err := Parse(dq(c.json), true)
		if err != nil {
			t.Fatalf("%s: %v", c.json, err)
		}
		if q.BaselineBuilds != c.k || q.Threshold == nil || *q.Threshold != c.threshold || q.Better != c.better {
			t.Errorf("%s: got K=%d threshold=%v better=%q, want %d, %v, %q", c.json, q.BaselineBuilds, q.Threshold, q.Better,
				c.k, c.threshold, c.better)
		}
		if o := q.regressOptions(); o.K != c.k || o.Threshold != c.threshold || o.Better != c.better {
			t.Errorf("%s: options %+v", c.json, o)
		}
	}
}

func TestRegressionOptionIgnoredWhenOff(t *testing.T) {
	q, _, err := Parse(dq(`{"queryType":"builds","baselineBuilds":-4,"better":"sideways",`+regressJob+`}`), true)
	if err != nil || q.Regression {
		t.Fatalf("fields of a regression option that is off must not be checked: %v", err)
	}
}

func TestRegressionOptionRejectsWithAMessageThatSaysWhatToSet(t *testing.T) {
	cases := []struct{ json, want string }{
		{`{"queryType":"builds","regression":true,` + regressJob + `}`, "applies to artifact and metric queries"},
		{`{"queryType":"evals","regression":true,"project":"p","jobset":"j"}`, "applies to artifact and metric queries"},
		{`{"queryType":"artifact","regression":true,"baselineBuilds":-1,` + regressJob + `}`, "baselineBuilds -1 is out of range"},
		{`{"queryType":"artifact","regression":true,"baselineBuilds":1001,` + regressJob + `}`, "from 1 to 1000"},
		{`{"queryType":"metric","regression":true,"threshold":-0.5,` + regressJob + `}`, "threshold -0.5 is out of range"},
		{`{"queryType":"metric","regression":true,"threshold":1000.5,` + regressJob + `}`, "from 0 to 1000"},
		{`{"queryType":"metric","regression":true,"better":"up",` + regressJob + `}`, `better "up" is not known: set it to lower`},
	}
	for _, c := range cases {
		_, _, err := Parse(dq(c.json), true)
		var inv *InvalidError
		if !errors.As(err, &inv) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an InvalidError containing %q", c.json, err, c.want)
		}
	}
}

func TestRegressionOptionRejectsANonFiniteThreshold(t *testing.T) {
	q := &Query{QueryType: TypeMetric, Regression: true}
	for _, v := range []float64{nan, inf, -inf} {
		q.Threshold = &v
		if err := q.validateRegression(); err == nil || !strings.Contains(err.Error(), "out of range") {
			t.Errorf("threshold %v: got %v", v, err)
		}
	}
}
