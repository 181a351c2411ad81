package scenarios

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/httpstream"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/tools/remotecommand"

	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/topology"
)

// LiveEnv is a running lab.
type LiveEnv struct {
	LabName    string
	Topo       *topology.Topology
	HostList   []lab.Node
	Kubeconfig string
	SpeakerCtl lab.SpeakerControl
	ProbePath  string

	once   sync.Once
	config *rest.Config
	client kubernetes.Interface
	err    error
}

// Name implements Env.
func (e *LiveEnv) Name() string { return e.LabName }

// Topology implements Env.
func (e *LiveEnv) Topology() *topology.Topology { return e.Topo }

// Hosts implements Env.
func (e *LiveEnv) Hosts() []lab.Node { return e.HostList }

// Speakers implements Env.
func (e *LiveEnv) Speakers() lab.SpeakerControl { return e.SpeakerCtl }

// Probe implements Env.
func (e *LiveEnv) Probe() string { return e.ProbePath }

// Kube implements Env.
func (e *LiveEnv) Kube() (kubernetes.Interface, error) {
	e.once.Do(func() {
		if e.Kubeconfig == "" {
			e.err = fmt.Errorf("lab %q has no Kubernetes cluster (was it brought up with --fabric-only?)", e.LabName)
			return
		}
		cfg, err := clientcmd.BuildConfigFromFlags("", e.Kubeconfig)
		if err != nil {
			e.err = fmt.Errorf("failed to load kubeconfig %s: %w", e.Kubeconfig, err)
			return
		}
		cfg.QPS, cfg.Burst = 100, 200
		cfg.UserAgent = "lblab-verify"
		e.config = cfg
		e.client, e.err = kubernetes.NewForConfig(cfg)
	})
	return e.client, e.err
}

// PodExec implements Env with the exec subresource (WebSocket, then SPDY).
func (e *LiveEnv) PodExec(ctx context.Context, namespace, pod, container string, argv ...string) ([]byte, error) {
	kc, err := e.Kube()
	if err != nil {
		return nil, err
	}
	req := kc.CoreV1().RESTClient().Post().Resource("pods").Namespace(namespace).Name(pod).SubResource("exec").
		VersionedParams(&corev1.PodExecOptions{Container: container, Command: argv, Stdout: true, Stderr: true}, scheme.ParameterCodec)
	ws, err := remotecommand.NewWebSocketExecutor(e.config, "GET", req.URL().String())
	if err != nil {
		return nil, err
	}
	spdy, err := remotecommand.NewSPDYExecutor(e.config, "POST", req.URL())
	if err != nil {
		return nil, err
	}
	exec, err := remotecommand.NewFallbackExecutor(ws, spdy, httpstream.IsUpgradeFailure)
	if err != nil {
		return nil, err
	}
	var stdout, stderr bytes.Buffer
	if err := exec.StreamWithContext(ctx, remotecommand.StreamOptions{Stdout: &stdout, Stderr: &stderr}); err != nil {
		return nil, fmt.Errorf("failed to exec %s in %s/%s: %w: %s", strings.Join(argv, " "), namespace, pod, err, strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes(), nil
}

// Cluster implements Env.
func (e *LiveEnv) Cluster(ctx context.Context) (*Cluster, error) {
	kc, err := e.Kube()
	if err != nil {
		return nil, err
	}
	nodes, err := kc.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("failed to list nodes: %w", err)
	}
	c := &Cluster{Unserved: unservedFamilies(e.Topology())}
	for i := range nodes.Items {
		var h lab.Node
		for _, hh := range e.HostList {
			if hh.Name == nodes.Items[i].Name {
				h = hh
			}
		}
		ni := NodeInfoFrom(&nodes.Items[i], h.Addrs)
		ni.ClassAddrs = h.ClassAddrs
		c.Nodes = append(c.Nodes, ni)
	}
	all, err := kc.CoreV1().Services("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("failed to list Services: %w", err)
	}
	for _, s := range all.Items {
		for _, ing := range s.Status.LoadBalancer.Ingress {
			if a, err := netip.ParseAddr(ing.IP); err == nil {
				c.Held = append(c.Held, a)
			}
		}
	}
	for _, w := range e.Topo.Workloads {
		if w.Service == nil || w.Service.Type != "LoadBalancer" {
			continue
		}
		i := slices.IndexFunc(all.Items, func(s corev1.Service) bool { return s.Namespace == w.Namespace && s.Name == w.Name })
		if i < 0 {
			return nil, errNoService(w.Namespace, w.Name)
		}
		si, err := withEndpoints(ctx, kc, &all.Items[i])
		if err != nil {
			return nil, err
		}
		c.Services = append(c.Services, si)
	}
	return c, nil
}

func errNoService(namespace, name string) error {
	return fmt.Errorf("Service %s/%s does not exist (the topology's workloads define it; run `lblab up` again to create it)", namespace, name)
}

// ReadService reads one Service and its EndpointSlices.
func ReadService(ctx context.Context, kc kubernetes.Interface, namespace, name string) (ServiceInfo, error) {
	svc, err := kc.CoreV1().Services(namespace).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return ServiceInfo{}, errNoService(namespace, name)
	}
	if err != nil {
		return ServiceInfo{}, fmt.Errorf("failed to get Service %s/%s: %w", namespace, name, err)
	}
	return withEndpoints(ctx, kc, svc)
}

// withEndpoints reads the Service's EndpointSlices and reduces both.
func withEndpoints(ctx context.Context, kc kubernetes.Interface, svc *corev1.Service) (ServiceInfo, error) {
	eps, err := kc.DiscoveryV1().EndpointSlices(svc.Namespace).List(ctx, metav1.ListOptions{
		LabelSelector: discoveryv1.LabelServiceName + "=" + svc.Name})
	if err != nil {
		return ServiceInfo{}, fmt.Errorf("failed to list EndpointSlices of %s/%s: %w", svc.Namespace, svc.Name, err)
	}
	return ServiceInfoFrom(svc, eps.Items), nil
}

// RESTConfig returns the client configuration for the lab's cluster.
func (e *LiveEnv) RESTConfig() (*rest.Config, error) {
	if _, err := e.Kube(); err != nil {
		return nil, err
	}
	return e.config, nil
}
