package v1alpha1

// The controller's load-balancer class, and the Service annotations it reads
// and writes.
const (
	// LoadBalancerClass is the spec.loadBalancerClass the controller handles
	// (it also handles Services without a class, unless told not to).
	LoadBalancerClass = "lblab.dev/lb"

	// AnnotationLoadBalancerIPs requests specific addresses, comma-separated
	// (one per family), like spec.loadBalancerIP but dual-stack.
	AnnotationLoadBalancerIPs = "lblab.dev/load-balancer-ips"
	// AnnotationIPPool asks for an address from the named IPPool.
	AnnotationIPPool = "lblab.dev/ip-pool"
	// AnnotationSharingKey lets Services with the same key share an address
	// when their ports do not collide and their traffic policies agree.
	AnnotationSharingKey = "lblab.dev/sharing-key"
	// AnnotationAllocatedFromPool is written by the controller: the pool the
	// Service's addresses came from.
	AnnotationAllocatedFromPool = "lblab.dev/allocated-from-pool"

	// Namespace is where the controller, its Secrets and its leases live.
	Namespace = "lblab-system"
	// NodeLeaseNamespace holds one Lease per speaker in L2 mode, its
	// heartbeat (as kube-node-lease holds the kubelets'): apart from
	// Namespace, so the speakers may write Leases there and not the
	// controller's leader-election Lease.
	NodeLeaseNamespace = "lblab-node-lease"
)

// Event reasons the controller records on Services.
const (
	ReasonIPAllocated      = "IPAllocated"
	ReasonAllocationFailed = "AllocationFailed"
	ReasonIPReleased       = "IPReleased"
)
