package v1alpha1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// L2AdvertisementSpec says which addresses are announced by ARP (IPv4)
// and NDP (IPv6), from which nodes and on which interfaces. One eligible
// node owns each address and answers for it; the others stay silent.
type L2AdvertisementSpec struct {
	// IPPools names the pools whose addresses this advertises; empty means all.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=253
	// +kubebuilder:validation:items:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	IPPools []string `json:"ipPools,omitempty"`
	// NodeSelectors pick the nodes that may own addresses (any selector
	// matching is enough); empty means all eligible nodes.
	// +optional
	// +kubebuilder:validation:MaxItems=16
	NodeSelectors []metav1.LabelSelector `json:"nodeSelectors,omitempty"`
	// Interfaces limits the answers to these network interfaces of the
	// owner; empty means the interface that has an address in a prefix
	// containing the LB IP.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:items:MaxLength=15
	// +kubebuilder:validation:items:XValidation:rule="self.matches('^[^/:\\\\s]+$') && self != '.' && self != '..'",messageExpression="'\"' + self + '\" is not a network interface name (at most 15 characters, no /, : or white space)'"
	Interfaces []string `json:"interfaces,omitempty"`
}

// L2AdvertisementStatus reports problems such as unknown pools.
type L2AdvertisementStatus struct {
	// Conditions: Valid is False while the advertisement names an IPPool
	// that does not exist.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// L2Advertisement selects what the speakers announce by ARP and NDP.
//
// +genclient
// +genclient:nonNamespaced
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Cluster,shortName=l2adv
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:name="Pools",type=string,JSONPath=`.spec.ipPools`
// +kubebuilder:printcolumn:name="Interfaces",type=string,JSONPath=`.spec.interfaces`
// +kubebuilder:printcolumn:name="Valid",type=string,JSONPath=`.status.conditions[?(@.type=="Valid")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type L2Advertisement struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   L2AdvertisementSpec   `json:"spec,omitempty"`
	Status L2AdvertisementStatus `json:"status,omitempty"`
}

// L2AdvertisementList is a list of L2Advertisements.
//
// +kubebuilder:object:root=true
type L2AdvertisementList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []L2Advertisement `json:"items"`
}
