// Package nixstore reads a local Nix store: its database, the outputs of
// builds, and the nix-support files Hydra reads (hydra-metrics,
// hydra-build-products), parsed as Hydra parses them. Its Source (the `store`
// source) answers from an in-memory index of the store's valid paths and of
// the builds `nixci-artifacts record` kept in its journal, refreshed with only
// what changed.
package nixstore
