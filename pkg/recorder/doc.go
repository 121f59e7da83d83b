// Package recorder is what `nixci-artifacts record` does: it gathers one build (its
// derivation, outputs, commit, artifact files and metrics) into a record.Record, keeps it in
// the local journal, and delivers it to the shared index through a spool that survives
// failures. It never makes a build fail: every problem is logged and kept for a retry.
package recorder
