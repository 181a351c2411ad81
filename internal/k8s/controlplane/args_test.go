package controlplane

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/lblab/lblab/internal/k8s/components"
	"github.com/lblab/lblab/internal/k8s/pki"
)

func testConfig(dual bool) Config {
	bins := components.Binaries{}
	for _, n := range components.Names() {
		bins[n] = "/cache/bin/" + n
	}
	c := Config{
		ClusterName: "lblab-k8s-a", Bins: bins, EtcdDataDir: "/state/etcd",
		PKI: pki.Files{CACert: "/pki/ca.crt", CAKey: "/pki/ca.key", APIServerCert: "/pki/apiserver.crt",
			APIServerKey: "/pki/apiserver.key", SAKey: "/pki/sa.key", SAPub: "/pki/sa.pub",
			FrontProxyCACert: "/pki/front-proxy-ca.crt", ControllerManager: "/kc/controller-manager.conf", Scheduler: "/kc/scheduler.conf"},
		AdvertiseAddress: netip.MustParseAddr("10.89.0.10"),
		ServiceCIDRs:     []netip.Prefix{netip.MustParsePrefix("10.96.0.0/16")},
		PodCIDRs:         []netip.Prefix{netip.MustParsePrefix("10.244.0.0/16")},
	}
	if dual {
		c.DualStack = true
		c.ServiceCIDRs = append(c.ServiceCIDRs, netip.MustParsePrefix("fd00:10:96::/112"))
		c.PodCIDRs = append(c.PodCIDRs, netip.MustParsePrefix("fd00:10:244::/56"))
	}
	return c
}

// flags turns --k=v arguments into a map (and fails on duplicates).
func flags(t *testing.T, argv []string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, a := range argv[1:] {
		k, v, ok := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		if !ok || !strings.HasPrefix(a, "--") {
			t.Fatalf("argument %q is not --key=value", a)
		}
		if _, dup := m[k]; dup {
			t.Fatalf("--%s given twice", k)
		}
		m[k] = v
	}
	return m
}

func TestAPIServerArgs(t *testing.T) {
	for _, tc := range []struct {
		dual               bool
		bind, serviceRange string
	}{
		{false, "0.0.0.0", "10.96.0.0/16"},
		{true, "::", "10.96.0.0/16,fd00:10:96::/112"},
	} {
		c := testConfig(tc.dual)
		argv := c.APIServer()
		if argv[0] != "/cache/bin/kube-apiserver" {
			t.Errorf("binary = %s", argv[0])
		}
		f := flags(t, argv)
		want := map[string]string{
			"advertise-address":                "10.89.0.10",
			"bind-address":                     tc.bind,
			"secure-port":                      "6443",
			"etcd-servers":                     "http://127.0.0.1:2379",
			"service-cluster-ip-range":         tc.serviceRange,
			"authorization-mode":               "Node,RBAC",
			"enable-admission-plugins":         "NodeRestriction",
			"client-ca-file":                   "/pki/ca.crt",
			"service-account-issuer":           "https://kubernetes.default.svc.cluster.local",
			"api-audiences":                    "https://kubernetes.default.svc.cluster.local",
			"service-account-key-file":         "/pki/sa.pub",
			"service-account-signing-key-file": "/pki/sa.key",
			"endpoint-reconciler-type":         "lease",
			"requestheader-client-ca-file":     "/pki/front-proxy-ca.crt",
			"requestheader-allowed-names":      "front-proxy-client",
		}
		for k, v := range want {
			if f[k] != v {
				t.Errorf("dual=%v: --%s=%q, want %q", tc.dual, k, f[k], v)
			}
		}
	}
}

func TestControllerManagerArgs(t *testing.T) {
	for _, dual := range []bool{false, true} {
		f := flags(t, testConfig(dual).ControllerManager())
		want := map[string]string{
			"kubeconfig":                       "/kc/controller-manager.conf",
			"allocate-node-cidrs":              "true",
			"node-cidr-mask-size-ipv4":         "24",
			"controllers":                      "*,bootstrapsigner,tokencleaner",
			"use-service-account-credentials":  "true",
			"service-account-private-key-file": "/pki/sa.key",
			"root-ca-file":                     "/pki/ca.crt",
			"cluster-signing-cert-file":        "/pki/ca.crt",
			"leader-elect":                     "true",
			"bind-address":                     "127.0.0.1",
		}
		if dual {
			want["cluster-cidr"] = "10.244.0.0/16,fd00:10:244::/56"
			want["node-cidr-mask-size-ipv6"] = "64"
		} else {
			want["cluster-cidr"] = "10.244.0.0/16"
			if _, ok := f["node-cidr-mask-size-ipv6"]; ok {
				t.Error("an IPv4 cluster has no IPv6 node mask")
			}
		}
		for k, v := range want {
			if f[k] != v {
				t.Errorf("dual=%v: --%s=%q, want %q", dual, k, f[k], v)
			}
		}
	}
}

func TestSchedulerAndEtcdArgs(t *testing.T) {
	c := testConfig(false)
	s := flags(t, c.Scheduler())
	if s["kubeconfig"] != "/kc/scheduler.conf" || s["leader-elect"] != "true" || s["bind-address"] != "127.0.0.1" {
		t.Errorf("scheduler flags: %v", s)
	}
	e := flags(t, c.Etcd())
	if e["listen-client-urls"] != "http://127.0.0.1:2379" || e["data-dir"] != "/state/etcd" ||
		e["initial-cluster"] != "lblab-k8s-a=http://127.0.0.1:2380" || e["unsafe-no-fsync"] != "true" {
		t.Errorf("etcd flags: %v", e)
	}
}

// An IPv6-only lab uses IPv6 loopback and addresses everywhere.
func TestIPv6Only(t *testing.T) {
	c := testConfig(false)
	c.AdvertiseAddress = netip.MustParseAddr("fd00:89::a")
	c.ServiceCIDRs = []netip.Prefix{netip.MustParsePrefix("fd00:10:96::/112")}
	c.PodCIDRs = []netip.Prefix{netip.MustParsePrefix("fd00:10:244::/56")}
	if c.Server() != "https://[fd00:89::a]:6443" || c.LocalServer() != "https://[::1]:6443" {
		t.Errorf("server %s, local %s", c.Server(), c.LocalServer())
	}
	api := flags(t, c.APIServer())
	if api["bind-address"] != "::" || api["etcd-servers"] != "http://[::1]:2379" {
		t.Errorf("apiserver: bind %s etcd %s", api["bind-address"], api["etcd-servers"])
	}
	if kcm := flags(t, c.ControllerManager()); kcm["node-cidr-mask-size-ipv6"] != "64" || kcm["bind-address"] != "::1" {
		t.Errorf("kcm: %v", kcm)
	}
}

func TestValidate(t *testing.T) {
	c := testConfig(true)
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	c.PodCIDRs[1] = netip.MustParsePrefix("fd00:10:244::/40")
	err := c.Validate()
	if err == nil || !strings.Contains(err.Error(), "network.ipv6PodSubnet") {
		t.Errorf("a /40 IPv6 pod subnet cannot hold /64 per node within 16 bits: %v", err)
	}
	c = testConfig(false)
	c.PodCIDRs[0] = netip.MustParsePrefix("10.244.0.0/24")
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "network.ipv4PodSubnet") {
		t.Errorf("a /24 pod subnet has no room for /24 node subnets: %v", err)
	}
}

func TestEnv(t *testing.T) {
	for _, n := range []string{components.Etcd, components.APIServer, components.ControllerManager, components.Scheduler} {
		if !slices.ContainsFunc(Env(n), func(s string) bool { return strings.HasPrefix(s, "GOMEMLIMIT=") }) {
			t.Errorf("%s has no GOMEMLIMIT", n)
		}
	}
}

func TestEtcdMembers(t *testing.T) {
	members := []Member{
		{"cp1", netip.MustParseAddr("10.89.0.10")},
		{"cp2", netip.MustParseAddr("10.89.0.11")},
		{"cp3", netip.MustParseAddr("10.89.0.12")},
	}
	for _, tc := range []struct {
		name    string
		members []Member
		want    map[string]string
	}{
		{"single", nil, map[string]string{
			"name":                        "lblab-k8s-a",
			"listen-client-urls":          "http://127.0.0.1:2379",
			"advertise-client-urls":       "http://127.0.0.1:2379",
			"listen-peer-urls":            "http://127.0.0.1:2380",
			"initial-advertise-peer-urls": "http://127.0.0.1:2380",
			"initial-cluster":             "lblab-k8s-a=http://127.0.0.1:2380",
		}},
		{"three", members, map[string]string{
			"name":                        "cp1",
			"listen-client-urls":          "http://127.0.0.1:2379,http://10.89.0.10:2379",
			"advertise-client-urls":       "http://10.89.0.10:2379",
			"listen-peer-urls":            "http://10.89.0.10:2380",
			"initial-advertise-peer-urls": "http://10.89.0.10:2380",
			"initial-cluster":             "cp1=http://10.89.0.10:2380,cp2=http://10.89.0.11:2380,cp3=http://10.89.0.12:2380",
			"initial-cluster-token":       "lblab-k8s-a",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := testConfig(false)
			c.Members, c.MemberName = tc.members, "cp1"
			got := flags(t, c.Etcd())
			for k, v := range tc.want {
				if got[k] != v {
					t.Errorf("--%s=%s, want %s", k, got[k], v)
				}
			}
			// Each apiserver uses its own member, as kubeadm's stacked etcd.
			if api := flags(t, c.APIServer()); api["etcd-servers"] != "http://127.0.0.1:2379" {
				t.Errorf("--etcd-servers=%s", api["etcd-servers"])
			}
		})
	}
}

func TestServerURLs(t *testing.T) {
	for _, tc := range []struct {
		vips       []netip.Addr
		server     string
		nodeServer string
	}{
		{nil, "https://10.89.0.10:6443", "https://10.89.0.10:6443"},
		{[]netip.Addr{netip.MustParseAddr("10.90.0.1"), netip.MustParseAddr("fd00:90::1")}, "https://10.90.0.1:6443", "https://10.89.0.10:6443"},
		{[]netip.Addr{netip.MustParseAddr("fd00:90::1")}, "https://[fd00:90::1]:6443", "https://10.89.0.10:6443"},
	} {
		c := testConfig(false)
		c.VIPs = tc.vips
		if c.Server() != tc.server || c.NodeServer() != tc.nodeServer {
			t.Errorf("VIPs %v: Server %s NodeServer %s, want %s %s", tc.vips, c.Server(), c.NodeServer(), tc.server, tc.nodeServer)
		}
	}
}
