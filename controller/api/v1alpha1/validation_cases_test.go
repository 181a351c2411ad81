package v1alpha1_test

// validationCase is one object and what the apiserver must say about it:
// "" when it is valid, else a substring of the rejection message.
type validationCase struct {
	name string
	kind string // IPPool, BGPPeer, BGPAdvertisement or L2Advertisement
	spec string // YAML of .spec
	want string
}

var validationCases = []validationCase{
	// IPPool addresses.
	{"pool ok", "IPPool", `addresses: ["198.51.100.0/24", "2001:db8::/120", "198.51.100.10-198.51.100.20", "2001:db8:1::10-2001:db8:1::ff", "10.0.0.5-10.0.0.5", "10.0.0.255-10.0.1.0"]`, ""},
	{"pool v6 range across groups", "IPPool", `addresses: ["2001:db8::ffff-2001:db8::1:0"]`, ""},
	{"pool not a cidr", "IPPool", `addresses: ["banana"]`, `"banana" is not a CIDR (198.51.100.0/24, 2001:db8::/120) or an inclusive a-b range`},
	{"pool bad prefix length", "IPPool", `addresses: ["198.51.100.0/33"]`, `"198.51.100.0/33" is not a CIDR`},
	{"pool bare address", "IPPool", `addresses: ["198.51.100.7"]`, `"198.51.100.7" is not a CIDR`},
	{"pool host bits", "IPPool", `addresses: ["198.51.100.1/24"]`, `"198.51.100.1/24" has host bits set; write its network address`},
	{"pool mixed range", "IPPool", `addresses: ["198.51.100.10-2001:db8::1"]`, `"198.51.100.10-2001:db8::1" mixes IPv4 and IPv6`},
	{"pool reversed v4", "IPPool", `addresses: ["198.51.100.20-198.51.100.10"]`, `"198.51.100.20-198.51.100.10" ends before it starts`},
	{"pool reversed across octet", "IPPool", `addresses: ["10.0.1.0-10.0.0.255"]`, `ends before it starts`},
	{"pool reversed v6", "IPPool", `addresses: ["2001:db8::ff-2001:db8::10"]`, `"2001:db8::ff-2001:db8::10" ends before it starts`},
	{"pool three parts", "IPPool", `addresses: ["10.0.0.1-10.0.0.2-10.0.0.3"]`, `is not a CIDR`},
	{"pool empty", "IPPool", `addresses: []`, `should have at least 1 items`},
	{"pool duplicate", "IPPool", `addresses: ["198.51.100.0/24", "198.51.100.0/24"]`, `Duplicate value`},

	// BGPPeer.
	{"peer ok", "BGPPeer", `{peerAddress: 10.89.1.1, peerASN: 64496, myASN: 64500, holdTime: 9s, keepaliveTime: 3s}`, ""},
	{"peer ok v6 ibgp", "BGPPeer", `{peerAddress: "fd00:89:1::1", peerASN: 64500, myASN: 64500, port: 1179, holdTime: 0s}`, ""},
	{"peer ok keepalive only", "BGPPeer", `{peerAddress: 10.89.1.1, peerASN: 64496, myASN: 64500, keepaliveTime: 30s}`, ""},
	{"peer not an ip", "BGPPeer", `{peerAddress: 10.89.1, peerASN: 64496, myASN: 64500}`, `"10.89.1" is not an IP address`},
	{"peer unspecified", "BGPPeer", `{peerAddress: 0.0.0.0, peerASN: 64496, myASN: 64500}`, `"0.0.0.0" cannot be a BGP neighbour`},
	{"peer asn 0", "BGPPeer", `{peerAddress: 10.89.1.1, peerASN: 0, myASN: 64500}`, `spec.peerASN: Invalid value: 0: spec.peerASN in body should be greater than or equal to 1`},
	{"peer asn too big", "BGPPeer", `{peerAddress: 10.89.1.1, peerASN: 64496, myASN: 4294967295}`, `spec.myASN in body should be less than or equal to 4294967294`},
	{"peer port too big", "BGPPeer", `{peerAddress: 10.89.1.1, peerASN: 64496, myASN: 64500, port: 70000}`, `spec.port in body should be less than or equal to 65535`},
	{"peer hold 2s", "BGPPeer", `{peerAddress: 10.89.1.1, peerASN: 64496, myASN: 64500, holdTime: 2s}`, `holdTime must be 0 or between 3s and 65535s`},
	{"peer hold fractional", "BGPPeer", `{peerAddress: 10.89.1.1, peerASN: 64496, myASN: 64500, holdTime: 3500ms}`, `holdTime must be a duration in whole seconds`},
	{"peer bfd ok", "BGPPeer", `{peerAddress: 10.89.1.1, peerASN: 64496, myASN: 64500, bfd: {transmitInterval: 300ms, receiveInterval: 1s, detectMultiplier: 3}}`, ""},
	{"peer bfd too fast", "BGPPeer", `{peerAddress: 10.89.1.1, peerASN: 64496, myASN: 64500, bfd: {transmitInterval: 5ms}}`, `transmitInterval must be a duration between 10ms and 60s`},
	{"peer bfd multiplier 1", "BGPPeer", `{peerAddress: 10.89.1.1, peerASN: 64496, myASN: 64500, bfd: {detectMultiplier: 1}}`, `spec.bfd.detectMultiplier in body should be greater than or equal to 2`},
	{"peer hold garbage", "BGPPeer", `{peerAddress: 10.89.1.1, peerASN: 64496, myASN: 64500, holdTime: soon}`, `holdTime must be a duration in whole seconds`},
	{"peer keepalive above hold", "BGPPeer", `{peerAddress: 10.89.1.1, peerASN: 64496, myASN: 64500, holdTime: 9s, keepaliveTime: 10s}`, `spec.keepaliveTime: Invalid value: keepaliveTime 10s must be below holdTime 9s`},
	{"peer keepalive equals hold", "BGPPeer", `{peerAddress: 10.89.1.1, peerASN: 64496, myASN: 64500, holdTime: 9s, keepaliveTime: 9s}`, `keepaliveTime 9s must be below holdTime 9s`},
	{"peer keepalive above default hold", "BGPPeer", `{peerAddress: 10.89.1.1, peerASN: 64496, myASN: 64500, keepaliveTime: 100s}`, `keepaliveTime 100s must be below holdTime (default 90s)`},
	{"peer keepalive with hold 0", "BGPPeer", `{peerAddress: 10.89.1.1, peerASN: 64496, myASN: 64500, holdTime: 0s, keepaliveTime: 3s}`, `holdTime 0 needs keepaliveTime 0 or unset`},
	{"peer keepalive 0 with hold", "BGPPeer", `{peerAddress: 10.89.1.1, peerASN: 64496, myASN: 64500, holdTime: 9s, keepaliveTime: 0s}`, `keepaliveTime 0 disables keepalives and needs holdTime 0`},
	{"peer multihop ibgp", "BGPPeer", `{peerAddress: 10.89.1.1, peerASN: 64500, myASN: 64500, ebgpMultiHop: true}`, `ebgpMultiHop applies to eBGP sessions only`},
	{"peer bad secret name", "BGPPeer", `{peerAddress: 10.89.1.1, peerASN: 64496, myASN: 64500, passwordSecret: Bad_Name}`, `spec.passwordSecret in body should match`},

	// BGPAdvertisement.
	{"adv ok", "BGPAdvertisement", `{ipPools: [default], peers: [tor-ipv4], localPref: 100, communities: ["65535:65281", "64500:1:2", "4294967295:0:4294967295"]}`, ""},
	{"adv empty", "BGPAdvertisement", `{}`, ""},
	{"adv community half too big", "BGPAdvertisement", `{communities: ["65536:1"]}`, `"65536:1" is not a standard community AA:NN (each 0-65535) or a large community A:B:C (each 0-4294967295)`},
	{"adv community four parts", "BGPAdvertisement", `{communities: ["1:2:3:4"]}`, `"1:2:3:4" is not a standard community`},
	{"adv community name", "BGPAdvertisement", `{communities: ["no-export"]}`, `"no-export" is not a standard community`},
	{"adv large community too big", "BGPAdvertisement", `{communities: ["4294967296:1:1"]}`, `"4294967296:1:1" is not a standard community`},
	{"adv bad pool name", "BGPAdvertisement", `{ipPools: [Bad_Pool]}`, `spec.ipPools[0] in body should match`},
	{"adv duplicate peer", "BGPAdvertisement", `{peers: [a, a]}`, `Duplicate value`},

	// L2Advertisement.
	{"l2adv ok", "L2Advertisement", `{ipPools: [default], interfaces: [eth0, "br-lab.100"], nodeSelectors: [{matchLabels: {zone: a}}]}`, ""},
	{"l2adv empty", "L2Advertisement", `{}`, ""},
	{"l2adv interface with slash", "L2Advertisement", `{interfaces: ["eth0/1"]}`, `"eth0/1" is not a network interface name`},
	{"l2adv interface with space", "L2Advertisement", `{interfaces: ["eth 0"]}`, `"eth 0" is not a network interface name`},
	{"l2adv interface dot", "L2Advertisement", `{interfaces: [".."]}`, `".." is not a network interface name`},
	{"l2adv interface too long", "L2Advertisement", `{interfaces: ["a-very-long-ifname"]}`, `Too long`},
	{"l2adv duplicate interface", "L2Advertisement", `{interfaces: [eth0, eth0]}`, `Duplicate value`},
	{"l2adv bad pool name", "L2Advertisement", `{ipPools: [Bad_Pool]}`, `spec.ipPools[0] in body should match`},
}
