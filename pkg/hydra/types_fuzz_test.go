package hydra

import (
	"encoding/json"
	"math"
	"strconv"
	"testing"
)

// FuzzFlexNumbers decodes one JSON value as flexInt and flexFloat: no panic, and a value
// that decodes is consistent: the same as its quoted form, re-encoded it decodes to
// itself, and an integer is the float truncated (never wrapped to another sign).
func FuzzFlexNumbers(f *testing.F) {
	for _, s := range []string{`0`, `1634228145`, `"1634228145"`, `12.9`, `-3`, `true`, `null`, `""`,
		`"NaN"`, `"inf"`, `1e400`, `9223372036854775807`, `-9.3e18`, `"0x10"`, `{}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var i flexInt
		var fl flexFloat
		ierr := json.Unmarshal(b, &i)
		ferr := json.Unmarshal(b, &fl)
		if ierr == nil && i.Set {
			var again flexInt
			if err := json.Unmarshal([]byte(strconv.FormatInt(i.V, 10)), &again); err != nil || again != i {
				t.Fatalf("%s: flexInt %d re-decodes to %+v, %v", b, i.V, again, err)
			}
			if ferr == nil && fl.Set {
				if float64(i.V) != math.Trunc(fl.V) {
					t.Fatalf("%s: flexInt %d, but the number is %v", b, i.V, fl.V)
				}
			}
		}
		if ierr == nil && !i.Set && i.V != 0 {
			t.Fatalf("%s: unset flexInt holds %d", b, i.V)
		}
		if ferr == nil && fl.Set {
			var again flexFloat
			enc := strconv.Quote(strconv.FormatFloat(fl.V, 'g', -1, 64))
			if !math.IsNaN(fl.V) && !math.IsInf(fl.V, 0) {
				enc = strconv.FormatFloat(fl.V, 'g', -1, 64)
			}
			err := json.Unmarshal([]byte(enc), &again)
			if err != nil || !again.Set || again.V != fl.V && !(math.IsNaN(again.V) && math.IsNaN(fl.V)) {
				t.Fatalf("%s: flexFloat %v re-decodes from %s to %+v, %v", b, fl.V, enc, again, err)
			}
		}
		// A number and the same number quoted decode alike.
		if len(b) > 0 && b[0] != '"' && ierr == nil && i.Set {
			var q flexInt
			if err := json.Unmarshal([]byte(strconv.Quote(string(b))), &q); err == nil && q != i {
				t.Fatalf("%s: %+v, quoted %+v", b, i, q)
			}
		}
	})
}

// FuzzDecodeAPI decodes arbitrary bytes into every Hydra API type: errors are fine,
// panics are not.
func FuzzDecodeAPI(f *testing.F) {
	for _, s := range []string{
		`{"id":70,"finished":1,"buildstatus":"0","timestamp":1634228145,"jobsetevals":[296],` +
			`"buildoutputs":{"out":{"path":"/nix/store/c3l2x6fwl8cjkmfz6ilqcgczk13w8bk2-hello"}},` +
			`"buildproducts":{"1":{"type":"file","subtype":"none","filesize":"12"}},"buildmetrics":{"m":{"value":"1.5","unit":null}}}`,
		`{"evals":[{"id":1,"timestamp":1,"hasnewbuilds":true,"builds":[1,2],"jobsetevalinputs":{"src":{"type":"git","revision":"abc"}}}],"next":"?page=2"}`,
		`[{"id":1,"timestamp":"1634228145","value":"NaN","unit":"s"}]`,
		`{"name":"p","jobsets":["main"],"hidden":false,"enabled":true}`,
		`{"name":"main","type":1,"flake":"github:x/y"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, v := range []any{
			new(apiBuild), new([]apiBuild), new(apiEval), new(apiEvalPage),
			new([]apiMetricPoint), new(apiProject), new([]apiProject),
			new([]apiJobsetOverview), new(apiJobset),
		} {
			_ = json.Unmarshal(b, v)
		}
		// A build decodes the same alone and as an /api/latestbuilds item.
		var one apiBuild
		var list []apiBuild
		if json.Unmarshal(b, &one) == nil {
			wrapped := append(append([]byte("["), b...), ']')
			if err := json.Unmarshal(wrapped, &list); err != nil || len(list) != 1 || !sameBuild(one, list[0]) {
				t.Fatalf("build %s decodes alone but not in a list: %v", b, err)
			}
		}
	})
}

func sameBuild(a, b apiBuild) bool {
	if a.ID != b.ID || a.Project != b.Project || a.Job != b.Job || a.Finished != b.Finished ||
		a.BuildStatus != b.BuildStatus || a.Timestamp != b.Timestamp || a.StopTime != b.StopTime ||
		len(a.JobsetEvals) != len(b.JobsetEvals) || len(a.BuildMetrics) != len(b.BuildMetrics) ||
		len(a.BuildProducts) != len(b.BuildProducts) || len(a.BuildOutputs) != len(b.BuildOutputs) {
		return false
	}
	for k, m := range a.BuildMetrics {
		n, ok := b.BuildMetrics[k]
		if !ok || m.Value.Set != n.Value.Set || m.Value.V != n.Value.V && !(math.IsNaN(m.Value.V) && math.IsNaN(n.Value.V)) {
			return false
		}
	}
	return true
}
