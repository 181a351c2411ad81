package main

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/lblab/lblab/internal/lab"
)

// tokenTTL is how long the minted ServiceAccount tokens live (the lab's
// own controller uses the same).
const tokenTTL = 365 * 24 * time.Hour

type kube struct {
	o      options
	cs     kubernetes.Interface
	server string
	ca     []byte
}

func newKube(o options) (*kube, error) {
	path := filepath.Join(lab.StateDir(o.lab), "kubeconfig")
	raw, err := clientcmd.LoadFromFile(path)
	if err != nil {
		return nil, fmt.Errorf("failed to load %s (is lab %s up with Kubernetes?): %w", path, o.lab, err)
	}
	ctx := raw.Contexts[raw.CurrentContext]
	if ctx == nil || raw.Clusters[ctx.Cluster] == nil {
		return nil, fmt.Errorf("%s has no current context with a cluster", path)
	}
	cl := raw.Clusters[ctx.Cluster]
	ca := cl.CertificateAuthorityData
	if len(ca) == 0 && cl.CertificateAuthority != "" {
		if ca, err = os.ReadFile(cl.CertificateAuthority); err != nil {
			return nil, fmt.Errorf("failed to read the lab CA: %w", err)
		}
	}
	cfg, err := clientcmd.NewDefaultClientConfig(*raw, nil).ClientConfig()
	if err != nil {
		return nil, err
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	return &kube{o: o, cs: cs, server: cl.Server, ca: ca}, nil
}

// kubectl runs the lab's kubectl with stdin.
func (k *kube) kubectl(stdin string, args ...string) error {
	argv := append([]string{"kubectl", "--name", k.o.lab, "--"}, args...)
	cmd := exec.Command(k.o.lblab, argv...)
	cmd.Stdin = strings.NewReader(stdin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("failed to run kubectl %s: %w\n%s", strings.Join(args, " "), err, out.String())
	}
	return nil
}

func (k *kube) apply(yaml string) error {
	return k.kubectl(yaml, "apply", "--server-side", "--force-conflicts", "--field-manager=lblab-hack-metallb", "-f", "-")
}

// applyCRDs applies MetalLB's CRDs as generated (config/crd/bases): no
// conversion webhook, so BGPPeer is served in v1beta1 and v1beta2 without
// conversion and this installer writes v1beta2, the storage version.
//
// One change on the way: MetalLB v0.15.2 declares its ASN fields
// `format: int32` with `maximum: 4294967295`, and kube-apiserver v1.37
// checks a schema's bounds against its format, so it would reject every
// BGPPeer ("Maximum boundary value must be of type integer with format
// int32 in spec.peerASN"). Those fields get `format: int64`; the bound
// (and MetalLB's uint32 Go type) stay.
func (k *kube) applyCRDs() error {
	dir := filepath.Join(k.o.module, "config", "crd", "bases")
	files, err := filepath.Glob(filepath.Join(dir, "metallb.io_*.yaml"))
	if err != nil || len(files) == 0 {
		return fmt.Errorf("failed to find MetalLB's CRDs in %s", dir)
	}
	var all strings.Builder
	fixed := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		doc, n := widenUint32Bounds(string(data))
		fixed += n
		all.WriteString("---\n" + doc)
	}
	if err := k.apply(all.String()); err != nil {
		return err
	}
	if fixed > 0 {
		fmt.Printf("   (%d uint32 fields declared format int32 applied as int64: kube-apiserver v1.37 checks bounds against the format)\n", fixed)
	}
	return k.kubectl("", "wait", "--for=condition=Established", "--timeout=30s", "crd/ipaddresspools.metallb.io",
		"crd/bgppeers.metallb.io", "crd/bgpadvertisements.metallb.io", "crd/servicebgpstatuses.metallb.io")
}

var int32Uint32Max = regexp.MustCompile(`(?m)^(\s+)format: int32\n(\s+)maximum: 4294967295$`)

// widenUint32Bounds turns `format: int32` into `format: int64` where the
// next line is `maximum: 4294967295`, and says how many it changed.
func widenUint32Bounds(crd string) (string, int) {
	n := len(int32Uint32Max.FindAllStringIndex(crd, -1))
	return int32Uint32Max.ReplaceAllString(crd, "${1}format: int64\n${2}maximum: 4294967295"), n
}

// rbacKinds are the documents of metallb-native.yaml this installer
// applies: MetalLB's own namespace, ServiceAccounts and RBAC. Its
// Deployment, DaemonSet, webhook and memberlist pieces are replaced by
// processes (webhooks disabled, memberlist off).
var rbacKinds = map[string]bool{"Namespace": true, "ServiceAccount": true, "Role": true, "ClusterRole": true, "RoleBinding": true, "ClusterRoleBinding": true}

var kindLine = regexp.MustCompile(`(?m)^kind: (\S+)\s*$`)

// rbacDocs returns the documents of manifest whose kind is in rbacKinds.
func rbacDocs(manifest string) (string, int) {
	var b strings.Builder
	n := 0
	for _, doc := range strings.Split(manifest, "\n---\n") {
		m := kindLine.FindStringSubmatch(doc)
		if m == nil || !rbacKinds[m[1]] {
			continue
		}
		b.WriteString("---\n" + strings.TrimPrefix(strings.TrimSpace(doc), "---\n") + "\n")
		n++
	}
	return b.String(), n
}

func (k *kube) applyRBAC() error {
	path := filepath.Join(k.o.module, "config", "manifests", "metallb-native.yaml")
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("failed to read MetalLB's manifest: %w", err)
	}
	docs, n := rbacDocs(string(data))
	if n < 9 {
		return fmt.Errorf("found only %d namespace/ServiceAccount/RBAC documents in %s", n, path)
	}
	return k.apply(docs)
}

// tokenKubeconfig mints a token for a MetalLB ServiceAccount and writes a
// kubeconfig that uses it into the lab's kubeconfigs directory.
func (k *kube) tokenKubeconfig(ctx context.Context, sa, file string) (string, error) {
	secs := int64(tokenTTL / time.Second)
	tr, err := k.cs.CoreV1().ServiceAccounts(Namespace).CreateToken(ctx, sa,
		&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &secs}}, metav1.CreateOptions{})
	if err != nil {
		return "", fmt.Errorf("failed to mint a token for ServiceAccount %s/%s: %w", Namespace, sa, err)
	}
	user := "system:serviceaccount:" + Namespace + ":" + sa
	data, err := clientcmd.Write(clientcmdapi.Config{
		Clusters:       map[string]*clientcmdapi.Cluster{"lab": {Server: k.server, CertificateAuthorityData: k.ca}},
		AuthInfos:      map[string]*clientcmdapi.AuthInfo{user: {Token: tr.Status.Token}},
		Contexts:       map[string]*clientcmdapi.Context{user: {Cluster: "lab", AuthInfo: user}},
		CurrentContext: user,
	})
	if err != nil {
		return "", err
	}
	path := filepath.Join(lab.StateDir(k.o.lab), "kubeconfigs", file)
	if err := lab.WriteFileAtomic(path, data, 0o600); err != nil {
		return "", fmt.Errorf("failed to write %s: %w", path, err)
	}
	return path, nil
}

// node is a Kubernetes node of the lab and its namespace.
type node struct {
	name, ns string
	ips      []netip.Addr // InternalIPs
}

// nodes lists the Kubernetes nodes; each must have a namespace
// <lab>_<node> (MetalLB's DaemonSet runs a speaker on every node).
func (k *kube) nodes(ctx context.Context) ([]node, error) {
	list, err := k.cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("failed to list nodes: %w", err)
	}
	var out []node
	for _, n := range list.Items {
		nd := node{name: n.Name, ns: k.o.lab + "_" + n.Name}
		if _, err := os.Stat(filepath.Join("/run/netns", nd.ns)); err != nil {
			return nil, fmt.Errorf("node %s has no namespace %s: %w", n.Name, nd.ns, err)
		}
		for _, a := range n.Status.Addresses {
			if ip, err := netip.ParseAddr(a.Address); err == nil && a.Type == corev1.NodeInternalIP {
				nd.ips = append(nd.ips, ip)
			}
		}
		if len(nd.ips) == 0 {
			return nil, fmt.Errorf("node %s has no InternalIP", n.Name)
		}
		out = append(out, nd)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("lab %s has no Kubernetes nodes", k.o.lab)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, nil
}
