package v1alpha1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// BGPPeerSpec is a BGP neighbour the speakers open sessions to.
//
// +kubebuilder:validation:XValidation:rule="!has(self.keepaliveTime) || !has(self.holdTime) || !self.keepaliveTime.matches('^([0-9]+[hms])+$') || !self.holdTime.matches('^([0-9]+[hms])+$') || duration(self.holdTime) == duration('0s') || duration(self.keepaliveTime) < duration(self.holdTime)",messageExpression="'keepaliveTime ' + self.keepaliveTime + ' must be below holdTime ' + self.holdTime",fieldPath=".keepaliveTime"
// +kubebuilder:validation:XValidation:rule="!has(self.keepaliveTime) || has(self.holdTime) || !self.keepaliveTime.matches('^([0-9]+[hms])+$') || duration(self.keepaliveTime) < duration('90s')",messageExpression="'keepaliveTime ' + self.keepaliveTime + ' must be below holdTime (default 90s)'",fieldPath=".keepaliveTime"
// +kubebuilder:validation:XValidation:rule="!has(self.keepaliveTime) || !self.keepaliveTime.matches('^([0-9]+[hms])+$') || (has(self.holdTime) && self.holdTime.matches('^([0-9]+[hms])+$') && duration(self.holdTime) == duration('0s')) == (duration(self.keepaliveTime) == duration('0s'))",message="keepaliveTime 0 disables keepalives and needs holdTime 0, and holdTime 0 needs keepaliveTime 0 or unset",fieldPath=".keepaliveTime"
// +kubebuilder:validation:XValidation:rule="!has(self.ebgpMultiHop) || !self.ebgpMultiHop || self.peerASN != self.myASN",message="ebgpMultiHop applies to eBGP sessions only; peerASN equals myASN here",fieldPath=".ebgpMultiHop"
type BGPPeerSpec struct {
	// PeerAddress is the neighbour's IPv4 or IPv6 address. The session
	// carries unicast routes of that address's family.
	// +kubebuilder:validation:MaxLength=45
	// +kubebuilder:validation:XValidation:rule="isIP(self)",messageExpression="'\"' + self + '\" is not an IP address (e.g. 10.89.1.1 or fd00:89:1::1)'"
	// +kubebuilder:validation:XValidation:rule="!isIP(self) || (!ip(self).isUnspecified() && !ip(self).isLinkLocalMulticast())",messageExpression="'\"' + self + '\" cannot be a BGP neighbour'"
	PeerAddress string `json:"peerAddress"`
	// PeerASN is the neighbour's AS number (1-4294967294).
	// +kubebuilder:validation:Format=int64
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=4294967294
	PeerASN uint32 `json:"peerASN"`
	// MyASN is the speakers' AS number on this session (1-4294967294).
	// +kubebuilder:validation:Format=int64
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=4294967294
	MyASN uint32 `json:"myASN"`
	// Port is the neighbour's TCP port. Default 179.
	// +optional
	// +kubebuilder:default=179
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	Port uint16 `json:"port,omitempty"`
	// HoldTime is the proposed BGP hold time in whole seconds: 0 (no
	// keepalives), or 3s to 65535s. Default 90s.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=16
	// +kubebuilder:validation:XValidation:rule="self.matches('^([0-9]+[hms])+$')",message="holdTime must be a duration in whole seconds, e.g. 90s or 1m30s"
	// +kubebuilder:validation:XValidation:rule="!self.matches('^([0-9]+[hms])+$') || duration(self) == duration('0s') || (duration(self) >= duration('3s') && duration(self) <= duration('65535s'))",message="holdTime must be 0 or between 3s and 65535s (RFC 4271)"
	HoldTime *metav1.Duration `json:"holdTime,omitempty"`
	// KeepaliveTime is the keepalive interval in whole seconds, below
	// HoldTime. Default a third of HoldTime.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=16
	// +kubebuilder:validation:XValidation:rule="self.matches('^([0-9]+[hms])+$')",message="keepaliveTime must be a duration in whole seconds, e.g. 30s"
	KeepaliveTime *metav1.Duration `json:"keepaliveTime,omitempty"`
	// NodeSelector picks the nodes whose speakers peer; empty means all.
	// +optional
	NodeSelector *metav1.LabelSelector `json:"nodeSelector,omitempty"`
	// PasswordSecret names a Secret in lblab-system whose "password" key is
	// the TCP MD5 password.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	PasswordSecret string `json:"passwordSecret,omitempty"`
	// EBGPMultiHop allows the neighbour to be more than one hop away.
	// +optional
	EBGPMultiHop bool `json:"ebgpMultiHop,omitempty"`
	// BFD, when set, runs a BFD session (RFC 5880, single hop) beside the
	// BGP session: when it goes down, the speaker takes the BGP session
	// down at once instead of waiting for the hold time. The neighbour must
	// run BFD too (FRR: `neighbor … bfd`).
	// +optional
	BFD *BFDSettings `json:"bfd,omitempty"`
}

// BFDSettings are the timers of a BFD session.
type BFDSettings struct {
	// TransmitInterval is the desired minimum interval between the BFD
	// packets the speaker sends, 10ms to 60s. Default 300ms.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=16
	// +kubebuilder:validation:XValidation:rule="self.matches('^([0-9]+(ms|s|m))+$') && duration(self) >= duration('10ms') && duration(self) <= duration('60s')",message="transmitInterval must be a duration between 10ms and 60s, e.g. 300ms"
	TransmitInterval *metav1.Duration `json:"transmitInterval,omitempty"`
	// ReceiveInterval is the minimum interval between BFD packets the
	// speaker asks the neighbour to keep, 10ms to 60s. Default 300ms.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=16
	// +kubebuilder:validation:XValidation:rule="self.matches('^([0-9]+(ms|s|m))+$') && duration(self) >= duration('10ms') && duration(self) <= duration('60s')",message="receiveInterval must be a duration between 10ms and 60s, e.g. 300ms"
	ReceiveInterval *metav1.Duration `json:"receiveInterval,omitempty"`
	// DetectMultiplier is how many intervals without a packet take the
	// session down, 2 to 255. Default 3.
	// +optional
	// +kubebuilder:validation:Minimum=2
	// +kubebuilder:validation:Maximum=255
	DetectMultiplier int32 `json:"detectMultiplier,omitempty"`
}

// BGPPeerStatus reports cross-object problems CEL cannot see.
type BGPPeerStatus struct {
	// Conditions: Valid is False while another BGPPeer has the same
	// address and port, overlapping nodes and different ASNs.
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
// +kubebuilder:printcolumn:name="Valid",type=string,JSONPath=`.status.conditions[?(@.type=="Valid")].status`
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
	// +listType=set
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=253
	// +kubebuilder:validation:items:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	IPPools []string `json:"ipPools,omitempty"`
	// NodeSelectors pick the nodes that announce (any selector matching is
	// enough); empty means all eligible nodes.
	// +optional
	// +kubebuilder:validation:MaxItems=16
	NodeSelectors []metav1.LabelSelector `json:"nodeSelectors,omitempty"`
	// Peers names the BGPPeers to announce to; empty means all.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=253
	// +kubebuilder:validation:items:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	Peers []string `json:"peers,omitempty"`
	// LocalPref is the LOCAL_PREF attribute (sent to iBGP peers only).
	// +optional
	// +kubebuilder:validation:Format=int64
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=4294967295
	LocalPref *uint32 `json:"localPref,omitempty"`
	// Communities are standard ("65535:65281", each half 0-65535) or large
	// ("64500:1:2", each part 0-4294967295) BGP communities.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:items:MaxLength=32
	// +kubebuilder:validation:items:XValidation:rule="self.matches('^[0-9]{1,5}:[0-9]{1,5}$') ? self.split(':').all(p, int(p) <= 65535) : (self.matches('^[0-9]{1,10}:[0-9]{1,10}:[0-9]{1,10}$') && self.split(':').all(p, int(p) <= 4294967295))",messageExpression="'\"' + self + '\" is not a standard community AA:NN (each 0-65535) or a large community A:B:C (each 0-4294967295)'"
	Communities []string `json:"communities,omitempty"`
}

// BGPAdvertisementStatus reports problems such as unknown pools or peers.
type BGPAdvertisementStatus struct {
	// Conditions: Valid is False while the advertisement names an IPPool
	// or a BGPPeer that does not exist.
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
// +kubebuilder:printcolumn:name="Valid",type=string,JSONPath=`.status.conditions[?(@.type=="Valid")].status`
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
