// Package topology owns the lblab topology file: the versioned YAML model
// (apiVersion lblab.dev/v1alpha1, kind Topology), its strict decoding with
// line numbers, its defaults, and validation whose errors name the field path.
//
// A Topology that comes out of Load has been defaulted and validated, and its
// addresses are available as net/netip values through the parsed accessors.
package topology
