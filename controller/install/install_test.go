package install

import (
	"net/netip"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/lblab/lblab/internal/topology"
)

func kinds(objs []unstructured.Unstructured) string {
	var out []string
	for _, o := range objs {
		n := o.GetKind() + "/" + o.GetName()
		if o.GetNamespace() != "" {
			n = o.GetKind() + "/" + o.GetNamespace() + "/" + o.GetName()
		}
		out = append(out, n)
	}
	return strings.Join(out, "\n")
}

func TestManifests(t *testing.T) {
	objs, err := Manifests("lblab.dev/lblab:abc123")
	if err != nil {
		t.Fatal(err)
	}
	want := `CustomResourceDefinition/bgpadvertisements.lblab.dev
CustomResourceDefinition/bgppeers.lblab.dev
CustomResourceDefinition/ippools.lblab.dev
CustomResourceDefinition/l2advertisements.lblab.dev
CustomResourceDefinition/speakerstatuses.lblab.dev
Namespace/lblab-system
Namespace/lblab-node-lease
ServiceAccount/lblab-system/controller
ServiceAccount/lblab-system/speaker
ClusterRole/lblab:controller
ClusterRoleBinding/lblab:controller
Role/lblab-system/lblab:controller
RoleBinding/lblab-system/lblab:controller
ClusterRole/lblab:speaker
ClusterRoleBinding/lblab:speaker
Role/lblab-system/lblab:speaker
RoleBinding/lblab-system/lblab:speaker
Role/lblab-node-lease/lblab:speaker
RoleBinding/lblab-node-lease/lblab:speaker
Deployment/lblab-system/controller
DaemonSet/lblab-system/speaker`
	if got := kinds(objs); got != want {
		t.Fatalf("objects:\n%s\nwant:\n%s", got, want)
	}
	for _, o := range objs[len(objs)-2:] {
		cs, _, _ := unstructured.NestedSlice(o.Object, "spec", "template", "spec", "containers")
		c := cs[0].(map[string]any)
		if c["image"] != "lblab.dev/lblab:abc123" {
			t.Errorf("%s image %v", o.GetName(), c["image"])
		}
	}
	ds := objs[len(objs)-1]
	if hn, _, _ := unstructured.NestedBool(ds.Object, "spec", "template", "spec", "hostNetwork"); !hn {
		t.Error("speaker DaemonSet without hostNetwork")
	}
	for _, o := range objs {
		if _, ok := resources[o.GroupVersionKind()]; !ok {
			t.Errorf("Apply does not know %s", o.GroupVersionKind())
		}
	}
	if _, err := Manifests(""); err == nil {
		t.Error("Manifests accepted an empty image")
	}
}

func TestConfig(t *testing.T) {
	cases := []struct {
		name string
		topo string
		want string // YAML of the objects' specs, by kind/name
	}{
		{
			name: "ipv4 seed lab",
			topo: `apiVersion: lblab.dev/v1alpha1
kind: Topology
name: t
network: {ipFamily: ipv4, ipv4Subnet: 10.89.7.0/24}
controller:
  pools:
  - {name: default, addresses: [198.51.100.0/24]}
  - {name: odd, addresses: ["203.0.113.129/25", 203.0.113.7, "203.0.113.10-203.0.113.19"], autoAssign: false, avoidBuggyIPs: true}
`,
			want: `IPPool/default: {"addresses":["198.51.100.0/24"],"autoAssign":true}
IPPool/odd: {"addresses":["203.0.113.128/25","203.0.113.7/32","203.0.113.10-203.0.113.19"],"autoAssign":false,"avoidBuggyIPs":true}
BGPPeer/tor-ipv4: {"holdTime":"9s","keepaliveTime":"3s","myASN":64500,"peerASN":64496,"peerAddress":"10.89.7.1","port":179}
BGPAdvertisement/default: {}`,
		},
		{
			name: "dual stack",
			topo: `apiVersion: lblab.dev/v1alpha1
kind: Topology
name: t
network: {ipFamily: dual, ipv4Subnet: 10.89.7.0/24, ipv6Subnet: "fd00:89:7::/64"}
tor: {asn: 65001, holdTime: 30, keepaliveTime: 10}
controller: {asn: 65002}
`,
			want: `IPPool/default: {"addresses":["198.51.100.0/24","2001:db8:100::/120"],"autoAssign":true}
BGPPeer/tor-ipv4: {"holdTime":"30s","keepaliveTime":"10s","myASN":65002,"peerASN":65001,"peerAddress":"10.89.7.1","port":179}
BGPPeer/tor-ipv6: {"holdTime":"30s","keepaliveTime":"10s","myASN":65002,"peerASN":65001,"peerAddress":"fd00:89:7::1","port":179}
BGPAdvertisement/default: {}`,
		},
		{
			name: "l2 has no peers",
			topo: `apiVersion: lblab.dev/v1alpha1
kind: Topology
name: t
network: {ipFamily: dual, ipv4Subnet: 10.89.7.0/24, ipv6Subnet: "fd00:89:7::/64"}
controller:
  mode: l2
  pools:
  - {name: default, addresses: [10.89.7.200/29, "fd00:89:7::c8/125"]}
`,
			want: `IPPool/default: {"addresses":["10.89.7.200/29","fd00:89:7::c8/125"],"autoAssign":true}
L2Advertisement/default: {}`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			topo, err := topology.Decode([]byte(tc.topo))
			if err != nil {
				t.Fatal(err)
			}
			objs, err := Config(topo, nil)
			if err != nil {
				t.Fatal(err)
			}
			var lines []string
			for _, o := range objs {
				spec, _ := yaml.Marshal(o.Object["spec"])
				j, _ := yaml.YAMLToJSON(spec)
				lines = append(lines, o.GetKind()+"/"+o.GetName()+": "+strings.TrimSpace(string(j)))
				if o.GetLabels()[Label] != "t" {
					t.Errorf("%s/%s lacks label %s", o.GetKind(), o.GetName(), Label)
				}
			}
			if got := strings.Join(lines, "\n"); got != tc.want {
				t.Fatalf("got:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

func TestConfigTORAddresses(t *testing.T) {
	topo, err := topology.Decode([]byte("apiVersion: lblab.dev/v1alpha1\nkind: Topology\nname: t\n"))
	if err != nil {
		t.Fatal(err)
	}
	objs, err := Config(topo, []netip.Addr{netip.MustParseAddr("172.18.0.5"), netip.MustParseAddr("fc00:f853:ccd:e793::5")})
	if err != nil {
		t.Fatal(err)
	}
	var peers []string
	for _, o := range objs {
		if o.GetKind() == "BGPPeer" {
			a, _, _ := unstructured.NestedString(o.Object, "spec", "peerAddress")
			peers = append(peers, o.GetName()+"="+a)
		}
	}
	if got := strings.Join(peers, " "); got != "tor-ipv4=172.18.0.5 tor-ipv6=fc00:f853:ccd:e793::5" {
		t.Fatalf("peers %s", got)
	}
	if _, err := Config(topo, []netip.Addr{netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")}); err == nil {
		t.Fatal("two IPv4 TOR addresses accepted")
	}
}

func TestConfigNeedsSubnets(t *testing.T) {
	topo, err := topology.Decode([]byte("apiVersion: lblab.dev/v1alpha1\nkind: Topology\nname: t\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Config(topo, nil); err == nil || !strings.Contains(err.Error(), "no node subnet") {
		t.Fatalf("got %v", err)
	}
}

func TestOfKinds(t *testing.T) {
	objs, err := Decode([]byte("kind: Namespace\nmetadata: {name: a}\n---\nkind: Deployment\nmetadata: {name: b}\n---\n---\nkind: ClusterRole\nmetadata: {name: c}\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		kinds []string
		want  string
	}{
		{[]string{"ClusterRole", "Namespace"}, "Namespace/a\nClusterRole/c"}, // in the manifest's order
		{[]string{"Deployment"}, "Deployment/b"},
		{[]string{"Secret"}, ""},
		{nil, ""},
	} {
		if got := kinds(OfKinds(objs, tc.kinds...)); got != tc.want {
			t.Errorf("OfKinds(%v) = %q, want %q", tc.kinds, got, tc.want)
		}
	}
}
