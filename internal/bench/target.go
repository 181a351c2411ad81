package bench

import (
	"context"
	"fmt"
	"net/netip"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/lblab/lblab/controller/api/v1alpha1"
	"github.com/lblab/lblab/internal/controllers/kubevip"
	"github.com/lblab/lblab/internal/controllers/openelb"
)

// benchRange is where every controller allocates the bench's Services
// from: a pool of its own, not auto-assigned where the controller can ask
// for a pool by name, so the lab's own pools stay as they are.
var benchRange = netip.MustParsePrefix("100.64.0.0/16")

// target is what the bench needs to know of a controller: how to give it
// the bench pool, how a Service asks for it, and its processes' names.
type target struct {
	// setup creates the bench namespace and pool.
	setup func(ctx context.Context, c kubernetes.Interface, dyn dynamic.Interface, tor netip.Addr) error
	// annotations ask for the bench pool.
	annotations map[string]string
	// self: the bench writes each Service's status itself.
	self bool
	// endpoints: the controller reads core/v1 Endpoints, not only
	// EndpointSlices, so the bench writes those too.
	endpoints bool
	// processes are the binaries (lblab: `lblab <role>`) whose memory the
	// churns report: the allocator first ("" when the speakers allocate),
	// then the speakers.
	processes []string
}

func targetFor(controller string) (target, error) {
	switch controller {
	case Self:
		return target{setup: setupSelf, self: true, processes: []string{"speaker"}}, nil
	case "lblab":
		return target{setup: setupLBLab, annotations: map[string]string{v1alpha1.AnnotationIPPool: benchPool},
			processes: []string{"controller", "speaker"}}, nil
	case "metallb":
		return target{setup: setupMetalLB, annotations: map[string]string{metallbPoolAnnotation: benchPool},
			processes: []string{"metallb-controller", "metallb-speaker"}}, nil
	case "kube-vip":
		return target{setup: setupKubeVIP, processes: []string{"kube-vip-cloud-provider", "kube-vip"}}, nil
	case "openelb":
		// One manager per node allocates and announces: its memory is
		// in the speaker rows.
		return target{setup: setupOpenELB, annotations: openelb.Annotations(benchPool), endpoints: true,
			processes: []string{"", "openelb-manager"}}, nil
	}
	return target{}, fmt.Errorf("the bench does not know controller %q: lblab, metallb, kube-vip and openelb", controller)
}

// setupLBLab gives lblab's controller an IPPool of the bench range.
func setupLBLab(ctx context.Context, c kubernetes.Interface, dyn dynamic.Interface, _ netip.Addr) error {
	if err := createNamespace(ctx, c, benchNS); err != nil {
		return err
	}
	pool := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": v1alpha1.GroupVersion.String(), "kind": "IPPool",
		"metadata": map[string]any{"name": benchPool},
		"spec":     map[string]any{"addresses": []any{benchRange.String()}, "autoAssign": false},
	}}
	_, err := dyn.Resource(v1alpha1.GroupVersion.WithResource("ippools")).Create(ctx, pool, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("failed to create IPPool %s: %w", benchPool, err)
	}
	return nil
}

// setupKubeVIP gives the bench namespace its own range in
// kube-vip-cloud-provider's ConfigMap (cidr-<namespace>), which it
// prefers to range-global for Services of that namespace.
func setupKubeVIP(ctx context.Context, c kubernetes.Interface, _ dynamic.Interface, _ netip.Addr) error {
	if err := createNamespace(ctx, c, benchNS); err != nil {
		return err
	}
	patch := fmt.Sprintf(`{"data":{"cidr-%s":%q}}`, benchNS, benchRange.String())
	_, err := c.CoreV1().ConfigMaps(kubevip.Namespace).Patch(ctx, kubevip.ConfigMap, types.MergePatchType, []byte(patch), metav1.PatchOptions{})
	if err != nil {
		return fmt.Errorf("failed to add the bench range to ConfigMap %s/%s (is kube-vip installed? lblab up --controller kube-vip): %w",
			kubevip.Namespace, kubevip.ConfigMap, err)
	}
	return nil
}

var openelbEips = schema.GroupVersionResource{Group: "network.kubesphere.io", Version: "v1alpha2", Resource: "eips"}

// setupOpenELB gives OpenELB an Eip of the bench range, which the bench's
// Services name.
func setupOpenELB(ctx context.Context, c kubernetes.Interface, dyn dynamic.Interface, _ netip.Addr) error {
	if err := createNamespace(ctx, c, benchNS); err != nil {
		return err
	}
	eip := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": openelbEips.GroupVersion().String(), "kind": "Eip",
		"metadata": map[string]any{"name": benchPool},
		"spec":     map[string]any{"address": benchRange.String(), "protocol": "bgp"},
	}}
	_, err := dyn.Resource(openelbEips).Create(ctx, eip, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("failed to create Eip %s (is OpenELB installed? lblab up --controller openelb): %w", benchPool, err)
	}
	return nil
}

var metallbPools = schema.GroupVersionResource{Group: "metallb.io", Version: "v1beta1", Resource: "ipaddresspools"}

// MetalLB's names (v0.15): the Service annotation that picks a pool and
// its namespace.
const (
	metallbPoolAnnotation = "metallb.io/address-pool"
	metallbNamespace      = "metallb-system"
)

// setupMetalLB gives MetalLB an IPAddressPool of the bench range. Its
// peers and advertisement (every pool) come from `lblab up --controller
// metallb`.
func setupMetalLB(ctx context.Context, c kubernetes.Interface, dyn dynamic.Interface, _ netip.Addr) error {
	if err := createNamespace(ctx, c, benchNS); err != nil {
		return err
	}
	pool := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": metallbPools.GroupVersion().String(), "kind": "IPAddressPool",
		"metadata": map[string]any{"name": benchPool, "namespace": metallbNamespace},
		"spec":     map[string]any{"addresses": []any{benchRange.String()}, "autoAssign": false},
	}}
	_, err := dyn.Resource(metallbPools).Namespace(metallbNamespace).Create(ctx, pool, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("failed to create IPAddressPool %s/%s (is MetalLB installed? lblab up --controller metallb): %w", metallbNamespace, benchPool, err)
	}
	return nil
}
