package query

import "strconv"

var statusNames = map[int]string{
	0:  "succeeded",
	1:  "failed",
	2:  "dependency failed",
	3:  "aborted",
	4:  "cancelled",
	5:  "obsolete",
	6:  "failed with output",
	7:  "timed out",
	8:  "cached failure",
	9:  "unsupported system",
	10: "log limit exceeded",
	11: "output limit exceeded",
	12: "non-deterministic",
	13: "resolved",
}

// StatusText names a build's state as Hydra's web pages do; unknown codes count as failures.
func StatusText(b Build) string {
	if !b.Finished {
		return "queued"
	}
	if s, ok := statusNames[b.Status]; ok {
		return s
	}
	return "failed (status " + strconv.Itoa(b.Status) + ")"
}

// StatusGroup sorts a build into success, cancelled or failed, as Hydra's InfluxDB plugin does.
func StatusGroup(b Build) string {
	if !b.Finished {
		return "queued"
	}
	switch b.Status {
	case 0:
		return "success"
	case 3, 4, 8, 10, 11:
		return "cancelled"
	default:
		return "failed"
	}
}
