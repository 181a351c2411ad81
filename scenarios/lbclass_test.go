package scenarios

import (
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/lblab/lblab/internal/netaddr"
)

// classLab is MetalLB (class-less) beside lblab (lblab.dev/lb), each with
// its pool and its speakers' addresses, as the lb-class topology lays
// them out.
func classLab() []ClassController {
	mlb, _ := netaddr.ParseRange("198.51.100.0/25")
	lbl, _ := netaddr.ParseRange("198.51.100.128/25")
	return []ClassController{
		{Type: "metallb", Pools: map[string][]netaddr.Range{"default": {mlb}}, Events: []string{"metallb-controller"},
			Speakers: addrs("10.89.0.10", "10.89.0.11", "10.89.0.12")},
		{Class: "lblab.dev/lb", Type: "lblab", Pools: map[string][]netaddr.Range{"lblab": {lbl}}, Events: []string{"lblab-controller"},
			Speakers: addrs("10.89.0.13", "10.89.0.14", "10.89.0.15")},
	}
}

// classGood is one Service of each controller, each served as it should be.
func classGood() []ClassEvidence {
	return []ClassEvidence{
		{Service: "default/web", Controller: "metallb", IPs: addrs("198.51.100.0"), Managers: []string{"metallb-controller"},
			Sources: []string{"metallb-controller", "metallb-speaker"}, Peers: addrs("10.89.0.11", "10.89.0.12"), Want: addrs("10.89.0.11", "10.89.0.12")},
		{Service: "default/web-lblab", Class: "lblab.dev/lb", Controller: "lblab", IPs: addrs("198.51.100.128"), Managers: []string{"lblab-controller"},
			Sources: []string{"lblab-controller"}, Peers: addrs("10.89.0.14", "10.89.0.15"), Want: addrs("10.89.0.14", "10.89.0.15")},
	}
}

func TestJudgeClasses(t *testing.T) {
	for _, tc := range []struct {
		name   string
		edit   func(ev []ClassEvidence) []ClassEvidence
		status Status
		want   string
	}{
		{"each served by its own", nil, Passed, "metallb serves 1 (no loadBalancerClass), lblab serves 1 (class lblab.dev/lb)"},
		{"lblab wrote MetalLB's status", func(ev []ClassEvidence) []ClassEvidence {
			ev[0].Managers = []string{"lblab-controller"}
			return ev
		}, Failed, "default/web: status.loadBalancer is owned by lblab-controller, but metallb should serve it"},
		{"two writers", func(ev []ClassEvidence) []ClassEvidence {
			ev[1].Managers = []string{"lblab-controller", "metallb-controller"}
			return ev
		}, Failed, "owned by lblab-controller, metallb-controller: more than one writer"},
		{"nobody owns it", func(ev []ClassEvidence) []ClassEvidence {
			ev[1].Managers = nil
			return ev
		}, Failed, "no field manager owns status.loadBalancer"},
		{"the other controller's events", func(ev []ClassEvidence) []ClassEvidence {
			ev[0].Sources = append(ev[0].Sources, "lblab-controller")
			return ev
		}, Failed, "default/web: lblab-controller (the lblab controller) recorded events on it"},
		{"an IP from the other's pool", func(ev []ClassEvidence) []ClassEvidence {
			ev[0].IPs = addrs("198.51.100.129")
			return ev
		}, Failed, "198.51.100.129 is outside metallb's pools; 198.51.100.129 is from lblab's pools"},
		{"no IP", func(ev []ClassEvidence) []ClassEvidence {
			ev[1].IPs = nil
			return ev
		}, Failed, "default/web-lblab: no LB IP yet"},
		{"a route from the other's speaker", func(ev []ClassEvidence) []ClassEvidence {
			ev[1].Peers = addrs("10.89.0.11", "10.89.0.14", "10.89.0.15")
			return ev
		}, Failed, "the TOR learned it from 10.89.0.11, a speaker of metallb"},
		{"a missing route", func(ev []ClassEvidence) []ClassEvidence {
			ev[1].Peers = addrs("10.89.0.14")
			return ev
		}, Failed, "routes from 10.89.0.14, want from lblab's speakers 10.89.0.14, 10.89.0.15"},
		{"status changed while watched", func(ev []ClassEvidence) []ClassEvidence {
			ev[0].Changed = "198.51.100.1, then 198.51.100.0"
			return ev
		}, Failed, "changed while watched (198.51.100.1, then 198.51.100.0): two controllers fight over it"},
		{"no Service of a class", func(ev []ClassEvidence) []ClassEvidence { return ev[:1] }, Failed,
			`no Service of the topology is lblab's (class lblab.dev/lb): add a workload whose service has loadBalancerClass "lblab.dev/lb"`},
		{"a class nobody handles", func(ev []ClassEvidence) []ClassEvidence {
			return append(ev, ClassEvidence{Service: "default/x", Class: "example.com/lb"})
		}, Failed, `default/x: no controller of the lab handles class "example.com/lb"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev := classGood()
			if tc.edit != nil {
				ev = tc.edit(ev)
			}
			out := JudgeClasses(classLab(), ev)
			if out.Status != tc.status || !strings.Contains(out.Summary, tc.want) {
				t.Errorf("got %s %q, want %s containing %q", out.Status, out.Summary, tc.status, tc.want)
			}
		})
	}
}

// statusLBManagers reads the owners of status.loadBalancer from
// managedFields as the API server wrote them when lblab's controller took
// a Service MetalLB had allocated (recorded from a lab with a second lblab
// controller handling class-less Services).
func TestStatusLBManagers(t *testing.T) {
	mf := func(manager, sub, fields string) metav1.ManagedFieldsEntry {
		return metav1.ManagedFieldsEntry{Manager: manager, Operation: metav1.ManagedFieldsOperationUpdate, Subresource: sub,
			FieldsType: "FieldsV1", FieldsV1: &metav1.FieldsV1{Raw: []byte(fields)}}
	}
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{ManagedFields: []metav1.ManagedFieldsEntry{
		mf("kubectl-client-side-apply", "", `{"f:metadata":{"f:annotations":{".":{}}},"f:spec":{"f:type":{}}}`),
		mf("metallb-controller", "status", `{"f:metadata":{"f:annotations":{"f:metallb.io/ip-allocated-from-pool":{}}}}`),
		mf("lblab-controller", "status", `{"f:status":{"f:loadBalancer":{"f:ingress":{}}}}`),
	}}}
	if got := statusLBManagers(svc); !slices.Equal(got, []string{"lblab-controller"}) {
		t.Errorf("statusLBManagers = %v, want [lblab-controller]", got)
	}
	if got := statusLBManagers(&corev1.Service{}); len(got) != 0 {
		t.Errorf("statusLBManagers of a Service nobody wrote = %v, want none", got)
	}
}
