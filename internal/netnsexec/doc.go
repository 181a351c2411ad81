// Package netnsexec runs a function inside a network namespace from a Go
// program: on an OS thread of its own that enters the namespace, runs the
// function and goes back. Sockets and processes the function creates stay
// in that namespace. If the thread cannot go back it stays locked, and the
// Go runtime retires it with its goroutine, so no other goroutine ever
// runs in the wrong namespace.
package netnsexec
