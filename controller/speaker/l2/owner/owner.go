package owner

import "net/netip"

// Owner picks the node that owns ip among candidates (the nodes both live
// and eligible for the IP's Service) by rendezvous hashing: every candidate
// gets a score from its name and the IP, and the highest wins, the smaller
// name on a tie. Empty names and repeats are ignored, and the order of
// candidates does not matter. ok is false if ip is invalid or no candidate
// is left. An IPv4-mapped IPv6 address is the IPv4 address, and a zone is
// ignored, so every speaker scores the same text.
func Owner(ip netip.Addr, candidates []string) (node string, ok bool) {
	if !ip.IsValid() {
		return "", false
	}
	var buf [64]byte
	text := ip.Unmap().WithZone("").AppendTo(buf[:0])
	var best uint64
	for _, c := range candidates {
		if c == "" {
			continue
		}
		s := score(c, text)
		if !ok || s > best || s == best && c < node {
			node, best, ok = c, s, true
		}
	}
	return node, ok
}

// FNV-1a, 64 bit (as hash/fnv.New64a), inlined so that scoring allocates
// nothing.
const (
	fnvOffset64 = 14695981039346656037
	fnvPrime64  = 1099511628211
)

// score is mix64(FNV-1a-64(node + "\x00" + ip)). The finalizer matters:
// FNV-1a's last bytes barely reach its top bits, and scores are compared
// top bits first, so without it the IPs of one /24 (which differ only at
// the end of the text) would mostly rank the nodes alike and land on the
// same node.
func score(node string, ip []byte) uint64 {
	h := uint64(fnvOffset64)
	for i := 0; i < len(node); i++ {
		h ^= uint64(node[i])
		h *= fnvPrime64
	}
	h *= fnvPrime64 // the "\x00" separator: h ^= 0 is a no-op
	for _, b := range ip {
		h ^= uint64(b)
		h *= fnvPrime64
	}
	return mix64(h)
}

// mix64 is the 64-bit finalizer of MurmurHash3 (fmix64): every input bit
// flips each output bit with probability about one half.
func mix64(k uint64) uint64 {
	k ^= k >> 33
	k *= 0xff51afd7ed558ccd
	k ^= k >> 33
	k *= 0xc4ceb9fe1a85ec53
	k ^= k >> 33
	return k
}
