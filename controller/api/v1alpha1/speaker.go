package v1alpha1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// SpeakerStatusStatus is what one node's speaker is doing right now.
type SpeakerStatusStatus struct {
	// Node is the node this speaker runs on (also the object's name).
	Node string `json:"node"`
	// Sessions are the speaker's BGP sessions.
	// +optional
	Sessions []BGPSessionStatus `json:"sessions,omitempty"`
	// Advertised are the prefixes this node announces ("198.51.100.1/32").
	// +optional
	Advertised []string `json:"advertised,omitempty"`
	// L2 are the LB IPs this node owns in L2 mode: it answers ARP (IPv4)
	// and NDP (IPv6) for them.
	// +optional
	L2 []L2Announcement `json:"l2,omitempty"`
	// LastUpdate is when the speaker last wrote this status.
	LastUpdate metav1.Time `json:"lastUpdate"`
}

// L2Announcement is one LB IP a node owns in L2 mode.
type L2Announcement struct {
	// IP is the LB IP.
	IP string `json:"ip"`
	// Service is the Service it belongs to (namespace/name).
	Service string `json:"service"`
	// Interface is the interface the node answers on.
	Interface string `json:"interface"`
	// Since is when this node took the IP over.
	// +optional
	Since *metav1.Time `json:"since,omitempty"`
}

// BGPSessionStatus is one BGP session of a speaker.
type BGPSessionStatus struct {
	// Peer is the BGPPeer's name.
	Peer string `json:"peer"`
	// PeerAddress is the neighbour's address.
	PeerAddress string `json:"peerAddress"`
	// State is the BGP FSM state: Idle, Connect, Active, OpenSent,
	// OpenConfirm or Established.
	State string `json:"state"`
	// Since is when the session entered State (uptime when Established).
	// +optional
	Since *metav1.Time `json:"since,omitempty"`
	// PrefixesAdvertised counts prefixes sent on this session.
	PrefixesAdvertised int `json:"prefixesAdvertised"`
	// BFD is the state of the BFD session beside it (AdminDown, Down,
	// Init, Up), when its BGPPeer asks for BFD.
	// +optional
	BFD string `json:"bfd,omitempty"`
}

// SpeakerStatus is the state of one node's speaker, named after the node.
// It exists so that `kubectl get speakerstatuses` shows every session
// without reading logs.
//
// +genclient
// +genclient:nonNamespaced
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Cluster,shortName=ss
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:name="Node",type=string,JSONPath=`.status.node`
// +kubebuilder:printcolumn:name="Sessions",type=string,JSONPath=`.status.sessions[*].state`
// +kubebuilder:printcolumn:name="Advertised",type=string,JSONPath=`.status.advertised`
// +kubebuilder:printcolumn:name="Updated",type=date,JSONPath=`.status.lastUpdate`
type SpeakerStatus struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Status SpeakerStatusStatus `json:"status,omitempty"`
}

// SpeakerStatusList is a list of SpeakerStatuses.
//
// +kubebuilder:object:root=true
type SpeakerStatusList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []SpeakerStatus `json:"items"`
}
