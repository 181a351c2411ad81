package controlplane

import (
	"net/netip"
	"strings"
)

// Member is one control-plane node of a lab with several: its etcd member
// name and its address on the lab fabric.
type Member struct {
	Name    string
	Address netip.Addr
}

// clustered reports whether etcd runs as a cluster of several members.
func (c Config) clustered() bool { return len(c.Members) > 1 }

// etcdMemberName is this node's etcd member name: the cluster's name for a
// single member (as before members existed), else the node's name.
func (c Config) etcdMemberName() string {
	if c.clustered() {
		return c.MemberName
	}
	return c.ClusterName
}

// peerURL is a member's etcd peer URL: on the fabric when clustered.
func peerURL(a netip.Addr) string {
	return "http://" + netip.AddrPortFrom(a, EtcdPeerPort).String()
}

// initialCluster is etcd's --initial-cluster for the members.
func (c Config) initialCluster() string {
	if !c.clustered() {
		return c.ClusterName + "=" + c.etcdURL(EtcdPeerPort)
	}
	s := make([]string, len(c.Members))
	for i, m := range c.Members {
		s[i] = m.Name + "=" + peerURL(m.Address)
	}
	return strings.Join(s, ",")
}

// etcdURLs are the peer URL this member listens on and advertises, and its
// client URLs: loopback for its own kube-apiserver, and the fabric address
// too when clustered, so `etcdctl` from any member sees every member.
func (c Config) etcdURLs() (peer, listenClient, advertiseClient string) {
	if !c.clustered() {
		client := c.etcdURL(EtcdClientPort)
		return c.etcdURL(EtcdPeerPort), client, client
	}
	fabric := "http://" + netip.AddrPortFrom(c.AdvertiseAddress, EtcdClientPort).String()
	return peerURL(c.AdvertiseAddress), c.etcdURL(EtcdClientPort) + "," + fabric, fabric
}
