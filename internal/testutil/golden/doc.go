// Package golden compares test output with golden files, which are captured
// from real tools or rendered by the code under test and reviewed by hand.
// `go test ./... -update` rewrites them; review the diff before committing.
package golden
