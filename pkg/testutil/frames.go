// Package testutil holds what the sources' tests share: hiding a fake server's random
// address in golden frames, and looking for a notice.
package testutil

import (
	"fmt"
	"strings"
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"
)

// HideURL replaces from with to in the frames' executed queries, notices and data links,
// so that golden files do not depend on a test server's port.
func HideURL(frames data.Frames, from, to string) {
	for _, f := range frames {
		if f.Meta != nil {
			f.Meta.ExecutedQueryString = strings.ReplaceAll(f.Meta.ExecutedQueryString, from, to)
			for i := range f.Meta.Notices {
				f.Meta.Notices[i].Text = strings.ReplaceAll(f.Meta.Notices[i].Text, from, to)
			}
		}
		for _, fl := range f.Fields {
			if fl.Config == nil {
				continue
			}
			for i := range fl.Config.Links {
				fl.Config.Links[i].URL = strings.ReplaceAll(fl.Config.Links[i].URL, from, to)
			}
		}
	}
}

// HasNotice reports whether any frame of the response carries a notice containing text.
func HasNotice(r backend.DataResponse, text string) bool {
	for _, f := range r.Frames {
		if f.Meta == nil {
			continue
		}
		for _, n := range f.Meta.Notices {
			if strings.Contains(n.Text, text) {
				return true
			}
		}
	}
	return false
}

// MustOK fails the test when a query answered with an error.
func MustOK(t testing.TB, r backend.DataResponse) {
	t.Helper()
	if r.Error != nil {
		t.Fatalf("query failed: %v (status %v, source %v)", r.Error, r.Status, r.ErrorSource)
	}
}

// Job is a query of the job bench:main:bench, with extra fields set.
func Job(extra map[string]any) map[string]any {
	q := map[string]any{"project": "bench", "jobset": "main", "job": "bench"}
	for k, v := range extra {
		q[k] = v
	}
	return q
}

// Column renders one field of a frame as text, one value per row, comma-separated.
func Column(f *data.Frame, name string) string {
	fl, _ := f.FieldByName(name)
	if fl == nil {
		return "<no field " + name + ">"
	}
	out := make([]string, fl.Len())
	for i := range out {
		v, _ := fl.ConcreteAt(i)
		out[i] = fmt.Sprint(v)
	}
	return strings.Join(out, ",")
}
