// Package testutil helps integration tests: gating on root, and building the
// lblab binary once per test process so tests drive it as a user would.
// Golden-file comparison is in the golden subpackage.
package testutil
