package kind

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"
)

// kubeClient is what the backend asks of the lab's API server.
type kubeClient interface {
	Nodes(ctx context.Context) ([]corev1.Node, error)
	DaemonSets(ctx context.Context, namespace string) ([]appsv1.DaemonSet, error)
	Deployment(ctx context.Context, namespace, name string) (*appsv1.Deployment, error)
	// Job returns a Job, for the rollout waits of controllers whose
	// manifests run one (OpenELB's certificate Jobs).
	Job(ctx context.Context, namespace, name string) (*batchv1.Job, error)
	// Pods lists the Pods of a namespace that match a label selector.
	Pods(ctx context.Context, namespace, selector string) ([]corev1.Pod, error)
	// DeletePod deletes a Pod at once (grace period 0); an absent one is
	// not an error.
	DeletePod(ctx context.Context, namespace, name string) error
	// Apply server-side applies objects in order, as field manager "lblab".
	Apply(ctx context.Context, objs []*unstructured.Unstructured) error
	// ServerVersion is the API server's gitVersion, e.g. v1.37.0.
	ServerVersion() (string, error)
}

type kube struct {
	cs     kubernetes.Interface
	dyn    dynamic.Interface
	mapper *restmapper.DeferredDiscoveryRESTMapper
}

func newKubeClient(kubeconfig string) (kubeClient, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("failed to read kubeconfig %s: %w", kubeconfig, err)
	}
	cfg.QPS, cfg.Burst = 50, 100
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(cs.Discovery()))
	return &kube{cs: cs, dyn: dyn, mapper: mapper}, nil
}

func (k *kube) Nodes(ctx context.Context) ([]corev1.Node, error) {
	l, err := k.cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	return l.Items, nil
}

func (k *kube) DaemonSets(ctx context.Context, ns string) ([]appsv1.DaemonSet, error) {
	l, err := k.cs.AppsV1().DaemonSets(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	return l.Items, nil
}

func (k *kube) Deployment(ctx context.Context, ns, name string) (*appsv1.Deployment, error) {
	return k.cs.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
}

func (k *kube) Job(ctx context.Context, ns, name string) (*batchv1.Job, error) {
	return k.cs.BatchV1().Jobs(ns).Get(ctx, name, metav1.GetOptions{})
}

func (k *kube) Pods(ctx context.Context, ns, selector string) ([]corev1.Pod, error) {
	l, err := k.cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return nil, err
	}
	return l.Items, nil
}

func (k *kube) DeletePod(ctx context.Context, ns, name string) error {
	var zero int64
	err := k.cs.CoreV1().Pods(ns).Delete(ctx, name, metav1.DeleteOptions{GracePeriodSeconds: &zero})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

func (k *kube) ServerVersion() (string, error) {
	v, err := k.cs.Discovery().ServerVersion()
	if err != nil {
		return "", err
	}
	return v.GitVersion, nil
}

func (k *kube) Apply(ctx context.Context, objs []*unstructured.Unstructured) error {
	for _, o := range objs {
		if err := k.apply(ctx, o); err != nil {
			return err
		}
	}
	return nil
}

func (k *kube) apply(ctx context.Context, o *unstructured.Unstructured) error {
	gvk := o.GroupVersionKind()
	m, err := k.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if meta.IsNoMatchError(err) {
		k.mapper.Reset() // a CRD applied earlier in the batch
		m, err = k.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	}
	if err != nil {
		return fmt.Errorf("failed to apply %s %s: %w", gvk.Kind, o.GetName(), err)
	}
	if m.Scope.Name() != meta.RESTScopeNameNamespace {
		o.SetNamespace("") // a chart may set one on a cluster-scoped kind
	}
	data, err := o.MarshalJSON()
	if err != nil {
		return err
	}
	var ri dynamic.ResourceInterface = k.dyn.Resource(m.Resource)
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		ns := o.GetNamespace()
		if ns == "" {
			ns = "default"
		}
		ri = k.dyn.Resource(m.Resource).Namespace(ns)
	}
	force := true
	_, err = ri.Patch(ctx, o.GetName(), types.ApplyPatchType, data, metav1.PatchOptions{FieldManager: "lblab", Force: &force})
	if err != nil {
		return fmt.Errorf("failed to apply %s %s/%s: %w", gvk.Kind, o.GetNamespace(), o.GetName(), err)
	}
	return nil
}

// decodeManifests splits multi-document YAML into objects, skipping empty
// documents.
func decodeManifests(data []byte) ([]*unstructured.Unstructured, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var out []*unstructured.Unstructured
	for {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return nil, fmt.Errorf("failed to decode manifests: %w", err)
		}
		if len(m) == 0 {
			continue
		}
		out = append(out, &unstructured.Unstructured{Object: m})
	}
}
