package netns

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/lblab/lblab/internal/k8s/components"
	"github.com/lblab/lblab/internal/k8s/controlplane"
	"github.com/lblab/lblab/internal/k8s/nodeagent"
	"github.com/lblab/lblab/internal/k8s/pki"
)

// Timeouts of the control plane's health waits; generous for a busy
// 2-core machine, and never reached when a component dies (that fails at
// once).
const (
	apiServerTimeout  = 90 * time.Second
	controllerTimeout = 60 * time.Second
)

// controlPlaneDaemon is a component on control-plane node m. A lab's only
// control-plane node names its units after the component
// ("kube-apiserver"); with several, each is prefixed by its node
// ("control-plane2-kube-apiserver").
func (c *cluster) controlPlaneDaemon(m host, name string, argv []string, stale string) daemon {
	d := daemon{name: name, file: name, ns: m.ns, argv: argv, env: controlplane.Env(name), stale: stale}
	if len(c.cps) > 1 {
		d.name, d.file = name+" on "+m.name, m.name+"-"+name
	}
	return d
}

func (c *cluster) etcd(m host) daemon {
	return c.controlPlaneDaemon(m, components.Etcd, c.memberConfig(m).Etcd(), "")
}

func (c *cluster) apiServer(m host) daemon {
	f := c.files
	return c.controlPlaneDaemon(m, components.APIServer, c.memberConfig(m).APIServer(), c.stale(f.APIServerCert, f.KubeletClientCert,
		f.FrontProxyClientCert, f.SAKey))
}

func (c *cluster) controllerManager(m host) daemon {
	return c.controlPlaneDaemon(m, components.ControllerManager, c.memberConfig(m).ControllerManager(),
		c.staleController(c.files.ControllerManager, c.files.SAKey))
}

func (c *cluster) scheduler(m host) daemon {
	return c.controlPlaneDaemon(m, components.Scheduler, c.memberConfig(m).Scheduler(), c.staleController(c.files.Scheduler))
}

func (c *cluster) staleController(paths ...string) string {
	if c.apiRestarted {
		return "kube-apiserver restarted, which costs it its leader lease"
	}
	return c.stale(paths...)
}

// startAPIServer starts etcd and kube-apiserver on every control-plane
// node (each apiserver retries its etcd, and etcd members wait for a
// quorum of their peers), waits for each one's /readyz, then for the VIP
// when the lab has one, and binds the admin group to cluster-admin as
// kubeadm does.
func (c *cluster) startAPIServer(ctx context.Context) (err error) {
	step := c.l.Log.Start("Starting etcd and kube-apiserver" + c.onControlPlanes())
	defer func() { step.End(err == nil) }()
	for _, m := range c.cps {
		if err := os.MkdirAll(c.etcdDir(m), 0o700); err != nil {
			return err
		}
		if err := c.ensureDaemon(ctx, c.etcd(m)); err != nil {
			return err
		}
	}
	for _, m := range c.cps {
		started, err := c.procs.ensure(ctx, c.l, c.apiServer(m))
		if err != nil {
			return err
		}
		// The controllers lose their leader leases while the apiserver is
		// away and exit a few seconds later: restart them now instead.
		if started && !c.apiRestarted {
			_, c.apiRestarted, err = c.procs.status(ctx, c.controllerManager(m))
			if err != nil {
				return err
			}
		}
	}
	hc, err := c.apiHTTPClient()
	if err != nil {
		return err
	}
	defer hc.CloseIdleConnections()
	for _, m := range c.cps {
		url := c.memberConfig(m).NodeServer() + "/readyz"
		err = c.procs.waitUntil(ctx, "waiting for kube-apiserver "+url, apiServerTimeout, c.apiServers(),
			func(ctx context.Context) error { return httpOK(ctx, hc, url) })
		if err != nil {
			return err
		}
	}
	if err := c.startVIP(ctx, hc); err != nil {
		return err
	}
	return c.bindAdmins(ctx)
}

// onControlPlanes says where, for progress lines of a lab with several
// control-plane nodes.
func (c *cluster) onControlPlanes() string {
	if len(c.cps) < 2 {
		return ""
	}
	return fmt.Sprintf(" on %d control-plane nodes", len(c.cps))
}

// startControllers starts kube-controller-manager and kube-scheduler on
// every control-plane node; they elect their leaders.
func (c *cluster) startControllers(ctx context.Context) error {
	for _, m := range c.cps {
		for _, d := range []daemon{c.controllerManager(m), c.scheduler(m)} {
			if err := c.ensureDaemon(ctx, d); err != nil {
				return err
			}
		}
	}
	return nil
}

// waitControllers waits for the controllers' /healthz, which listen on
// loopback inside each control-plane node.
func (c *cluster) waitControllers(ctx context.Context) error {
	for _, m := range c.cps {
		hc := &http.Client{Transport: &http.Transport{
			DialContext: dialInNetns(m.ns),
			// Their serving certificates are self-signed in memory; this only
			// reads a health endpoint, as kubeadm's liveness probes do.
			TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, //nolint:gosec
		}}
		lo := c.cfg.Loopback()
		for _, x := range []struct {
			d    daemon
			port int
		}{{c.controllerManager(m), controlplane.ControllerManagerPort}, {c.scheduler(m), controlplane.SchedulerPort}} {
			url := controlplane.URL(lo, x.port) + "/healthz"
			err := c.procs.waitUntil(ctx, "waiting for "+x.d.name+" "+url, controllerTimeout, c.controlPlane(),
				func(ctx context.Context) error { return httpOK(ctx, hc, url) })
			if err != nil {
				hc.CloseIdleConnections()
				return err
			}
		}
		hc.CloseIdleConnections()
	}
	return nil
}

// controlPlane returns every control-plane component of the lab.
func (c *cluster) controlPlane() []daemon {
	var out []daemon
	for _, m := range c.cps {
		out = append(out, c.etcd(m), c.apiServer(m), c.controllerManager(m), c.scheduler(m))
	}
	return out
}

// apiServers returns every etcd and kube-apiserver of the lab.
func (c *cluster) apiServers() []daemon {
	var out []daemon
	for _, m := range c.cps {
		out = append(out, c.etcd(m), c.apiServer(m))
	}
	return out
}

// apiHTTPClient trusts the lab CA, for the apiserver's health endpoints
// (readable without credentials).
func (c *cluster) apiHTTPClient() (*http.Client, error) {
	ca, err := os.ReadFile(c.files.CACert)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}, nil
}

func httpOK(ctx context.Context, hc *http.Client, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s: %s", url, resp.Status, failedChecks(string(body)))
	}
	return nil
}

// bindAdmins makes kubeadm's kubeadm:cluster-admins binding with the
// super-admin identity, which is then no longer needed.
func (c *cluster) bindAdmins(ctx context.Context) error {
	cs, err := clientset(c.files.SuperAdmin)
	if err != nil {
		return err
	}
	crb := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: pki.AdminGroup},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.GroupKind, Name: pki.AdminGroup}},
	}
	_, err = cs.RbacV1().ClusterRoleBindings().Create(ctx, crb, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("failed to bind %s to cluster-admin: %w", pki.AdminGroup, err)
	}
	if err := createControllerServiceAccounts(ctx, cs); err != nil {
		return err
	}
	// Node agents read every Node to route to the pod CIDRs, which the Node
	// authorizer alone does not allow (kindnet has the same grant).
	role, binding := nodeagent.RBAC()
	if _, err := cs.RbacV1().ClusterRoles().Update(ctx, role, metav1.UpdateOptions{}); apierrors.IsNotFound(err) {
		_, err = cs.RbacV1().ClusterRoles().Create(ctx, role, metav1.CreateOptions{})
		if err != nil {
			return fmt.Errorf("failed to create ClusterRole %s: %w", role.Name, err)
		}
	} else if err != nil {
		return fmt.Errorf("failed to update ClusterRole %s: %w", role.Name, err)
	}
	if _, err := cs.RbacV1().ClusterRoleBindings().Update(ctx, binding, metav1.UpdateOptions{}); apierrors.IsNotFound(err) {
		_, err = cs.RbacV1().ClusterRoleBindings().Create(ctx, binding, metav1.CreateOptions{})
		if err != nil {
			return fmt.Errorf("failed to create ClusterRoleBinding %s: %w", binding.Name, err)
		}
	} else if err != nil {
		return fmt.Errorf("failed to update ClusterRoleBinding %s: %w", binding.Name, err)
	}
	return nil
}

// failedChecks keeps the failing lines of a /readyz or /healthz body.
func failedChecks(body string) string {
	var failed []string
	for _, line := range strings.Split(body, "\n") {
		if strings.HasPrefix(line, "[-]") {
			failed = append(failed, strings.TrimPrefix(line, "[-]"))
		}
	}
	if len(failed) == 0 {
		return strings.TrimSpace(body)
	}
	return strings.Join(failed, "; ")
}
