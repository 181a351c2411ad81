// Package diag writes the diagnostics bundle `lblab verify` leaves when a
// check fails, and `lblab up` when it fails: a directory with what a person needs to see why, without the
// lab. From the TOR its running-config, `show bgp … json` and routes; from
// every node its data-plane rules (iptables-save, nft, IPVS and ipsets),
// routes and GoBGP state (gobgp neighbor / global rib); the backend's
// component logs (controller, speakers, kube-proxy, FRR); and the
// Kubernetes objects the checks read, as YAML, with the events; and the
// lab's state directory (CopyState). A bundle is made to be uploaded and
// shared, so it holds no credentials: key files and etcd's data are left
// out, and every file it holds goes through Redact (no PEM private key, no
// kubeconfig client-key-data, no token, no JWT).
package diag
