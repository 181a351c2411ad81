package controlplane

import (
	"github.com/lblab/lblab/internal/k8s/components"
	"github.com/lblab/lblab/internal/k8s/pki"
)

// Etcd returns etcd's command line: plain HTTP, without fsync (a lab's
// data is disposable) and with a small quota. A single member listens on
// loopback only (only processes inside the control-plane node can reach
// it); a member of a cluster also listens on its fabric address, for its
// peers. The lab's fabric is a bridge of its own, so plain HTTP between
// members is a lab's shortcut, not a cluster's (kubeadm uses TLS).
func (c Config) Etcd() []string {
	peer, listenClient, advertiseClient := c.etcdURLs()
	return []string{c.Bins.Path(components.Etcd),
		"--name=" + c.etcdMemberName(),
		"--data-dir=" + c.EtcdDataDir,
		"--listen-client-urls=" + listenClient,
		"--advertise-client-urls=" + advertiseClient,
		"--listen-peer-urls=" + peer,
		"--initial-advertise-peer-urls=" + peer,
		"--initial-cluster=" + c.initialCluster(),
		"--initial-cluster-token=" + c.ClusterName,
		"--initial-cluster-state=new",
		"--unsafe-no-fsync=true",
		"--quota-backend-bytes=" + itoa(512<<20),
		"--snapshot-count=10000",
		"--auto-compaction-mode=periodic",
		"--auto-compaction-retention=5m",
		"--log-level=warn",
	}
}

// APIServer returns kube-apiserver's command line.
func (c Config) APIServer() []string {
	p := c.PKI
	return []string{c.Bins.Path(components.APIServer),
		"--advertise-address=" + c.AdvertiseAddress.String(),
		"--bind-address=" + c.bindAll(),
		"--secure-port=" + itoa(APIServerPort),
		"--etcd-servers=" + c.etcdURL(EtcdClientPort),
		"--service-cluster-ip-range=" + joinPrefixes(c.ServiceCIDRs),
		"--authorization-mode=Node,RBAC",
		"--enable-admission-plugins=NodeRestriction",
		"--allow-privileged=true",
		"--client-ca-file=" + p.CACert,
		"--tls-cert-file=" + p.APIServerCert,
		"--tls-private-key-file=" + p.APIServerKey,
		"--kubelet-client-certificate=" + p.KubeletClientCert,
		"--kubelet-client-key=" + p.KubeletClientKey,
		"--kubelet-preferred-address-types=InternalIP,Hostname",
		"--requestheader-client-ca-file=" + p.FrontProxyCACert,
		"--requestheader-allowed-names=" + pki.FrontProxyClient.CommonName,
		"--requestheader-username-headers=X-Remote-User",
		"--requestheader-group-headers=X-Remote-Group",
		"--requestheader-extra-headers-prefix=X-Remote-Extra-",
		"--proxy-client-cert-file=" + p.FrontProxyClientCert,
		"--proxy-client-key-file=" + p.FrontProxyClientKey,
		"--service-account-issuer=" + ServiceAccountIssuer,
		"--service-account-key-file=" + p.SAPub,
		"--service-account-signing-key-file=" + p.SAKey,
		"--api-audiences=" + ServiceAccountIssuer,
		// Each apiserver, reachable at its advertise address, keeps a
		// lease: the kubernetes Service's endpoints are the live ones.
		"--endpoint-reconciler-type=lease",
		"--profiling=false",
		"--enable-logs-handler=false",
	}
}

// ControllerManager returns kube-controller-manager's command line.
func (c Config) ControllerManager() []string {
	p := c.PKI
	args := []string{c.Bins.Path(components.ControllerManager),
		"--kubeconfig=" + p.ControllerManager,
		"--authentication-kubeconfig=" + p.ControllerManager,
		"--authorization-kubeconfig=" + p.ControllerManager,
		"--bind-address=" + c.Loopback().String(),
		"--secure-port=" + itoa(ControllerManagerPort),
		"--cluster-name=" + c.ClusterName,
		"--controllers=*,bootstrapsigner,tokencleaner",
		"--use-service-account-credentials=true",
		"--service-account-private-key-file=" + p.SAKey,
		"--root-ca-file=" + p.CACert,
		"--client-ca-file=" + p.CACert,
		"--requestheader-client-ca-file=" + p.FrontProxyCACert,
		"--cluster-signing-cert-file=" + p.CACert,
		"--cluster-signing-key-file=" + p.CAKey,
		"--allocate-node-cidrs=true",
		"--cluster-cidr=" + joinPrefixes(c.PodCIDRs),
		"--service-cluster-ip-range=" + joinPrefixes(c.ServiceCIDRs),
		"--leader-elect=true",
		"--profiling=false",
	}
	for _, pc := range c.PodCIDRs {
		if pc.Addr().Is6() {
			args = append(args, "--node-cidr-mask-size-ipv6="+itoa(nodeMask(pc)))
		} else {
			args = append(args, "--node-cidr-mask-size-ipv4="+itoa(nodeMask(pc)))
		}
	}
	return args
}

// Scheduler returns kube-scheduler's command line.
func (c Config) Scheduler() []string {
	p := c.PKI
	return []string{c.Bins.Path(components.Scheduler),
		"--kubeconfig=" + p.Scheduler,
		"--authentication-kubeconfig=" + p.Scheduler,
		"--authorization-kubeconfig=" + p.Scheduler,
		"--bind-address=" + c.Loopback().String(),
		"--secure-port=" + itoa(SchedulerPort),
		"--leader-elect=true",
		"--profiling=false",
	}
}

// Env returns the Go runtime limits of a component. GOMEMLIMIT is a soft
// limit: near it the garbage collector works harder, it never kills. At
// rest the components stay well below (kube-apiserver about 300 MiB on
// bgp-ecmp); the limits, about 1 GiB together, only steer a control plane
// under load (thousands of Services) towards the 1 GiB budget.
func Env(component string) []string {
	limits := map[string]string{
		components.Etcd:              "GOMEMLIMIT=128MiB",
		components.APIServer:         "GOMEMLIMIT=512MiB",
		components.ControllerManager: "GOMEMLIMIT=192MiB",
		components.Scheduler:         "GOMEMLIMIT=128MiB",
	}
	if l, ok := limits[component]; ok {
		return []string{l}
	}
	return nil
}
