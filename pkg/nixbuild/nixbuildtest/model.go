package nixbuildtest

import (
	"encoding/json"
	"fmt"
	"os"
	"time"
)

// Build is one build as nixbuild.net's GET /builds sends it: the field names and types of
// the real answer in testdata/seed/nixbuild-builds.json. Status is sent as "status" (as
// the API answers) or, when BuildStatus is set instead, as "build_status" (as its
// reference names it).
type Build struct {
	BuildID             int64             `json:"build_id"`
	CreateTime          time.Time         `json:"create_time"`
	StartTime           *time.Time        `json:"start_time"`
	QueueTimeSeconds    float64           `json:"queue_time_seconds"`
	DurationSeconds     *float64          `json:"duration_seconds"`
	Status              string            `json:"status,omitempty"`
	BuildStatus         string            `json:"build_status,omitempty"`
	StatusMessage       *string           `json:"status_message"`
	CPUCount            int64             `json:"cpu_count"`
	AllocatedMegabytes  int64             `json:"allocated_megabytes"`
	CPUSeconds          int64             `json:"cpu_seconds"`
	PeakMemoryKilobytes *int64            `json:"peak_memory_use_kilobytes"`
	PeakStorageKB       *int64            `json:"peak_storage_use_kilobytes"`
	DerivationPath      string            `json:"derivation_path"`
	Outputs             []Output          `json:"outputs"`
	System              string            `json:"system"`
	Tags                map[string]string `json:"tags"`
	RestartOfBuildID    *int64            `json:"restart_of_build_id,omitempty"`
	RestartedAsBuildID  *int64            `json:"restarted_as_build_id,omitempty"`
}

// Output is one built output of a build.
type Output struct {
	Name         string `json:"name"`
	Path         string `json:"path"`
	NarHash      string `json:"nar_hash"`
	NarSizeBytes int64  `json:"nar_size_bytes"`
}

// StatusWord is the build's status, whichever key carries it.
func (b *Build) StatusWord() string {
	if b.Status != "" {
		return b.Status
	}
	return b.BuildStatus
}

// LoadSeed reads a GET /builds answer (normally testdata/seed/nixbuild-builds.json) and
// adds its builds.
func (s *Server) LoadSeed(file string) error {
	raw, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var bs []Build
	if err := json.Unmarshal(raw, &bs); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	s.Add(bs...)
	return nil
}
