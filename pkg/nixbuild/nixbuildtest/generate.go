package nixbuildtest

import (
	"crypto/sha256"
	"time"
)

// DefaultGenEnd is when the newest generated build is created, unless GenOptions.End says.
var DefaultGenEnd = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

// GenOptions shape the builds Generate adds.
type GenOptions struct {
	N        int               // how many builds
	Name     string            // derivation name; default bench-1.0
	End      time.Time         // creation time of the newest; default DefaultGenEnd
	Step     time.Duration     // time between creations; default 10 minutes
	FirstID  int64             // build_id of the oldest; default 1,000,000
	Tags     map[string]string // tags of every build
	Statuses []string          // status words, cycled from the newest; default all "built"
	// BuildStatusKey sends the status as "build_status" instead of "status".
	BuildStatusKey bool
}

// Generate adds opt.N builds of one derivation, one every opt.Step up to opt.End, with
// figures that differ per build; every tenth has no peak storage figure.
func Generate(s *Server, o GenOptions) []Build {
	if o.Name == "" {
		o.Name = "bench-1.0"
	}
	if o.End.IsZero() {
		o.End = DefaultGenEnd
	}
	if o.Step <= 0 {
		o.Step = 10 * time.Minute
	}
	if o.FirstID == 0 {
		o.FirstID = 1_000_000
	}
	if len(o.Statuses) == 0 {
		o.Statuses = []string{"built"}
	}
	drv := DrvPath(o.Name)
	out := make([]Build, o.N)
	for i := range out {
		created := o.End.Add(-time.Duration(i) * o.Step)
		queue := 0.5 + float64(i%4)/4
		start := created.Add(time.Duration(queue * float64(time.Second)))
		dur := float64(60 + i%17)
		memKB := int64(100_000 + 1000*(i%13))
		b := Build{BuildID: o.FirstID + int64(o.N-1-i), CreateTime: created, StartTime: &start, QueueTimeSeconds: queue,
			DurationSeconds: &dur, StatusMessage: new(string), CPUCount: 4, AllocatedMegabytes: 4096,
			CPUSeconds: int64(100 + 3*(i%11)), PeakMemoryKilobytes: &memKB, DerivationPath: drv,
			Outputs: []Output{}, System: "x86_64-linux", Tags: map[string]string{}}
		if i%10 != 9 {
			st := int64(50_000 + 500*(i%7))
			b.PeakStorageKB = &st
		}
		word := o.Statuses[i%len(o.Statuses)]
		if o.BuildStatusKey {
			b.BuildStatus = word
		} else {
			b.Status = word
		}
		if word == "pending" || word == "running" {
			b.DurationSeconds = nil
		}
		for k, v := range o.Tags {
			b.Tags[k] = v
		}
		out[i] = b
	}
	s.Add(out...)
	return out
}

// DrvPath is the derivation path Generate gives name: a fixed hash made from the name.
func DrvPath(name string) string {
	const alphabet = "0123456789abcdfghijklmnpqrsvwxyz"
	sum := sha256.Sum256([]byte(name))
	h := make([]byte, 32)
	for i := range h {
		h[i] = alphabet[int(sum[i])%len(alphabet)]
	}
	return "/nix/store/" + string(h) + "-" + name + ".drv"
}
