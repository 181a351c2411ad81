package scenarios

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/kubernetes"

	"github.com/lblab/lblab/internal/frr"
	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/topology"
)

// classQuiet is how long lb-class watches status.loadBalancer once every
// Service looks right: two controllers fighting over a Service rewrite it
// within their resync or retry (seconds).
const classQuiet = 5 * time.Second

// controllerEvents are the event sources of the controllers a lab with
// controller.classes may run (topology.ClassDefaultControllers and lblab):
// MetalLB's controller records as its process name.
var controllerEvents = map[topology.ControllerType][]string{
	topology.ControllerLBLab:   {lblabFieldManager},
	topology.ControllerMetalLB: {"metallb-controller"},
}

func checkLBClass() Check {
	return Check{Mutates: true, Timeout: 45 * time.Second,
		Description: "with two controllers in the lab, each LoadBalancer Service (the topology's, and a new one of each class) is served by its own " +
			"controller only: IP from its pools, status.loadBalancer written by it alone and unchanged while watched, routes from its own speakers' sessions",
		Run: func(ctx context.Context, env Env, attempt *int) Outcome {
			t := env.Topology()
			if len(t.Controller.Classes) == 0 {
				return skip("the lab runs one controller (controller.classes is empty); the lb-class topology runs MetalLB and lblab side by side")
			}
			if out, ok := bgpOnly(env); !ok {
				return out
			}
			ctrls := classControllers(env)
			// New Services are where two controllers race: one of each
			// class, created together, joins the topology's.
			temps, cleanup, err := classTemps(ctx, env, ctrls)
			defer cleanup()
			if err != nil {
				return errOutcome(err)
			}
			var first []ClassEvidence
			out := poll(ctx, attempt, func(ctx context.Context) Outcome {
				ev, err := observeClasses(ctx, env, temps)
				if err != nil {
					return errOutcome(err)
				}
				first = ev
				return JudgeClasses(ctrls, ev)
			})
			if out.Status != Passed {
				return out
			}
			// Then watch: a controller that fights rewrites the status.
			if err := sleep(ctx, classQuiet); err != nil {
				return fail(out.Evidence, "no time left to watch status.loadBalancer for %s", classQuiet)
			}
			ev, err := observeClasses(ctx, env, temps)
			if err != nil {
				return errOutcome(err)
			}
			for i := range ev {
				if j := slices.IndexFunc(first, func(e ClassEvidence) bool { return e.Service == ev[i].Service }); j >= 0 &&
					!slices.Equal(first[j].IPs, ev[i].IPs) {
					ev[i].Changed = fmt.Sprintf("%s, then %s", orNone(first[j].IPs), orNone(ev[i].IPs))
				}
			}
			out = JudgeClasses(ctrls, ev)
			if out.Status == Passed {
				out.Summary += fmt.Sprintf("; unchanged over %s", classQuiet)
			}
			return out
		}}
}

// classTemps creates one temporary LoadBalancer Service per controller,
// of its class, modelled on the topology's first one, and returns their
// keys and a cleanup that deletes them (never nil).
func classTemps(ctx context.Context, env Env, ctrls []ClassController) ([]string, func(), error) {
	var cleanups []func()
	cleanup := func() {
		for _, c := range cleanups {
			c()
		}
	}
	kc, err := env.Kube()
	if err != nil {
		return nil, cleanup, err
	}
	_, base, err := baseService(ctx, env)
	if err != nil {
		return nil, cleanup, err
	}
	var keys []string
	for i, c := range ctrls {
		svc := tempService(base, fmt.Sprintf("%sclass-%d", TempPrefix, i))
		svc.Spec.LoadBalancerClass = nil
		if c.Class != "" {
			svc.Spec.LoadBalancerClass = &c.Class
		}
		done, err := createService(ctx, kc, svc)
		cleanups = append(cleanups, done)
		if err != nil {
			return nil, cleanup, err
		}
		keys = append(keys, svc.Namespace+"/"+svc.Name)
	}
	return keys, cleanup, nil
}

// classControllers describes the lab's controllers: the default one and
// each of controller.classes, with their pools and speaker addresses.
func classControllers(env Env) []ClassController {
	t := env.Topology()
	nodes := hostsByRole(env, lab.RoleControlPlane, lab.RoleWorker)
	def := ClassController{Type: string(t.Controller.Type), Pools: poolRanges(t.Controller.Pools), Events: controllerEvents[t.Controller.Type]}
	for _, n := range nodes {
		def.Speakers = append(def.Speakers, n.Addrs...)
	}
	out := []ClassController{def}
	for _, cl := range t.Controller.Classes {
		c := ClassController{Class: cl.LoadBalancerClass, Type: string(cl.Type), Pools: poolRanges(cl.Pools), Events: controllerEvents[cl.Type]}
		for _, n := range nodes {
			c.Speakers = append(c.Speakers, n.ClassAddrs[cl.LoadBalancerClass]...)
		}
		out = append(out, c)
	}
	return out
}

// observeClasses reads, for every LoadBalancer Service of the topology
// and each of temps (namespace/name),
// its class, IPs, the owners of status.loadBalancer, its events' sources
// and the TOR's neighbours its routes came from.
func observeClasses(ctx context.Context, env Env, temps []string) ([]ClassEvidence, error) {
	kc, err := env.Kube()
	if err != nil {
		return nil, err
	}
	c, err := env.Cluster(ctx)
	if err != nil {
		return nil, err
	}
	svcs := slices.Clone(c.Services)
	for _, key := range temps {
		ns, name, _ := strings.Cut(key, "/")
		si, err := ReadService(ctx, kc, ns, name)
		if err != nil {
			return nil, err
		}
		svcs = append(svcs, si)
	}
	ribs := map[bool]*frr.RIB{}
	var out []ClassEvidence
	for _, si := range svcs {
		svc, err := kc.CoreV1().Services(si.Namespace).Get(ctx, si.Name, metav1.GetOptions{})
		if err != nil {
			return nil, fmt.Errorf("failed to get Service %s: %w", si.Key(), err)
		}
		e := ClassEvidence{Service: si.Key(), Class: si.Class, IPs: si.LBIPs, Managers: statusLBManagers(svc), Peers: []netip.Addr{}}
		if e.Sources, err = eventSources(ctx, kc, svc); err != nil {
			return nil, err
		}
		el := EligibleNodes(c, si)
		for _, ip := range si.LBIPs {
			if ribs[ip.Is6()] == nil {
				if ribs[ip.Is6()], err = torRIB(ctx, env, ip.Is6()); err != nil {
					return nil, err
				}
			}
			e.Want = append(e.Want, SpeakerAddrs(c, el, si.Class, ip)...)
			e.Peers = append(e.Peers, routePeers(ribs[ip.Is6()], ip)...)
		}
		out = append(out, e)
	}
	for i := range out {
		out[i].Controller = controllerOf(env.Topology(), out[i].Class)
	}
	return out, nil
}

// controllerOf names the controller type that handles class.
func controllerOf(t *topology.Topology, class string) string {
	if class == "" {
		return string(t.Controller.Type)
	}
	for _, cl := range t.Controller.Classes {
		if cl.LoadBalancerClass == class {
			return string(cl.Type)
		}
	}
	return "none"
}

// routePeers returns the neighbours the TOR learned ip's /32 or /128
// from: a path's peer, else its next hop (the speakers set next-hop self).
func routePeers(rib *frr.RIB, ip netip.Addr) []netip.Addr {
	rt, ok := rib.Lookup(netip.PrefixFrom(ip, ip.BitLen()))
	if !ok {
		return nil
	}
	var out []netip.Addr
	for _, p := range rt.Paths {
		if !p.Valid {
			continue
		}
		if a, err := netip.ParseAddr(p.PeerID); err == nil {
			out = append(out, a)
		} else if nh, ok := p.Nexthop(); ok {
			out = append(out, nh)
		}
	}
	return frr.SortAddrs(out)
}

// statusLBManagers returns the field managers that own
// status.loadBalancer, sorted.
func statusLBManagers(svc *corev1.Service) []string {
	out := []string{}
	for _, mf := range svc.ManagedFields {
		if mf.FieldsV1 == nil {
			continue
		}
		var f map[string]map[string]json.RawMessage
		if err := json.Unmarshal(mf.FieldsV1.Raw, &f); err != nil {
			continue
		}
		if _, ok := f["f:status"]["f:loadBalancer"]; ok && !slices.Contains(out, mf.Manager) {
			out = append(out, mf.Manager)
		}
	}
	slices.Sort(out)
	return out
}

// eventSources returns the distinct sources (reporting controller, else
// component) of the events recorded on svc.
func eventSources(ctx context.Context, kc kubernetes.Interface, svc *corev1.Service) ([]string, error) {
	sel := fields.Set{"involvedObject.kind": "Service", "involvedObject.name": svc.Name, "involvedObject.uid": string(svc.UID)}
	evs, err := kc.CoreV1().Events(svc.Namespace).List(ctx, metav1.ListOptions{FieldSelector: sel.AsSelector().String()})
	if err != nil {
		return nil, fmt.Errorf("failed to list the events of Service %s/%s: %w", svc.Namespace, svc.Name, err)
	}
	var out []string
	for _, e := range evs.Items {
		src := e.ReportingController
		if src == "" {
			src = e.Source.Component
		}
		if src != "" && !slices.Contains(out, src) {
			out = append(out, src)
		}
	}
	slices.Sort(out)
	return out, nil
}
