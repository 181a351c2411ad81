package nodeagent

import (
	"fmt"
	"net/netip"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
)

// ParseNodeIPs parses the --node-ip values.
func ParseNodeIPs(values []string) ([]netip.Addr, error) {
	var out []netip.Addr
	for _, v := range values {
		a, err := netip.ParseAddr(v)
		if err != nil || a.Zone() != "" || a.Is4In6() {
			return nil, fmt.Errorf("--node-ip %q is not an IPv4 or IPv6 address", v)
		}
		out = append(out, a)
	}
	return out, nil
}

// ParseLabels parses --label key=value values.
func ParseLabels(values []string) (map[string]string, error) {
	out := map[string]string{}
	for _, kv := range values {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, fmt.Errorf("--label %q: want key=value", kv)
		}
		if errs := validation.IsQualifiedName(k); len(errs) > 0 {
			return nil, fmt.Errorf("--label %q: invalid key: %s", kv, strings.Join(errs, "; "))
		}
		if errs := validation.IsValidLabelValue(v); len(errs) > 0 {
			return nil, fmt.Errorf("--label %q: invalid value: %s", kv, strings.Join(errs, "; "))
		}
		out[k] = v
	}
	return out, nil
}

// ParseTaints parses --register-with-taint key[=value]:Effect values, the
// kubelet's --register-with-taints syntax.
func ParseTaints(values []string) ([]corev1.Taint, error) {
	var out []corev1.Taint
	for _, s := range values {
		kv, effect, ok := strings.Cut(s, ":")
		if !ok {
			return nil, fmt.Errorf("--register-with-taint %q: want key[=value]:Effect", s)
		}
		k, v, _ := strings.Cut(kv, "=")
		if errs := validation.IsQualifiedName(k); len(errs) > 0 {
			return nil, fmt.Errorf("--register-with-taint %q: invalid key: %s", s, strings.Join(errs, "; "))
		}
		if errs := validation.IsValidLabelValue(v); len(errs) > 0 {
			return nil, fmt.Errorf("--register-with-taint %q: invalid value: %s", s, strings.Join(errs, "; "))
		}
		e := corev1.TaintEffect(effect)
		switch e {
		case corev1.TaintEffectNoSchedule, corev1.TaintEffectPreferNoSchedule, corev1.TaintEffectNoExecute:
		default:
			return nil, fmt.Errorf("--register-with-taint %q: effect %q is not NoSchedule, PreferNoSchedule or NoExecute", s, effect)
		}
		out = append(out, corev1.Taint{Key: k, Value: v, Effect: e})
	}
	return out, nil
}

// forbiddenLabel reports whether NodeRestriction refuses a node's own
// label: node-restriction.kubernetes.io/*, and kubernetes.io or k8s.io
// labels other than the kubelet's well-known ones.
func forbiddenLabel(key string) bool {
	ns, _, ok := strings.Cut(key, "/")
	if !ok {
		return false
	}
	under := func(domain string) bool { return ns == domain || strings.HasSuffix(ns, "."+domain) }
	if under(corev1.LabelNamespaceNodeRestriction) {
		return true
	}
	if !under("kubernetes.io") && !under("k8s.io") {
		return false
	}
	switch key {
	case corev1.LabelHostname, corev1.LabelTopologyZone, corev1.LabelTopologyRegion,
		corev1.LabelFailureDomainBetaZone, corev1.LabelFailureDomainBetaRegion,
		corev1.LabelInstanceType, corev1.LabelInstanceTypeStable,
		corev1.LabelOSStable, corev1.LabelArchStable,
		"beta.kubernetes.io/os", "beta.kubernetes.io/arch":
		return false
	}
	return !under(corev1.LabelNamespaceSuffixKubelet) && !under(corev1.LabelNamespaceSuffixNode)
}
