package cpvip

import (
	"hash/fnv"
	"net/netip"
	"slices"
	"strings"
)

// Owner is the node, among the ready ones, that answers ARP/NDP for the
// VIPs in L2 mode: the highest random weight (rendezvous hashing) of each
// name, scored by FNV-1a 64 of the sorted VIPs joined with "," then "\x00"
// then the name, through mix64; the smaller name wins a tie. It is "" when
// none is ready.
//
// One owner takes all the VIPs, as one keepalived VRRP instance would: the
// IPv4 and the IPv6 VIP lead to the same kube-apiserver. The score does not
// depend on which other nodes are ready, so the VIP moves only when its
// owner leaves the ready set, and moves back when it returns; and every
// speaker that sees the same ready set picks the same owner.
//
// FNV-1a alone mixes a name's last byte into few high bits, so among names
// that differ only there (control-plane2, -3) a few bits would decide; the
// SplitMix64 finalizer spreads every input bit over the score, so the
// owners of many VIP sets are spread evenly.
func Owner(vips []netip.Addr, ready []string) string {
	texts := make([]string, len(vips))
	for i, v := range vips {
		texts[i] = v.Unmap().WithZone("").String()
	}
	slices.Sort(texts)
	key := strings.Join(texts, ",") + "\x00"
	var owner string
	var best uint64
	for _, name := range ready {
		h := fnv.New64a()
		h.Write([]byte(key + name))
		s := mix64(h.Sum64())
		if owner == "" || s > best || s == best && name < owner {
			owner, best = name, s
		}
	}
	return owner
}

// mix64 is SplitMix64's finalizer.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}
