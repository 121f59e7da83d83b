package query

import (
	"strconv"

	"github.com/tidwall/gjson"
)

// maxCompareFields bounds the rows of one compare query: the numeric leaves of each
// document, and the fields of both together.
const maxCompareFields = 10_000

// flatten lists the JSON numbers under r, at most limit of them, each named by its dotted
// gjson path below prefix (results.throughput, benchmarks.0.mean); object keys are
// escaped as gjson needs. Strings, booleans and nulls are left out, numeric strings too.
// cut says that more numbers were left out past limit.
func flatten(r gjson.Result, prefix string, limit int) (vals Values, cut bool) {
	var walk func(name string, r gjson.Result) bool
	walk = func(name string, r gjson.Result) bool {
		switch {
		case r.IsObject():
			ok := true
			r.ForEach(func(k, v gjson.Result) bool {
				ok = walk(join(name, escapeKey(k.String())), v)
				return ok
			})
			return ok
		case r.IsArray():
			i, ok := 0, true
			r.ForEach(func(_, v gjson.Result) bool {
				ok = walk(join(name, strconv.Itoa(i)), v)
				i++
				return ok
			})
			return ok
		case r.Type == gjson.Number:
			if len(vals) == limit {
				cut = true
				return false
			}
			vals = append(vals, Value{Series: name, V: r.Num})
		}
		return true
	}
	walk(prefix, r)
	return vals, cut
}

func join(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

// pairRows joins the values of both builds by name into rows sorted by name, at most
// limit of them (cut says some were left out). A name seen twice on one side keeps its
// first value.
func pairRows(base, target Values, limit int) (rows []compareRow, cut bool) {
	idx := make(map[string]int, max(len(base), len(target)))
	row := func(name string) *compareRow {
		i, ok := idx[name]
		if !ok {
			i = len(rows)
			idx[name] = i
			rows = append(rows, compareRow{name: name})
		}
		return &rows[i]
	}
	for _, v := range base {
		if r := row(v.Series); r.base == nil {
			r.base = &v.V
		}
	}
	for _, v := range target {
		if r := row(v.Series); r.target == nil {
			r.target = &v.V
		}
	}
	sortRows(rows)
	if len(rows) > limit {
		rows, cut = rows[:limit], true
	}
	return rows, cut
}
