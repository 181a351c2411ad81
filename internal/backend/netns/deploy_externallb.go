package netns

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/lblab/lblab/controller/externallb"
	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/run"
	"github.com/lblab/lblab/internal/topology"
)

// externalLBWait bounds the wait for HAProxy's runtime API on the lb host.
const externalLBWait = 30 * time.Second

// deployExternalLB runs lblab's external load balancer controller on the
// lb host (like a cloud provider's load balancer, it programs the host in
// front of the nodes: the LB IPs on its eth0 and HAProxy's frontends),
// with a token of its own ServiceAccount, and waits until HAProxy answers.
func (b *backend) deployExternalLB(ctx context.Context, l *lab.Lab, p *plan, c *cluster, cs kubernetes.Interface, ca []byte) error {
	if err := externallb.Install(ctx, cs); err != nil {
		return fmt.Errorf("failed to install the external load balancer's RBAC: %w", err)
	}
	self, err := selfBinary()
	if err != nil {
		return err
	}
	d := externalLBDaemon(l.Name, self, c.y, p, l.Topology.ExternalLB)
	if err := c.ensureWithToken(ctx, cs, d, ca); err != nil {
		return err
	}
	return c.procs.waitUntil(ctx, "waiting for HAProxy on the lb host", externalLBWait, []daemon{d.daemon}, func(ctx context.Context) error {
		r := nsRunner{ns: p.lb.ns, inner: b.runner}
		_, err := r.Run(ctx, run.Cmd{Name: self, Args: []string{"probe", "haproxy", "--socket", lab.ExternalLBStatsSocket(l.Name)}})
		return err
	})
}

// externalLBDaemon is the controller process on the lb host.
func externalLBDaemon(labName, self string, y k8sLayout, p *plan, x *topology.ExternalLB) lbDaemon {
	kc := filepath.Join(y.kubeconfigDir(), "lblab-external-lb.conf")
	h := x.HealthCheck
	argv := []string{self, "lb-controller", "--kubeconfig=" + kc, "--class=" + x.LoadBalancerClass,
		"--device=eth0", "--dir=" + lab.ExternalLBDir(labName),
		"--check-interval=" + strconv.Itoa(h.IntervalMS) + "ms",
		"--check-fall=" + strconv.Itoa(h.Fall), "--check-rise=" + strconv.Itoa(h.Rise)}
	for _, pl := range x.Pools {
		for _, a := range pl.Addresses {
			argv = append(argv, "--pool="+a)
		}
	}
	return lbDaemon{
		daemon:      daemon{name: "lblab lb-controller on lb", file: "lb-controller", ns: p.lb.ns, argv: argv},
		sa:          externallb.ServiceAccountName,
		saNamespace: externallb.Namespace,
		kubeconfig:  kc,
	}
}
