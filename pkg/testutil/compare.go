package testutil

import (
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"
)

// CompareCells reads the one table of a compare query: per name, the base and target
// values (nil where null).
func CompareCells(t *testing.T, r backend.DataResponse) (*data.Frame, map[string][2]*float64) {
	t.Helper()
	MustOK(t, r)
	if len(r.Frames) != 1 {
		t.Fatalf("want one table, got %d frames", len(r.Frames))
	}
	f := r.Frames[0]
	cells := map[string][2]*float64{}
	for i := range f.Rows() {
		cells[f.Fields[0].At(i).(string)] = [2]*float64{f.Fields[1].At(i).(*float64), f.Fields[2].At(i).(*float64)}
	}
	return f, cells
}

// Is reports whether p holds v.
func Is(p *float64, v float64) bool { return p != nil && *p == v }
