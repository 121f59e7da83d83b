package query

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// Sample is a product of a job's newest build that has it, for previewing paths.
type Sample struct {
	Build     int64           `json:"build"`
	BuildURL  string          `json:"buildUrl,omitempty"`
	Product   string          `json:"product"`
	JSON      json.RawMessage `json:"json,omitempty"`
	Truncated bool            `json:"truncated,omitempty"` // the document was too large to preview
	Values    []SampleValue   `json:"values"`
	Matched   bool            `json:"matched"`
}

// SampleValue is one value the path selects from the sample.
type SampleValue struct {
	Series string  `json:"series"`
	Value  float64 `json:"value"`
}

// maxPreviewBytes bounds the JSON sent to the editor for preview.
const maxPreviewBytes = 256 << 10

// samplesTried bounds how many recent builds are tried for a sample.
const samplesTried = 10

// Sample reads product from the job's newest successful build that has it and applies
// path (when given) so the editor can show what would be plotted.
func (e *Engine) Sample(ctx context.Context, job JobRef, product, path string) (*Sample, error) {
	if product == "" {
		return nil, Invalidf("name a product to preview, e.g. bench.json")
	}
	if path != "" {
		if err := ValidatePath(path); err != nil {
			return nil, err
		}
	}
	l, err := e.src.Builds(ctx, job, Window{From: time.Unix(0, 0), To: time.Now().Add(24 * time.Hour), Limit: samplesTried})
	if err != nil {
		return nil, err
	}
	for _, b := range l.Builds {
		if !b.Succeeded() {
			continue
		}
		doc, err := e.rawArtifact(ctx, b, product)
		if errors.Is(err, ErrNoArtifact) {
			continue
		}
		if err != nil {
			return nil, err
		}
		s := &Sample{Build: b.ID, Product: product, Values: []SampleValue{}}
		if p := e.src.BuildURLPrefix(); p != "" {
			s.BuildURL = p + itoa(b.ID)
		}
		if !json.Valid(doc) {
			return nil, Invalidf("%s of build %d is not JSON: only JSON artifacts can be queried", product, b.ID)
		}
		if len(doc) <= maxPreviewBytes {
			s.JSON = doc
		} else {
			s.Truncated = true
		}
		if path != "" {
			vals, ok := Extract(doc, path)
			s.Matched = ok
			for _, v := range vals {
				s.Values = append(s.Values, SampleValue{Series: v.Series, Value: v.V})
			}
		}
		return s, nil
	}
	return nil, Invalidf("none of the %d newest builds of %s has a product %s", samplesTried, job, product)
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
