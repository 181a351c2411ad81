// Package v1alpha1 holds the lblab.dev/v1alpha1 API of the bundled
// LoadBalancer controller: IPPool, BGPPeer, BGPAdvertisement and the
// per-node SpeakerStatus. The CRDs in fixtures/ are generated from these
// types by controller-gen, with OpenAPI and CEL validation, so bad objects
// are rejected at apply time without an admission webhook.
//
// +kubebuilder:object:generate=true
// +groupName=lblab.dev
package v1alpha1
