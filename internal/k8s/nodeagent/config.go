package nodeagent

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/lblab/lblab/internal/k8s/components"
)

// KubernetesVersion is the Kubernetes version lblab pins; the agent reports
// it as the Node's kubeletVersion, since it stands in for that kubelet.
const KubernetesVersion = components.KubernetesVersion

// Roles a node can have.
const (
	RoleControlPlane = "control-plane"
	RoleWorker       = "worker"
)

// LabelRole is the label that records the node's lblab role. The usual
// node-role.kubernetes.io/<role> label cannot be set by a node's own
// identity (NodeRestriction), so it is set by whoever holds admin
// credentials, if at all.
const LabelRole = "lblab.dev/role"

// Config is what `lblab node-agent` is started with.
type Config struct {
	Kubeconfig string
	Node       string
	Lab        string
	Role       string
	NodeIPs    []netip.Addr // InternalIPs, at most one per family, primary first
	Labels     map[string]string
	Taints     []corev1.Taint
	RunDir     string
	// CNI, when enabled, has CNI plugins make the pod networks
	// (NewCNINetwork): the agent then runs no IPAM, routes or masquerading.
	CNI CNIOptions
	// PodCgroup is the cgroup v2 directory every pod process starts in
	// (RuntimeOptions.PodCgroup); "" leaves them in the agent's.
	PodCgroup string

	// Tunables with defaults (zero means the default); tests shorten them.
	LeaseDuration     time.Duration // 40s, renewed every quarter of it
	StatusReport      time.Duration // node status is patched when it changes or this old: 5m
	Resync            time.Duration // every pod is re-checked this often: 2s
	BackoffBase       time.Duration // first crash-loop back-off: 10s, doubling
	BackoffMax        time.Duration // 5m
	MaxPods           int           // 110
	ProbeFastInterval time.Duration // readiness polling until first success: 25ms
	NodeListRetry     time.Duration // may this node list Nodes yet? asked again after: 5s
}

func (c *Config) setDefaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&c.LeaseDuration, 40*time.Second)
	def(&c.StatusReport, 5*time.Minute)
	def(&c.Resync, 2*time.Second)
	def(&c.BackoffBase, 10*time.Second)
	def(&c.BackoffMax, 5*time.Minute)
	def(&c.ProbeFastInterval, 25*time.Millisecond)
	def(&c.NodeListRetry, 5*time.Second)
	if c.MaxPods == 0 {
		c.MaxPods = 110
	}
}

// Validate checks the configuration, naming the flag at fault.
func (c *Config) Validate() error {
	if errs := validation.IsDNS1123Subdomain(c.Node); c.Node == "" || len(errs) > 0 {
		return fmt.Errorf("--node %q is not a valid node name: %s", c.Node, strings.Join(errs, "; "))
	}
	if errs := validation.IsDNS1123Label(c.Lab); c.Lab == "" || len(errs) > 0 {
		return fmt.Errorf("--lab %q is not a valid lab name: %s", c.Lab, strings.Join(errs, "; "))
	}
	if c.Role != RoleControlPlane && c.Role != RoleWorker {
		return fmt.Errorf("--role %q: want %s or %s", c.Role, RoleControlPlane, RoleWorker)
	}
	if len(c.NodeIPs) == 0 || len(c.NodeIPs) > 2 {
		return fmt.Errorf("--node-ip: want one address, or two of different families; got %d", len(c.NodeIPs))
	}
	if len(c.NodeIPs) == 2 && c.NodeIPs[0].Is4() == c.NodeIPs[1].Is4() {
		return fmt.Errorf("--node-ip %s and %s are of the same family; give at most one per family", c.NodeIPs[0], c.NodeIPs[1])
	}
	if c.Kubeconfig == "" {
		return fmt.Errorf("--kubeconfig is required")
	}
	if c.RunDir == "" || !filepath.IsAbs(c.RunDir) {
		return fmt.Errorf("--run-dir %q: want an absolute directory", c.RunDir)
	}
	if _, err := c.CNI.load(); err != nil {
		return err
	}
	if c.PodCgroup != "" {
		if err := checkPodCgroup(c.PodCgroup); err != nil {
			return err
		}
	}
	for k := range c.Labels {
		if forbiddenLabel(k) {
			return fmt.Errorf("--label %s: a node may not set this label on itself (the NodeRestriction admission plugin forbids kubernetes.io and k8s.io labels other than the kubelet's); apply it with admin credentials instead", k)
		}
	}
	return nil
}

// nodeLabels are the labels the Node registers with.
func (c *Config) nodeLabels(arch string) map[string]string {
	l := map[string]string{
		corev1.LabelHostname:   c.Node,
		corev1.LabelOSStable:   "linux",
		corev1.LabelArchStable: arch,
		LabelRole:              c.Role,
	}
	for k, v := range c.Labels {
		l[k] = v
	}
	return l
}
