package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"
)

// printFrames writes each frame as a table (aligned columns), CSV, or Grafana's frame JSON.
func printFrames(w io.Writer, frames data.Frames, format string) error {
	switch format {
	case "json":
		b, err := json.MarshalIndent(frames, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	case "table", "csv":
	default:
		return fmt.Errorf("--format %q: use table, csv or json", format)
	}
	for i, f := range frames {
		if i > 0 {
			fmt.Fprintln(w)
		}
		if format == "table" {
			printNotices(w, f)
		}
		rows := [][]string{header(f)}
		n, _ := f.RowLen()
		for r := 0; r < n; r++ {
			row := make([]string, len(f.Fields))
			for c, fld := range f.Fields {
				row[c] = cell(fld, r)
			}
			rows = append(rows, row)
		}
		if format == "csv" {
			cw := csv.NewWriter(w)
			if err := cw.WriteAll(rows); err != nil {
				return err
			}
			continue
		}
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, row := range rows {
			for c, v := range row {
				if c > 0 {
					fmt.Fprint(tw, "\t")
				}
				fmt.Fprint(tw, v)
			}
			fmt.Fprintln(tw)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(frames) == 0 {
		_, err := fmt.Fprintln(w, "(no data)")
		return err
	}
	return nil
}

func printNotices(w io.Writer, f *data.Frame) {
	if f.Name != "" {
		fmt.Fprintf(w, "# %s\n", f.Name)
	}
	if f.Meta == nil {
		return
	}
	for _, n := range f.Meta.Notices {
		fmt.Fprintf(w, "# %s: %s\n", n.Severity, n.Text)
	}
}

func header(f *data.Frame) []string {
	h := make([]string, len(f.Fields))
	for i, fld := range f.Fields {
		h[i] = fld.Name
		if fld.Config != nil && fld.Config.DisplayNameFromDS != "" {
			h[i] = fld.Config.DisplayNameFromDS
		}
	}
	return h
}

func cell(f *data.Field, i int) string {
	v, ok := f.ConcreteAt(i)
	if !ok {
		return ""
	}
	switch x := v.(type) {
	case time.Time:
		return x.UTC().Format(time.RFC3339)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return strconv.FormatFloat(x, 'g', -1, 64)
		}
		return strconv.FormatFloat(x, 'g', 10, 64)
	case string:
		return x
	default:
		return fmt.Sprint(x)
	}
}
