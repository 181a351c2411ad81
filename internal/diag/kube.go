package diag

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"
)

// lblabResources are the bundled controller's objects, read with the
// dynamic client (absent CRDs are skipped: another controller may run).
var lblabResources = []string{"ippools", "bgppeers", "bgpadvertisements", "speakerstatuses"}

// KubeObjects writes `kubectl get … -o yaml` equivalents: Services,
// EndpointSlices, events, Nodes, Pods, and the lblab.dev objects.
func KubeObjects(kc kubernetes.Interface, dyn dynamic.Interface) func(ctx context.Context, dir string) error {
	return func(ctx context.Context, dir string) error {
		var errs []error
		write := func(file string, list runtime.Object, gvk schema.GroupVersionKind, err error) {
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", file, err))
				return
			}
			list.GetObjectKind().SetGroupVersionKind(gvk)
			data, err := yaml.Marshal(list)
			if err == nil {
				err = os.WriteFile(filepath.Join(dir, file), data, 0o644)
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", file, err))
			}
		}
		all := metav1.ListOptions{}
		v1 := func(kind string) schema.GroupVersionKind { return schema.GroupVersionKind{Version: "v1", Kind: kind} }
		svcs, err := kc.CoreV1().Services("").List(ctx, all)
		write("services.yaml", svcs, v1("ServiceList"), err)
		eps, err := kc.DiscoveryV1().EndpointSlices("").List(ctx, all)
		write("endpointslices.yaml", eps, schema.GroupVersionKind{Group: "discovery.k8s.io", Version: "v1", Kind: "EndpointSliceList"}, err)
		evs, err := kc.CoreV1().Events("").List(ctx, all)
		write("events.yaml", evs, v1("EventList"), err)
		nodes, err := kc.CoreV1().Nodes().List(ctx, all)
		write("nodes.yaml", nodes, v1("NodeList"), err)
		pods, err := kc.CoreV1().Pods("").List(ctx, all)
		write("pods.yaml", pods, v1("PodList"), err)
		if dyn != nil {
			for _, r := range lblabResources {
				gvr := schema.GroupVersionResource{Group: "lblab.dev", Version: "v1alpha1", Resource: r}
				list, err := dyn.Resource(gvr).List(ctx, all)
				if apierrors.IsNotFound(err) {
					continue // CRD not installed (--controller none)
				}
				if err != nil {
					errs = append(errs, fmt.Errorf("lblab-%s.yaml: %w", r, err))
					continue
				}
				write("lblab-"+r+".yaml", list, list.GroupVersionKind(), nil)
			}
		}
		return errors.Join(errs...)
	}
}
