package announcer

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/lblab/lblab/controller/api/v1alpha1"
)

// reconcile assigns every IP and has this node's responders answer for
// the ones it owns.
func (a *Announcer) reconcile(c *coreInformers, advObjs []any) {
	in := a.inputs(c, advObjs)
	a.mu.Lock()
	m := a.membership
	a.mu.Unlock()
	if m == nil || !m.HasSynced() {
		return // it would see only itself and claim everything
	}
	in.Live = m.Live()
	byIface := map[string][]netip.Addr{}
	var owned []v1alpha1.L2Announcement
	var taken []Assignment
	a.mu.Lock()
	since := map[string]*metav1.Time{}
	for _, o := range a.owned {
		since[o.IP] = o.Since
	}
	for _, as := range Assign(in) {
		if as.Owner != a.cfg.Node {
			continue
		}
		ifi, err := a.cfg.Interface(as.IP, as.Interfaces)
		if err != nil {
			a.log.Error("cannot answer for an owned IP", "ip", as.IP, "service", as.Service, "error", err)
			continue
		}
		if _, ok := a.responders[ifi.Name]; !ok {
			r, err := a.cfg.NewResponder(ifi, a.log)
			if err != nil {
				a.log.Error("cannot answer on the interface", "interface", ifi.Name, "error", err)
				continue
			}
			a.responders[ifi.Name] = r
			go func(ctx context.Context) {
				if err := r.Run(ctx); err != nil && ctx.Err() == nil {
					a.log.Error("the responder stopped", "interface", ifi.Name, "error", err)
				}
			}(a.ctx)
		}
		byIface[ifi.Name] = append(byIface[ifi.Name], as.IP)
		t, had := since[as.IP.String()]
		if !had {
			now := metav1.NewTime(time.Now().Truncate(time.Second))
			t = &now
			taken = append(taken, as)
		}
		owned = append(owned, v1alpha1.L2Announcement{IP: as.IP.String(), Service: as.Service, Interface: ifi.Name, Since: t})
	}
	for name, r := range a.responders {
		r.Set(byIface[name])
	}
	changed := !slices.EqualFunc(owned, a.owned, func(x, y v1alpha1.L2Announcement) bool {
		return x.IP == y.IP && x.Service == y.Service && x.Interface == y.Interface
	})
	a.owned = owned
	notify := a.onStatus
	a.mu.Unlock()
	for _, as := range taken {
		a.record(as, owned)
	}
	if changed && notify != nil {
		notify()
	}
}

// record writes a takeover as an event on the Service.
func (a *Announcer) record(as Assignment, owned []v1alpha1.L2Announcement) {
	proto := "ARP"
	if as.IP.Is6() {
		proto = "NDP"
	}
	iface := ""
	for _, o := range owned {
		if o.IP == as.IP.String() {
			iface = o.Interface
		}
	}
	a.log.Info("took over an LB IP", "ip", as.IP, "service", as.Service, "interface", iface)
	if a.cfg.Recorder == nil {
		return
	}
	ns, name, _ := strings.Cut(as.Service, "/")
	ref := &corev1.ObjectReference{Kind: "Service", APIVersion: "v1", Namespace: ns, Name: name, UID: types.UID(as.UID)}
	a.cfg.Recorder.Eventf(ref, corev1.EventTypeNormal, "L2Owner", "%s answers %s for %s on %s", a.cfg.Node, proto, as.IP, iface)
}
