package metallb

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/lblab/lblab/controller/install"
)

// CRDs reads MetalLB's CRDs from its module directory src
// (config/crd/bases) as generated: no conversion webhook, so BGPPeer is
// served in v1beta1 and v1beta2 without conversion and Config writes
// v1beta2, the storage version.
//
// One change on the way: MetalLB v0.15.2 declares its ASN fields
// `format: int32` with `maximum: 4294967295`, and kube-apiserver v1.37
// checks a schema's bounds against its format, so it would reject every
// BGPPeer ("Maximum boundary value must be of type integer with format
// int32 in spec.peerASN"). Those fields get `format: int64`; the bound
// (and MetalLB's uint32 Go type) stay. widened says how many.
func CRDs(src string) (crds []unstructured.Unstructured, widened int, err error) {
	dir := filepath.Join(src, "config", "crd", "bases")
	files, err := filepath.Glob(filepath.Join(dir, "metallb.io_*.yaml"))
	if err != nil || len(files) == 0 {
		return nil, 0, fmt.Errorf("found no MetalLB CRDs (metallb.io_*.yaml) in %s", dir)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, 0, err
		}
		doc, n := widenUint32Bounds(data)
		widened += n
		objs, err := install.Decode(doc)
		if err != nil {
			return nil, 0, fmt.Errorf("%s: %w", f, err)
		}
		crds = append(crds, objs...)
	}
	return crds, widened, nil
}

var int32Uint32Max = regexp.MustCompile(`(?m)^(\s+)format: int32\n(\s+)maximum: 4294967295$`)

// widenUint32Bounds turns `format: int32` into `format: int64` where the
// next line is `maximum: 4294967295`, and says how many it changed.
func widenUint32Bounds(crd []byte) ([]byte, int) {
	n := len(int32Uint32Max.FindAllIndex(crd, -1))
	return int32Uint32Max.ReplaceAll(crd, []byte("${1}format: int64\n${2}maximum: 4294967295")), n
}

// rbacKinds are the kinds of metallb-native.yaml that lblab applies:
// MetalLB's own namespace, ServiceAccounts and RBAC. Its Deployment and
// DaemonSet become processes, and its webhook Service, configuration and
// certificate Secret are not used (the webhook is off).
var rbacKinds = []string{"Namespace", "ServiceAccount", "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"}

// RBAC reads MetalLB's namespace, ServiceAccounts and RBAC from its
// manifest (config/manifests/metallb-native.yaml in src).
func RBAC(src string) ([]unstructured.Unstructured, error) {
	path := filepath.Join(src, "config", "manifests", "metallb-native.yaml")
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("failed to read MetalLB's manifest: %w", err)
	}
	all, err := install.Decode(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	out := install.OfKinds(all, rbacKinds...)
	// MetalLB v0.15.2 has its namespace, 2 ServiceAccounts, 2 Roles, 2
	// ClusterRoles and their 4 bindings.
	if len(out) < 9 {
		return nil, fmt.Errorf("found only %d namespace, ServiceAccount and RBAC documents in %s", len(out), path)
	}
	return out, nil
}
