package nixstore

import (
	"bufio"
	"bytes"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/tidwall/gjson"
)

// The baselines of the store benchmark: what a first or a later query costs when written
// as plainly as it can be, without the source, the index or the engine. They answer the
// same question as the benchmark's queries (the newest limit builds of mybench-*, one value
// each) so the two can be timed side by side.

// plainPoint is one build's value as the plain loop finds it.
type plainPoint struct {
	path string
	at   time.Time
	v    float64
}

// plainFirst is the floor of a first query: open the Nix database read-only, select the
// newest limit valid paths of the job, then one after another read each one's file (rel,
// inside the output) and take its value with value. Every build must have one.
func plainFirst(stateDir string, limit int, rel string, value func([]byte) (float64, bool)) ([]plainPoint, error) {
	db, err := sql.Open("sqlite", "file:"+filepath.Join(stateDir, "db", "db.sqlite")+"?mode=ro")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	rows, err := db.Query(`SELECT path, registrationTime FROM ValidPaths
		WHERE path LIKE '%-mybench-%' AND path NOT LIKE '%.drv'
		ORDER BY registrationTime DESC, id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, err
	}
	var out []plainPoint
	for rows.Next() {
		var p plainPoint
		var reg int64
		if err := rows.Scan(&p.path, &reg); err != nil {
			rows.Close()
			return nil, err
		}
		p.at = time.Unix(reg, 0)
		out = append(out, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		body, err := os.ReadFile(filepath.Join(out[i].path, rel))
		if err != nil {
			return nil, err
		}
		v, ok := value(body)
		if !ok {
			return nil, fmt.Errorf("no value in %s of %s", rel, out[i].path)
		}
		out[i].v = v
	}
	return out, nil
}

// throughput is the artifact query's value: results.throughput of bench.json.
func throughput(body []byte) (float64, bool) {
	r := gjson.GetBytes(body, "results.throughput")
	return r.Float(), r.Exists()
}

// timeMetric is the metric query's value: the line "time VALUE UNIT" of hydra-metrics.
func timeMetric(body []byte) (float64, bool) {
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		f := bytes.Fields(sc.Bytes())
		if len(f) >= 2 && string(f[0]) == "time" {
			v, err := strconv.ParseFloat(string(f[1]), 64)
			return v, err == nil
		}
	}
	return 0, false
}

// plainHeld is what a plain cache holds after a first query: the job's builds newest
// first and each one's value by path.
type plainHeld struct {
	list   []plainPoint
	values map[string]float64
}

func holdPlain(pts []plainPoint) *plainHeld {
	h := &plainHeld{list: pts, values: make(map[string]float64, len(pts))}
	for _, p := range pts {
		h.values[p.path] = p.v
	}
	return h
}

// frame is the floor of a later query: every value looked up in memory and framed
// (time and value, oldest first), with nothing to read.
func (h *plainHeld) frame() *data.Frame {
	ts := make([]time.Time, len(h.list))
	vs := make([]float64, len(h.list))
	for i, p := range h.list {
		j := len(h.list) - 1 - i
		ts[j], vs[j] = p.at, h.values[p.path]
	}
	return data.NewFrame("", data.NewField("time", nil, ts), data.NewField("value", nil, vs))
}
