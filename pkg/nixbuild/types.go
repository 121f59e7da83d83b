package nixbuild

import (
	"math"
	"path"
	"strings"
	"time"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

// apiBuild is one build of GET /builds, with the field names and types nixbuild.net sends.
// The status arrives as "status" (the API's answers) or "build_status" (its reference).
type apiBuild struct {
	BuildID          *int64     `json:"build_id"`
	CreateTime       *time.Time `json:"create_time"`
	StartTime        *time.Time `json:"start_time"`
	QueueSeconds     *float64   `json:"queue_time_seconds"`
	DurationSeconds  *float64   `json:"duration_seconds"`
	Status           string     `json:"status"`
	BuildStatus      string     `json:"build_status"`
	StatusMessage    *string    `json:"status_message"`
	CPUCount         *float64   `json:"cpu_count"`
	AllocatedMB      *float64   `json:"allocated_megabytes"`
	CPUSeconds       *float64   `json:"cpu_seconds"`
	PeakMemoryKB     *float64   `json:"peak_memory_use_kilobytes"`
	PeakStorageKB    *float64   `json:"peak_storage_use_kilobytes"`
	DerivationPath   string     `json:"derivation_path"`
	System           string     `json:"system"`
	RestartOfBuildID *int64     `json:"restart_of_build_id"`
}

// Hydra's build status codes (reference/hydra.md 1.7) that nixbuild.net's states map to.
const (
	hydraSucceeded = 0
	hydraFailed    = 1
	hydraAborted   = 3
	hydraCancelled = 4
	hydraTimedOut  = 7
)

// hydraStatus maps nixbuild.net's status word to Hydra's code; finished is false for
// builds still queued or running. Unknown words count as failures, as Hydra's do.
func hydraStatus(s string) (code int, finished bool) {
	switch s {
	case "pending", "running", "":
		return 0, false
	case "built":
		return hydraSucceeded, true
	case "cancelled":
		return hydraCancelled, true
	case "timeout":
		return hydraTimedOut, true
	case "client_disconnect", "client_error", "internal_error":
		// not the derivation's fault: the client went away or misbehaved, or nixbuild.net
		// failed; Hydra calls that "aborted" (misc or Hydra failure)
		return hydraAborted, true
	default: // build_failed, out_of_memory, max_memory_exceeded and anything new
		return hydraFailed, true
	}
}

func (a *apiBuild) status() string {
	if a.Status != "" {
		return a.Status
	}
	return a.BuildStatus
}

// toBuild converts an answer's build; ok is false when it lacks the id or creation time
// every use of it needs.
func (a *apiBuild) toBuild(job query.JobRef) (query.Build, bool) {
	if a.BuildID == nil || a.CreateTime == nil {
		return query.Build{}, false
	}
	st := a.status()
	code, finished := hydraStatus(st)
	b := query.Build{ID: *a.BuildID, Job: job, Finished: finished, Status: code, Timestamp: a.CreateTime.UTC(),
		NixName: drvName(a.DerivationPath), System: a.System}
	if a.StartTime != nil {
		b.Start = a.StartTime.UTC()
		if a.DurationSeconds != nil {
			b.Stop = b.Start.Add(time.Duration(math.Round(*a.DurationSeconds * 1e9)))
		}
	}
	r := &query.Resources{Status: st, QueueSeconds: deref(a.QueueSeconds), CPUSeconds: deref(a.CPUSeconds),
		CPUCount: int64(deref(a.CPUCount)), AllocatedBytes: scaled(a.AllocatedMB, 1<<20),
		PeakMemoryBytes: scaledPtr(a.PeakMemoryKB, 1<<10), PeakStorageBytes: scaledPtr(a.PeakStorageKB, 1<<10)}
	if a.StatusMessage != nil {
		r.Message = *a.StatusMessage
	}
	b.Resources = r
	return b, true
}

func deref(v *float64) float64 {
	if v == nil {
		return 0
	}
	return *v
}

func scaled(v *float64, unit float64) int64 { return int64(math.Round(deref(v) * unit)) }

func scaledPtr(v *float64, unit float64) *int64 {
	if v == nil {
		return nil
	}
	n := scaled(v, unit)
	return &n
}

// drvBase is a derivation path's file name without ".drv": hash-name.
func drvBase(p string) string { return strings.TrimSuffix(path.Base(p), ".drv") }

// drvName is the name part of a derivation path, without store directory, hash and ".drv".
func drvName(p string) string {
	base := drvBase(p)
	if h, name, ok := strings.Cut(base, "-"); ok && isHash(h) {
		return name
	}
	return base
}

// isHash reports whether s is a store path hash: 32 characters of Nix's base-32 alphabet.
func isHash(s string) bool {
	const alphabet = "0123456789abcdfghijklmnpqrsvwxyz"
	if len(s) != 32 {
		return false
	}
	for _, r := range s {
		if !strings.ContainsRune(alphabet, r) {
			return false
		}
	}
	return true
}
