// Package record holds what `nixci-artifacts record` keeps of one build (a Record) and of
// one evaluation (an Eval), and the local journal they are kept in: an append-only file of
// JSON lines below the Nix state directory, with content-addressed copies of the artifact
// files beside it, so that history survives nix-collect-garbage. The journal is written by
// the command and read by the store source; the shared index stores the same values.
package record
