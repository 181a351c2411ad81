// Package promtext reads histogram series from a Prometheus text
// exposition with expfmt, for the benches: the API server's, the lblab
// controller's and the speakers' /metrics. A series is matched by its
// labels, not by the text of a line, so label order and extra labels do
// not matter.
package promtext
