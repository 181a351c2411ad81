package main

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
)

// MetalLB's names (v0.15): the Service annotation that picks a pool, its
// namespace, and its IPAddressPool resource.
const (
	metallbPoolAnnotation = "metallb.io/address-pool"
	metallbNamespace      = "metallb-system"
)

var metallbPools = schema.GroupVersionResource{Group: "metallb.io", Version: "v1beta1", Resource: "ipaddresspools"}

// setupMetalLB creates the bench namespace and the MetalLB equivalent of
// the lblab IPPool the bench uses in controller mode: the same addresses,
// not auto-assigned. MetalLB's peers and advertisement (every pool) come
// from `lblab up --controller metallb`.
func setupMetalLB(ctx context.Context, c kubernetes.Interface, dyn dynamic.Interface) error {
	_, err := c.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: benchNS}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("failed to create namespace %s: %w", benchNS, err)
	}
	pool := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": metallbPools.GroupVersion().String(), "kind": "IPAddressPool",
		"metadata": map[string]any{"name": benchPool, "namespace": metallbNamespace},
		"spec":     map[string]any{"addresses": []any{"100.64.0.0/16"}, "autoAssign": false},
	}}
	_, err = dyn.Resource(metallbPools).Namespace(metallbNamespace).Create(ctx, pool, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("failed to create IPAddressPool %s/%s (is MetalLB installed? lblab up --controller metallb): %w", metallbNamespace, benchPool, err)
	}
	return nil
}
