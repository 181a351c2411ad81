// Package cli is lblab's command line: one file per verb, each with a flags
// struct and a runE that turns flags into calls to library packages.
package cli
