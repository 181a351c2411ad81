package netns

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/lblab/lblab/controller/api/v1alpha1"
	"github.com/lblab/lblab/controller/install"
	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/topology"
)

// Ports and lifetimes of the netns lab's controller and speakers.
const (
	controllerMetricsAddr = ":7472"
	speakerMetricsAddr    = ":7473"
	speakerGoBGPAPI       = "127.0.0.1:50051"
	// A class controller's ports, beside a default controller that
	// takes the two above.
	classControllerMetricsAddr = ":7482"
	classSpeakerMetricsAddr    = ":7483"
	// tokenTTL is how long a minted ServiceAccount token lives; a
	// converging `up` mints a new one whenever it (re)starts a process.
	tokenTTL         = 365 * 24 * time.Hour
	controllerWait   = 30 * time.Second
	controllerLease  = "--lease-duration=6s"
	controllerRenew  = "--renew-deadline=4s"
	controllerRetry  = "--retry-period=1s"
	controllerIDFlag = "--identity="
)

// Deploy runs the bundled controller in the control-plane namespace and a
// speaker in every node namespace, as processes of the lblab binary (or
// another controller's: deployOther). Each authenticates with a token minted for
// its ServiceAccount, so a missing RBAC rule fails here as it would in a
// cluster. The CRDs, RBAC and
// configuration must be installed first (controller/install). Running
// processes are kept; dead ones are restarted.
func (b *backend) Deploy(ctx context.Context, l *lab.Lab) error {
	p, err := newPlan(l.Topology)
	if err != nil {
		return err
	}
	c, err := newCluster(l, p)
	if err != nil {
		return err
	}
	self, err := selfBinary()
	if err != nil {
		return err
	}
	cs, err := clientset(l.Kubeconfig())
	if err != nil {
		return err
	}
	ca, err := os.ReadFile(filepath.Join(c.y.pkiDir(), "ca.crt"))
	if err != nil {
		return fmt.Errorf("failed to read the lab CA (is Kubernetes up?): %w", err)
	}
	if x := l.Topology.ExternalLB; x != nil && l.Topology.Controller.Type == topology.ControllerNone {
		return b.deployExternalLB(ctx, l, p, c, cs, ca) // validated: the lab's only controller
	}
	if l.Topology.Controller.Type != topology.ControllerLBLab {
		if err := b.deployOther(ctx, l, p, c, cs, ca); err != nil || len(l.Topology.Controller.Classes) == 0 {
			return err
		}
		// The class controller (lblab, validated) beside the default one.
		return c.deployLBLab(ctx, cs, ca, lbDaemons(l.Name, self, c.y, c.cps, p.nodes, l.Topology.Controller.Classes[0].LoadBalancerClass))
	}
	return c.deployLBLab(ctx, cs, ca, lbDaemons(l.Name, self, c.y, c.cps, p.nodes, ""))
}

// deployLBLab runs lblab's controllers and speakers with their tokens and
// waits until a controller leads.
func (c *cluster) deployLBLab(ctx context.Context, cs kubernetes.Interface, ca []byte, ds []lbDaemon) error {
	var ids []string
	for _, d := range ds {
		if err := c.ensureWithToken(ctx, cs, d, ca); err != nil {
			return err
		}
		if d.identity != "" {
			ids = append(ids, d.identity)
		}
	}
	watch := make([]daemon, len(ds))
	for i, d := range ds {
		watch[i] = d.daemon
	}
	return c.procs.waitUntil(ctx, "waiting for the controller to lead", controllerWait, watch, func(ctx context.Context) error {
		lease, err := cs.CoordinationV1().Leases(v1alpha1.Namespace).Get(ctx, "lblab-controller", metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return fmt.Errorf("no Lease %s/lblab-controller yet", v1alpha1.Namespace)
		}
		if err != nil {
			return err
		}
		if h := lease.Spec.HolderIdentity; h == nil || !slices.Contains(ids, *h) {
			return fmt.Errorf("the Lease is held by %v, not by one of %v", h, ids)
		}
		return nil
	})
}

// lbDaemon is a controller or speaker process and the ServiceAccount
// whose token it uses.
type lbDaemon struct {
	daemon
	sa, kubeconfig string
	saNamespace    string // "" = lblab-system
	// identity is a controller's in the leader election; "" for a speaker.
	identity string
}

func controllerIdentity(labName string) string { return "netns/" + labName }

// lbDaemons returns a controller in each control-plane node's namespace,
// which elect one leader among them (one controller, named as before, in a
// lab with one control-plane node), and one speaker per Kubernetes node.
// With a class (lblab as the class controller beside another one), the
// controllers leave class-less Services to the other, their ports move off
// the other's (MetalLB takes 7472 and 7473 too), and each speaker peers
// from the node's address for the class.
func lbDaemons(labName, self string, y k8sLayout, cps []host, nodes []host, class string) []lbDaemon {
	cm, sm := controllerMetricsAddr, speakerMetricsAddr
	if class != "" {
		cm, sm = classControllerMetricsAddr, classSpeakerMetricsAddr
	}
	kc := filepath.Join(y.kubeconfigDir(), "lblab-controller.conf")
	var out []lbDaemon
	for _, cp := range cps {
		id, name, file := controllerIdentity(labName), "lblab controller", "lblab-controller"
		if len(cps) > 1 {
			id, name, file = id+"/"+cp.name, name+" on "+cp.name, cp.name+"-"+file
		}
		argv := []string{self, "controller", "--kubeconfig=" + kc, "--metrics-addr=" + cm,
			controllerIDFlag + id, controllerLease, controllerRenew, controllerRetry}
		if class != "" {
			argv = append(argv, "--handle-classless=false")
		}
		out = append(out, lbDaemon{
			daemon: daemon{name: name, file: file, ns: cp.ns, argv: argv},
			sa:     install.ControllerServiceAccount, kubeconfig: kc, identity: id,
		})
	}
	for _, n := range nodes {
		kc := filepath.Join(y.kubeconfigDir(), "lblab-speaker-"+n.name+".conf")
		argv := []string{self, "speaker", "--node=" + n.name, "--kubeconfig=" + kc,
			"--metrics-addr=" + sm, "--gobgp-api=" + speakerGoBGPAPI}
		for _, a := range n.classAddrs[class] {
			argv = append(argv, "--bgp-source-address="+a.Addr().String())
		}
		out = append(out, lbDaemon{
			daemon: daemon{name: "lblab speaker on " + n.name, file: n.name + "-lblab-speaker", ns: n.ns, guest: guestOf(n), argv: argv},
			sa:     install.SpeakerServiceAccount, kubeconfig: kc,
		})
	}
	return out
}

// ensureWithToken runs d with a kubeconfig holding a token minted for its
// ServiceAccount. A kubeconfig already written is kept (its token lives a
// year); a missing one is minted, and a running d restarted to read it.
func (c *cluster) ensureWithToken(ctx context.Context, cs kubernetes.Interface, d lbDaemon, ca []byte) error {
	if _, err := os.Stat(d.kubeconfig); err != nil {
		ns := d.saNamespace
		if ns == "" {
			ns = v1alpha1.Namespace
		}
		data, err := install.TokenKubeconfigIn(ctx, cs, ns, d.sa, c.cfg.Server(), ca, tokenTTL)
		if err != nil {
			return err
		}
		if err := lab.WriteFileAtomic(d.kubeconfig, data, 0o600); err != nil {
			return fmt.Errorf("failed to write %s: %w", d.kubeconfig, err)
		}
		d.stale = "its token changed"
	}
	return c.ensureDaemon(ctx, d.daemon)
}
