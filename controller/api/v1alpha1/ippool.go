package v1alpha1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// IPPoolSpec is a set of addresses LoadBalancer Services can get.
type IPPoolSpec struct {
	// Addresses are CIDRs ("198.51.100.0/24", "2001:db8::/120") or inclusive
	// ranges of one family ("198.51.100.10-198.51.100.20"), IPv4 or IPv6.
	// A pool may mix families; a dual-stack Service takes one address of
	// each family from the same pool. (The ordering rule below compares two
	// addresses bit by bit with CIDR containment, as CEL has no ordering of
	// IPs: a < b when they share n leading bits and bit n+1 is 0 in a.)
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=64
	// +listType=set
	// +kubebuilder:validation:items:MaxLength=80
	// +kubebuilder:validation:items:XValidation:rule="isCIDR(self) || (self.split('-').size() == 2 && isIP(self.split('-')[0]) && isIP(self.split('-')[1]))",messageExpression="'\"' + self + '\" is not a CIDR (198.51.100.0/24, 2001:db8::/120) or an inclusive a-b range (198.51.100.10-198.51.100.20)'"
	// +kubebuilder:validation:items:XValidation:rule="!isCIDR(self) || cidr(self) == cidr(self).masked()",messageExpression="'\"' + self + '\" has host bits set; write its network address (198.51.100.0/24, not 198.51.100.1/24)'"
	// +kubebuilder:validation:items:XValidation:rule="!(self.split('-').size() == 2 && isIP(self.split('-')[0]) && isIP(self.split('-')[1])) || ip(self.split('-')[0]).family() == ip(self.split('-')[1]).family()",messageExpression="'\"' + self + '\" mixes IPv4 and IPv6; a range has one family'"
	// +kubebuilder:validation:items:XValidation:rule="!(self.split('-').size() == 2 && isIP(self.split('-')[0]) && isIP(self.split('-')[1])) || ip(self.split('-')[0]).family() != ip(self.split('-')[1]).family() || ip(self.split('-')[0]) == ip(self.split('-')[1]) || {'/0':'/1','/1':'/2','/2':'/3','/3':'/4','/4':'/5','/5':'/6','/6':'/7','/7':'/8','/8':'/9','/9':'/10','/10':'/11','/11':'/12','/12':'/13','/13':'/14','/14':'/15','/15':'/16','/16':'/17','/17':'/18','/18':'/19','/19':'/20','/20':'/21','/21':'/22','/22':'/23','/23':'/24','/24':'/25','/25':'/26','/26':'/27','/27':'/28','/28':'/29','/29':'/30','/30':'/31','/31':'/32','/32':'/33','/33':'/34','/34':'/35','/35':'/36','/36':'/37','/37':'/38','/38':'/39','/39':'/40','/40':'/41','/41':'/42','/42':'/43','/43':'/44','/44':'/45','/45':'/46','/46':'/47','/47':'/48','/48':'/49','/49':'/50','/50':'/51','/51':'/52','/52':'/53','/53':'/54','/54':'/55','/55':'/56','/56':'/57','/57':'/58','/58':'/59','/59':'/60','/60':'/61','/61':'/62','/62':'/63','/63':'/64','/64':'/65','/65':'/66','/66':'/67','/67':'/68','/68':'/69','/69':'/70','/70':'/71','/71':'/72','/72':'/73','/73':'/74','/74':'/75','/75':'/76','/76':'/77','/77':'/78','/78':'/79','/79':'/80','/80':'/81','/81':'/82','/82':'/83','/83':'/84','/84':'/85','/85':'/86','/86':'/87','/87':'/88','/88':'/89','/89':'/90','/90':'/91','/91':'/92','/92':'/93','/93':'/94','/94':'/95','/95':'/96','/96':'/97','/97':'/98','/98':'/99','/99':'/100','/100':'/101','/101':'/102','/102':'/103','/103':'/104','/104':'/105','/105':'/106','/106':'/107','/107':'/108','/108':'/109','/109':'/110','/110':'/111','/111':'/112','/112':'/113','/113':'/114','/114':'/115','/115':'/116','/116':'/117','/117':'/118','/118':'/119','/119':'/120','/120':'/121','/121':'/122','/122':'/123','/123':'/124','/124':'/125','/125':'/126','/126':'/127','/127':'/128'}.exists(k, v, isCIDR(self.split('-')[0] + v) && cidr(self.split('-')[0] + k).containsIP(self.split('-')[1]) && !cidr(self.split('-')[0] + v).containsIP(self.split('-')[1]) && cidr(self.split('-')[0] + v).masked().ip() == cidr(self.split('-')[0] + k).masked().ip())",messageExpression="'\"' + self + '\" ends before it starts; write the lower address first'"
	Addresses []string `json:"addresses"`

	// AutoAssign lets the controller hand out this pool's addresses to
	// Services that did not ask for it by name (annotation
	// lblab.dev/ip-pool) or by address. Default true.
	// +optional
	// +kubebuilder:default=true
	AutoAssign *bool `json:"autoAssign,omitempty"`

	// AvoidBuggyIPs skips IPv4 addresses ending in .0 and .255, which some
	// old client stacks drop. It applies to requested addresses too.
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
	// AssignedIPv4 and AssignedIPv6 count addresses in use (an address
	// shared by several Services counts once).
	// +optional
	AssignedIPv4 int64 `json:"assignedIPv4"`
	// +optional
	AssignedIPv6 int64 `json:"assignedIPv6"`
	// AvailableIPv4 and AvailableIPv6 count free addresses (as strings:
	// IPv6 pools can be larger than an int64).
	AvailableIPv4 string `json:"availableIPv4,omitempty"`
	AvailableIPv6 string `json:"availableIPv6,omitempty"`
	// Conditions: Valid is False while the pool overlaps another pool or
	// would drop addresses Services use; the controller then keeps using
	// the pool's last valid spec (or none, for a new pool).
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
// +kubebuilder:printcolumn:name="Valid",type=string,JSONPath=`.status.conditions[?(@.type=="Valid")].status`
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
