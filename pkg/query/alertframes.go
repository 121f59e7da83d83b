package query

import (
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"
)

// Alert rules read numbers only, and each number must be told apart by its labels: a time
// series frame holds one time field and numeric fields with distinct labels; a table holds
// string columns (which become the labels) and exactly one numeric column. The frames below
// are what the non-series query types answer to an alert request.

// alertBuildsFrame is the builds of a job as two series: each build's duration and its
// status code (0 succeeded, >0 failed; null while it runs), so that a rule can fire on a
// slow or a failed newest build.
func alertBuildsFrame(job JobRef, bs []Build, timeField string) *data.Frame {
	n := len(bs)
	times := make([]time.Time, n)
	duration := make([]*float64, n)
	status := make([]*float64, n)
	for i, b := range bs {
		times[i], duration[i], status[i] = timeOf(b, timeField), b.Duration(), statusNumber(b)
	}
	labels := func(field string) data.Labels { return data.Labels{"job": job.String(), "field": field} }
	return data.NewFrame(job.String(),
		data.NewField("time", nil, times),
		data.NewField("duration", labels("duration"), duration).SetConfig(&data.FieldConfig{Unit: "s"}),
		data.NewField("statusCode", labels("statusCode"), status))
}

// alertStatusTable is one row per job (jobs and aggregate queries): the job's name and its
// latest build's status code, so that a rule fires per failing job.
func alertStatusTable(name string, jobs []string, builds []Build) *data.Frame {
	status := make([]*float64, len(builds))
	for i, b := range builds {
		status[i] = statusNumber(b)
	}
	return data.NewFrame(name, data.NewField("job", nil, jobs), data.NewField("statusCode", nil, status))
}

// statusNumber is StatusCode as the float alert rules read.
func statusNumber(b Build) *float64 {
	c := b.StatusCode()
	if c == nil {
		return nil
	}
	v := float64(*c)
	return &v
}
