package v1alpha1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// IPPoolSpec is a set of addresses LoadBalancer Services can get.
type IPPoolSpec struct {
	// Addresses are CIDRs ("198.51.100.0/24", "2001:db8::/120") or inclusive
	// ranges ("198.51.100.10-198.51.100.20"), IPv4 or IPv6.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=64
	Addresses []string `json:"addresses"`

	// AutoAssign lets the controller hand out this pool's addresses to
	// Services that did not ask for it by name. Default true.
	// +optional
	// +kubebuilder:default=true
	AutoAssign *bool `json:"autoAssign,omitempty"`

	// AvoidBuggyIPs skips IPv4 addresses ending in .0 and .255, which some
	// old client stacks drop.
	// +optional
	AvoidBuggyIPs bool `json:"avoidBuggyIPs,omitempty"`

	// ServiceSelector limits the pool to Services with matching labels.
	// +optional
	ServiceSelector *metav1.LabelSelector `json:"serviceSelector,omitempty"`

	// NamespaceSelector limits the pool to Services in matching namespaces.
	// +optional
	NamespaceSelector *metav1.LabelSelector `json:"namespaceSelector,omitempty"`
}

// IPPoolStatus is what the controller reports about a pool.
type IPPoolStatus struct {
	// AssignedIPv4 and AssignedIPv6 count addresses in use.
	AssignedIPv4 int64 `json:"assignedIPv4"`
	AssignedIPv6 int64 `json:"assignedIPv6"`
	// AvailableIPv4 and AvailableIPv6 count free addresses (as strings:
	// IPv6 pools can be larger than an int64).
	AvailableIPv4 string `json:"availableIPv4,omitempty"`
	AvailableIPv6 string `json:"availableIPv6,omitempty"`
	// Conditions: Valid is False while the pool overlaps another; the
	// controller then keeps using the last valid configuration.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// IPPool is a pool of LoadBalancer addresses.
//
// +genclient
// +genclient:nonNamespaced
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Cluster,shortName=ipp
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:name="Addresses",type=string,JSONPath=`.spec.addresses`
// +kubebuilder:printcolumn:name="Auto",type=boolean,JSONPath=`.spec.autoAssign`
// +kubebuilder:printcolumn:name="V4 Used",type=integer,JSONPath=`.status.assignedIPv4`
// +kubebuilder:printcolumn:name="V6 Used",type=integer,JSONPath=`.status.assignedIPv6`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type IPPool struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   IPPoolSpec   `json:"spec"`
	Status IPPoolStatus `json:"status,omitempty"`
}

// IPPoolList is a list of IPPools.
//
// +kubebuilder:object:root=true
type IPPoolList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []IPPool `json:"items"`
}
