// Package bench measures a LoadBalancer controller in a lab against the
// lab's real FRR TOR and kube-apiserver, the same way for every
// controller: Services created one at a time (create → IP in the status,
// → first BGP UPDATE on the TOR's wire (tcpdump), → an UPDATE from every
// eligible speaker, → every eligible node a next hop of the TOR's kernel
// route (a netlink subscription in the TOR's namespace); delete →
// withdrawal, → route gone), churns of many Services created in parallel,
// and the memory of the controller's processes. `lblab bench` runs it on a
// lab per controller and reports them side by side (WriteTable,
// WriteJSON, Plot); hack/bench/speaker runs it on a lab that is up.
package bench
