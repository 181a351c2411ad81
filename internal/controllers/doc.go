// Package controllers names the LoadBalancer controllers a lab can run
// (`--controller`), with their versions, for status and verify reports.
// Each controller other than the bundled one has a package below this one
// (metallb) that configures it from the topology and says how it runs.
package controllers
