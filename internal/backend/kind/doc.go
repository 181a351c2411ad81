// Package kind is the lab backend for machines with Docker: the Kubernetes
// nodes are kind nodes (sigs.k8s.io/kind/pkg/cluster, the library), and the
// TOR (FRR) and the client are containers on the same `kind` Docker network,
// made through the Docker Engine API (github.com/moby/moby/client).
//
// What it owns:
//   - detection (Available: a docker CLI, a socket and a daemon that answers
//     Ping) and the checks that refuse a lab before anything is created
//     (data plane/family combinations, kind network overlaps, node labels);
//   - the kind v1alpha4 config generated from the topology, with the node
//     image pinned by digest;
//   - the FRR TOR and the client containers, labelled dev.lblab.lab=<lab>;
//   - the controller image, built in-process from the static lblab binary
//     with go-containerregistry and imported into every node's containerd;
//   - Cilium for the ebpf data plane, rendered with Helm's Go SDK;
//   - MetalLB, kube-vip and OpenELB (`--controller`) from their upstream
//     images and the workloads of their pinned versions' own manifests,
//     read from their Go modules (deploy_upstream.go; never run on a real
//     kind cluster);
//   - waiting until every node, the CNI and kube-proxy (or Cilium) are ready.
//
// Every Docker call goes through the small dockerAPI interface and every
// kind call through clusterAPI, so unit tests assert the recorded calls
// without a Docker daemon. Integration tests need Docker and are built with
// the `kind` build tag.
package kind
