package plugin

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
)

// Names from a query reach SQL only as parameters: a name written as an injection, or with
// LIKE's wildcards, matches nothing, and the database is untouched afterwards.
func TestHostileNamesAreOnlyData(t *testing.T) {
	indexURL, indexPassword := seededIndex(t)
	hydraURL, hydraPassword := hydraDatabase(t)
	hostile := []string{
		`bench'OR'x'='x`, `bench';DROP/**/TABLE/**/builds;--`, `b_nch`, `b%`, `bench\`, `$1`, `bench"`,
	}
	for _, tc := range []struct {
		name, dbURL, password, source, project, jobset, table string
		good                                                  int
	}{
		{"index", indexURL, indexPassword, "index", "", "", "nixci.builds", 2},
		{"hydradb", hydraURL, hydraPassword, "hydradb", "p", "j", "builds", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newInstance(t, "", settingsJSON(map[string]any{"source": tc.source, "database": tc.dbURL}),
				map[string]string{"databasePassword": tc.password})
			q := func(m map[string]any) string {
				m["project"], m["jobset"] = tc.project, tc.jobset
				if m["queryType"] == "evals" || m["queryType"] == "jobs" {
					m["project"], m["jobset"] = m["job"], m["job"]
				}
				b, _ := json.Marshal(m)
				return string(b)
			}
			for _, name := range hostile {
				for _, m := range []map[string]any{
					{"queryType": "artifact", "job": name, "product": "bench.json", "path": "results.throughput"},
					{"queryType": "artifact", "job": "bench", "product": name, "path": "results.throughput"},
					{"queryType": "metric", "job": name, "metric": "time"},
					{"queryType": "metric", "job": "bench", "metric": name},
					{"queryType": "builds", "job": name},
					{"queryType": "evals", "job": name},
					{"queryType": "jobs", "job": name},
				} {
					body := q(m)
					r := faultQuery(t, d, body)
					if r.Error != nil {
						// refused by validation, or looked up and not found
						msg := r.Error.Error()
						if !strings.Contains(msg, "not a valid Hydra name") && !strings.Contains(msg, "may not contain") &&
							!strings.Contains(msg, "has no jobset "+name+":"+name) && !strings.Contains(msg, "has characters Hydra refuses") {
							t.Errorf("%s: an error other than validation or not found: %v", body, r.Error)
						}
						continue
					}
					for _, f := range r.Frames {
						if f.Rows() > 0 && f.Name != "" && m["queryType"] != "jobs" {
							t.Errorf("%s matched %d rows of frame %q", body, f.Rows(), f.Name)
						}
						if m["queryType"] == "jobs" && f.Rows() > 0 {
							t.Errorf("%s listed %d jobs", body, f.Rows())
						}
					}
				}
			}
			var n int
			if err := connectPG(t, tc.dbURL, tc.password).QueryRow(context.Background(), "SELECT count(*) FROM "+tc.table).Scan(&n); err != nil || n != tc.good {
				t.Fatalf("%s afterwards: %d rows, %v", tc.table, n, err)
			}
			wantRows(t, "a good query afterwards", faultQuery(t, d, q(map[string]any{"queryType": "builds", "job": "bench"})), tc.good)
		})
	}
}
