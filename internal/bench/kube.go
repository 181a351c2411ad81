package bench

import (
	"context"
	"fmt"
	"maps"
	"net/netip"
	"sort"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/lblab/lblab/controller/api/v1alpha1"
	"github.com/lblab/lblab/controller/speaker"
)

const (
	benchNS    = "lblab-bench"
	benchLabel = "lblab.dev/bench"
	benchPool  = "bench"
)

// eligibleNodes are the nodes the speakers announce from: every node not
// excluded from external load balancers, with its IPv4 InternalIP.
type benchNode struct {
	name string
	ip   netip.Addr
}

func eligibleNodes(ctx context.Context, c kubernetes.Interface) ([]benchNode, error) {
	list, err := c.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("failed to list nodes: %w", err)
	}
	var out []benchNode
	for _, n := range list.Items {
		if _, ok := n.Labels[corev1.LabelNodeExcludeBalancers]; ok {
			continue
		}
		for _, a := range n.Status.Addresses {
			ip, err := netip.ParseAddr(a.Address)
			if a.Type == corev1.NodeInternalIP && err == nil && ip.Is4() {
				out = append(out, benchNode{n.Name, ip})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ip.Less(out[j].ip) })
	return out, nil
}

// service is a bench LoadBalancer Service. kube-proxy ignores it (the
// service-proxy-name label), it takes no node ports, and it has no
// selector: the bench writes its EndpointSlice, one ready endpoint per
// eligible node. It asks the controller for the bench pool; in self mode
// it carries the pool annotation lblab's controller would write.
func service(name string, t target) *corev1.Service {
	s := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: benchNS, Name: name, Annotations: map[string]string{},
			Labels: map[string]string{benchLabel: "1", "service.kubernetes.io/service-proxy-name": "lblab-bench"}},
		Spec: corev1.ServiceSpec{
			Type:                          corev1.ServiceTypeLoadBalancer,
			AllocateLoadBalancerNodePorts: ptr.To(false),
			Ports:                         []corev1.ServicePort{{Port: 80}},
		},
	}
	maps.Copy(s.Annotations, t.annotations)
	if t.self {
		s.Annotations[v1alpha1.AnnotationAllocatedFromPool] = benchPool
	}
	return s
}

func endpointSlice(svc string, nodes []benchNode) *discoveryv1.EndpointSlice {
	es := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{Namespace: benchNS, Name: svc,
			Labels: map[string]string{discoveryv1.LabelServiceName: svc, discoveryv1.LabelManagedBy: "lblab-bench", benchLabel: "1"}},
		AddressType: discoveryv1.AddressTypeIPv4,
	}
	for i, n := range nodes {
		es.Endpoints = append(es.Endpoints, discoveryv1.Endpoint{
			Addresses:  []string{"10.244." + strconv.Itoa(i) + ".10"},
			NodeName:   ptr.To(n.name),
			Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)},
		})
	}
	return es
}

// createService creates the Service's EndpointSlice, then the Service.
func createService(ctx context.Context, c kubernetes.Interface, name string, t target, nodes []benchNode) (*corev1.Service, error) {
	if err := createEndpoints(ctx, c, name, nodes, t.endpoints); err != nil {
		return nil, err
	}
	return createServiceOnly(ctx, c, name, t)
}

// createEndpoints creates the EndpointSlice a Service's pods would have:
// the speakers announce only Services with a ready endpoint. With
// endpoints, it also creates the core/v1 Endpoints object the endpoints
// controller would write (marked not to be mirrored into a second slice),
// for controllers that read those.
func createEndpoints(ctx context.Context, c kubernetes.Interface, name string, nodes []benchNode, endpoints bool) error {
	if _, err := c.DiscoveryV1().EndpointSlices(benchNS).Create(ctx, endpointSlice(name, nodes), metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("failed to create EndpointSlice %s: %w", name, err)
	}
	if !endpoints {
		return nil
	}
	ep := &corev1.Endpoints{ObjectMeta: metav1.ObjectMeta{Namespace: benchNS, Name: name,
		Labels: map[string]string{discoveryv1.LabelSkipMirror: "true", benchLabel: "1"}}}
	sub := corev1.EndpointSubset{Ports: []corev1.EndpointPort{{Port: 80}}}
	for i, n := range nodes {
		sub.Addresses = append(sub.Addresses, corev1.EndpointAddress{IP: "10.244." + strconv.Itoa(i) + ".10", NodeName: ptr.To(n.name)})
	}
	ep.Subsets = []corev1.EndpointSubset{sub}
	//nolint:staticcheck // OpenELB v0.5.0 reads core/v1 Endpoints
	if _, err := c.CoreV1().Endpoints(benchNS).Create(ctx, ep, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("failed to create Endpoints %s: %w", name, err)
	}
	return nil
}

// createServiceOnly creates the Service alone.
func createServiceOnly(ctx context.Context, c kubernetes.Interface, name string, t target) (*corev1.Service, error) {
	s, err := c.CoreV1().Services(benchNS).Create(ctx, service(name, t), metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("failed to create Service %s: %w", name, err)
	}
	return s, nil
}

// setIP writes the Service's status as the controller would.
func setIP(ctx context.Context, c kubernetes.Interface, s *corev1.Service, ip netip.Addr) error {
	s.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: ip.String()}}
	if _, err := c.CoreV1().Services(benchNS).UpdateStatus(ctx, s, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("failed to set the status of Service %s: %w", s.Name, err)
	}
	return nil
}

func deleteService(ctx context.Context, c kubernetes.Interface, name string) error {
	if err := deleteServiceOnly(ctx, c, name); err != nil {
		return err
	}
	return deleteEndpoints(ctx, c, name)
}

func deleteServiceOnly(ctx context.Context, c kubernetes.Interface, name string) error {
	if err := c.CoreV1().Services(benchNS).Delete(ctx, name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("failed to delete Service %s: %w", name, err)
	}
	return nil
}

func deleteEndpoints(ctx context.Context, c kubernetes.Interface, name string) error {
	if err := c.DiscoveryV1().EndpointSlices(benchNS).Delete(ctx, name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("failed to delete EndpointSlice %s: %w", name, err)
	}
	//nolint:staticcheck // see createEndpoints
	if err := c.CoreV1().Endpoints(benchNS).Delete(ctx, name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("failed to delete Endpoints %s: %w", name, err)
	}
	return nil
}

func createNamespace(ctx context.Context, c kubernetes.Interface, name string) error {
	_, err := c.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("failed to create namespace %s: %w", name, err)
	}
	return nil
}

// setupSelf creates the bench namespace and a BGPPeer for the TOR and a
// BGPAdvertisement when the cluster has none (a lab brought up with
// --controller none), so lblab's speakers have something to do.
func setupSelf(ctx context.Context, c kubernetes.Interface, dyn dynamic.Interface, tor netip.Addr) error {
	for _, ns := range []string{benchNS, v1alpha1.Namespace} {
		if err := createNamespace(ctx, c, ns); err != nil {
			return err
		}
	}
	peers, err := dyn.Resource(speaker.BGPPeersResource).List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("failed to list BGPPeers (are the lblab CRDs installed?): %w", err)
	}
	if len(peers.Items) == 0 {
		p := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": v1alpha1.GroupVersion.String(), "kind": "BGPPeer",
			"metadata": map[string]any{"name": "bench-tor"},
			"spec":     map[string]any{"peerAddress": tor.String(), "peerASN": int64(SelfTORASN), "myASN": int64(SelfASN)},
		}}
		if _, err := dyn.Resource(speaker.BGPPeersResource).Create(ctx, p, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("failed to create BGPPeer bench-tor: %w", err)
		}
	}
	advs, err := dyn.Resource(speaker.BGPAdvertisementsResource).List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("failed to list BGPAdvertisements: %w", err)
	}
	if len(advs.Items) == 0 {
		a := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": v1alpha1.GroupVersion.String(), "kind": "BGPAdvertisement",
			"metadata": map[string]any{"name": "bench"}, "spec": map[string]any{},
		}}
		if _, err := dyn.Resource(speaker.BGPAdvertisementsResource).Create(ctx, a, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("failed to create BGPAdvertisement bench: %w", err)
		}
	}
	return nil
}

// The ASes of the BGPPeer self mode creates when the lab has none: the
// bundled topologies' TOR and nodes.
const (
	SelfTORASN = 64496
	SelfASN    = 64500
)
