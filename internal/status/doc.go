// Package status prints kind-style progress lines ("✓ Creating fabric"):
// a spinner on a terminal, plain lines otherwise. It also records how long
// every step took, so `lblab up` can say where the time went.
package status
