// Package workloads creates a topology's workloads in any lab cluster
// (netns or kind) with client-go: per workload a Deployment of the image
// with the Service's target ports as container ports, and a Service of the
// given type, ports, traffic policy, IP family policy, pool annotation and
// source ranges. Objects are applied server-side (field manager "lblab"),
// so a converging `up` changes only what the topology says and leaves
// other fields alone. Wait then waits for every Deployment's pods to be
// Ready and, when they are not, says what they are waiting for.
package workloads
