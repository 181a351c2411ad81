// Package scenarios holds the checks `lblab verify` runs against a live lab.
//
// Each check is small and named (the names are topology.ScenarioNames). It
// observes the lab through Env (hosts with a command interface, a
// Kubernetes clientset, the topology, optional backend controls from
// internal/lab) with the readers `lblab inspect` uses (internal/observe),
// judges
// what it saw with a pure function, retries until its deadline, and returns
// a Result: the verdict, the evidence (next hops, rules, HTTP bodies,
// counts) and how long it took. The judging functions take plain evidence
// values, so every verdict, including the failing ones, is unit tested
// without a lab.
//
// Read-only checks run concurrently. Checks that change the lab
// (withdraw-on-delete, etp-local, source-ranges, node-failover, l2-failover) run one at
// a time afterwards, work on temporary objects named lblab-verify-*, and
// restore the lab with a fresh context even when they fail.
package scenarios
