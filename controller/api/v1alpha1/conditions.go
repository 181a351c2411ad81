package v1alpha1

// ConditionValid is the condition the controller sets on IPPools, BGPPeers
// and BGPAdvertisements after checking them against each other (what CEL
// cannot see). While it is False, the controller keeps using the object's
// last valid spec (none for an object that was never valid); speakers
// should do the same: skip an object whose Valid condition is False with
// observedGeneration equal to its generation.
const ConditionValid = "Valid"

// Reasons of the Valid condition.
const (
	ReasonValid          = "Valid"
	ReasonOverlap        = "Overlap"        // IPPool: its addresses overlap another pool's, or each other
	ReasonAddressesInUse = "AddressesInUse" // IPPool: the new spec drops addresses Services hold
	ReasonPeerConflict   = "PeerConflict"   // BGPPeer: same address as another, different ASNs
	ReasonUnknownPool    = "UnknownPool"    // BGPAdvertisement: names an IPPool that does not exist
	ReasonUnknownPeer    = "UnknownPeer"    // BGPAdvertisement: names a BGPPeer that does not exist
	ReasonInvalidSpec    = "InvalidSpec"    // any: a value CEL let through that the controller cannot use (e.g. a bad selector)
)
