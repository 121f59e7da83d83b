// Package nixstore reads a local Nix store: its database, the outputs of
// builds, and the nix-support files Hydra reads (hydra-metrics,
// hydra-build-products), parsed as Hydra parses them.
package nixstore
