package query

import (
	"math"
	"slices"
	"strings"

	"github.com/grafana/grafana-plugin-sdk-go/data"
)

// compareRow is one field of a compare table: its value in both builds (nil where the
// build has none) and, for metrics, its unit.
type compareRow struct {
	name         string
	base, target *float64
	unit         string
}

// change is target - base, nil unless both sides have a value.
func (r compareRow) change() *float64 {
	if r.base == nil || r.target == nil {
		return nil
	}
	c := *r.target - *r.base
	return &c
}

// relative is the change as a fraction of the base's magnitude (so a fall is negative
// whatever the base's sign); nil when a side is missing or the base is 0.
func (r compareRow) relative() *float64 {
	c := r.change()
	if c == nil || *r.base == 0 {
		return nil
	}
	rel := *c / math.Abs(*r.base)
	return &rel
}

// sortRows orders rows by name.
func sortRows(rows []compareRow) {
	slices.SortFunc(rows, func(a, b compareRow) int { return strings.Compare(a.name, b.name) })
}

// compareFrame is the table of a compare query: name, base, target, change, relative and,
// for metrics, unit. Alert rules read a table as string columns (labels) and one number per
// row: they get name and relative only, so a rule fires per field that changed too much.
func (fc *frameCtx) compareFrame(name string, rows []compareRow, baseLabel, targetLabel string, withUnit bool) *data.Frame {
	n := len(rows)
	names, units := make([]string, n), make([]string, n)
	base, target := make([]*float64, n), make([]*float64, n)
	change, relative := make([]*float64, n), make([]*float64, n)
	for i, r := range rows {
		names[i], units[i], base[i], target[i] = r.name, r.unit, r.base, r.target
		change[i], relative[i] = r.change(), r.relative()
	}
	if fc.fromAlert {
		f := data.NewFrame(name, data.NewField("name", nil, names), data.NewField("relative", nil, relative))
		f.Meta = &data.FrameMeta{ExecutedQueryString: fc.executed, Notices: fc.notices}
		return f
	}
	f := data.NewFrame(name,
		data.NewField("name", nil, names),
		data.NewField("base", nil, base).SetConfig(&data.FieldConfig{DisplayNameFromDS: baseLabel}),
		data.NewField("target", nil, target).SetConfig(&data.FieldConfig{DisplayNameFromDS: targetLabel}),
		data.NewField("change", nil, change),
		data.NewField("relative", nil, relative).SetConfig(&data.FieldConfig{Unit: "percentunit"}),
	)
	if withUnit {
		f.Fields = append(f.Fields, data.NewField("unit", nil, units))
	}
	f.Meta = &data.FrameMeta{ExecutedQueryString: fc.executed, Notices: fc.notices, PreferredVisualization: data.VisTypeTable}
	return f
}
