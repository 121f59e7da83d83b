package plugin

import (
	"encoding/json"
	"net/http"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

// routes are the resources the query editor calls (GET /api/datasources/uid/UID/resources/...).
func (d *Datasource) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /projects", d.handle(func(r *http.Request) (any, error) {
		return d.catalog.Projects(r.Context())
	}))
	mux.HandleFunc("GET /jobsets", d.handle(func(r *http.Request) (any, error) {
		p, err := params(r, "project")
		if err != nil {
			return nil, err
		}
		return d.catalog.Jobsets(r.Context(), p[0])
	}))
	mux.HandleFunc("GET /jobs", d.handle(func(r *http.Request) (any, error) {
		p, err := params(r, "project", "jobset")
		if err != nil {
			return nil, err
		}
		return d.catalog.JobNames(r.Context(), p[0], p[1])
	}))
	mux.HandleFunc("GET /metrics", d.handle(func(r *http.Request) (any, error) {
		job, err := jobParams(r)
		if err != nil {
			return nil, err
		}
		names, err := d.src.MetricNames(r.Context(), job)
		items := make([]query.Item, len(names))
		for i, n := range names {
			items[i] = query.Item{Value: n}
		}
		return items, err
	}))
	mux.HandleFunc("GET /products", d.handle(func(r *http.Request) (any, error) {
		job, err := jobParams(r)
		if err != nil {
			return nil, err
		}
		return d.catalog.ProductNames(r.Context(), job)
	}))
	mux.HandleFunc("GET /builds", d.handle(func(r *http.Request) (any, error) {
		job, err := jobParams(r)
		if err != nil {
			return nil, err
		}
		return d.engine.RecentBuilds(r.Context(), job)
	}))
	mux.HandleFunc("GET /sample", d.handle(func(r *http.Request) (any, error) {
		job, err := jobParams(r)
		if err != nil {
			return nil, err
		}
		q := r.URL.Query()
		return d.engine.Sample(r.Context(), job, q.Get("product"), q.Get("path"))
	}))
	return mux
}

// handle writes a handler's answer as JSON, or {"error": "..."} with a status that says
// whose fault it is.
func (d *Datasource) handle(fn func(*http.Request) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if d.settingsErr != nil {
			writeError(w, d.settingsErr)
			return
		}
		v, err := fn(r)
		if err != nil {
			writeError(w, err)
			return
		}
		_ = json.NewEncoder(w).Encode(v)
	}
}

func writeError(w http.ResponseWriter, err error) {
	resp := query.ErrorResponse(err)
	w.WriteHeader(int(resp.Status))
	_ = json.NewEncoder(w).Encode(map[string]string{"error": resp.Error.Error()})
}

func params(r *http.Request, names ...string) ([]string, error) {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = r.URL.Query().Get(n)
		if out[i] == "" {
			return nil, query.Invalidf("missing query parameter %q", n)
		}
	}
	return out, nil
}

func jobParams(r *http.Request) (query.JobRef, error) {
	p, err := params(r, "project", "jobset", "job")
	if err != nil {
		return query.JobRef{}, err
	}
	return query.JobRef{Project: p[0], Jobset: p[1], Job: p[2]}, nil
}
