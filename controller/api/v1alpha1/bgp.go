package v1alpha1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// BGPPeerSpec is a BGP neighbour the speakers open sessions to.
type BGPPeerSpec struct {
	// PeerAddress is the neighbour's IPv4 or IPv6 address.
	PeerAddress string `json:"peerAddress"`
	// PeerASN is the neighbour's AS number.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=4294967295
	PeerASN uint32 `json:"peerASN"`
	// MyASN is the speakers' AS number on this session.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=4294967295
	MyASN uint32 `json:"myASN"`
	// Port is the neighbour's TCP port. Default 179.
	// +optional
	// +kubebuilder:default=179
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	Port uint16 `json:"port,omitempty"`
	// HoldTime is the proposed BGP hold time (0, or at least 3s). Default 90s.
	// +optional
	HoldTime *metav1.Duration `json:"holdTime,omitempty"`
	// KeepaliveTime is the keepalive interval, below HoldTime. Default a third of it.
	// +optional
	KeepaliveTime *metav1.Duration `json:"keepaliveTime,omitempty"`
	// NodeSelector picks the nodes whose speakers peer; empty means all.
	// +optional
	NodeSelector *metav1.LabelSelector `json:"nodeSelector,omitempty"`
	// PasswordSecret names a Secret in lblab-system whose "password" key is
	// the TCP MD5 password.
	// +optional
	PasswordSecret string `json:"passwordSecret,omitempty"`
	// EBGPMultiHop allows the neighbour to be more than one hop away.
	// +optional
	EBGPMultiHop bool `json:"ebgpMultiHop,omitempty"`
}

// BGPPeerStatus reports cross-object problems CEL cannot see.
type BGPPeerStatus struct {
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// BGPPeer is a BGP neighbour of the speakers.
//
// +genclient
// +genclient:nonNamespaced
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Cluster
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:name="Address",type=string,JSONPath=`.spec.peerAddress`
// +kubebuilder:printcolumn:name="Peer ASN",type=integer,JSONPath=`.spec.peerASN`
// +kubebuilder:printcolumn:name="My ASN",type=integer,JSONPath=`.spec.myASN`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type BGPPeer struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   BGPPeerSpec   `json:"spec"`
	Status BGPPeerStatus `json:"status,omitempty"`
}

// BGPPeerList is a list of BGPPeers.
//
// +kubebuilder:object:root=true
type BGPPeerList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []BGPPeer `json:"items"`
}

// BGPAdvertisementSpec says which addresses are announced, from which
// nodes, to which peers, with which attributes.
type BGPAdvertisementSpec struct {
	// IPPools names the pools whose addresses this advertises; empty means all.
	// +optional
	IPPools []string `json:"ipPools,omitempty"`
	// NodeSelectors pick the nodes that announce; empty means all eligible nodes.
	// +optional
	NodeSelectors []metav1.LabelSelector `json:"nodeSelectors,omitempty"`
	// Peers names the BGPPeers to announce to; empty means all.
	// +optional
	Peers []string `json:"peers,omitempty"`
	// LocalPref is the LOCAL_PREF attribute (iBGP peers only).
	// +optional
	LocalPref *uint32 `json:"localPref,omitempty"`
	// Communities are standard ("65535:65282") or large ("1:2:3") communities.
	// +optional
	Communities []string `json:"communities,omitempty"`
}

// BGPAdvertisementStatus reports problems such as unknown pools or peers.
type BGPAdvertisementStatus struct {
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// BGPAdvertisement selects what the speakers announce over BGP.
//
// +genclient
// +genclient:nonNamespaced
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Cluster,shortName=bgpadv
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:name="Pools",type=string,JSONPath=`.spec.ipPools`
// +kubebuilder:printcolumn:name="Peers",type=string,JSONPath=`.spec.peers`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type BGPAdvertisement struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   BGPAdvertisementSpec   `json:"spec,omitempty"`
	Status BGPAdvertisementStatus `json:"status,omitempty"`
}

// BGPAdvertisementList is a list of BGPAdvertisements.
//
// +kubebuilder:object:root=true
type BGPAdvertisementList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []BGPAdvertisement `json:"items"`
}
