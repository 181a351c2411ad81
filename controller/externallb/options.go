package externallb

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/lblab/lblab/internal/haproxy"
	"github.com/lblab/lblab/internal/netaddr"
)

// Names this controller uses in the cluster.
const (
	// DefaultClass is the spec.loadBalancerClass handled by default.
	DefaultClass = "lblab.dev/external"
	// Component is the event source and the field manager of status
	// writes.
	Component = "lblab-external-lb"
	// Finalizer is the one Kubernetes' cloud service controller puts on
	// the LoadBalancer Services it provisions, removed once the lb host no
	// longer forwards the Service.
	Finalizer = "service.kubernetes.io/load-balancer-cleanup"
	// ExcludeLabel keeps a node out of every external load balancer.
	ExcludeLabel = "node.kubernetes.io/exclude-from-external-load-balancers"
)

// Options configure the controller.
type Options struct {
	// Class is the spec.loadBalancerClass of the Services it handles.
	Class string
	// Pools are the ranges LB IPs are allocated from (IPv4, IPv6 or both).
	Pools []netaddr.Range
	// Device is the lb host's interface the LB IPs are added to.
	Device string
	// Dir is HAProxy's runtime directory (haproxy.cfg, sockets, log).
	Dir string
	// HAProxy is the haproxy binary.
	HAProxy string
	// Check tunes HAProxy's health checks of the nodes.
	Check haproxy.Check
	// MetricsAddr is where /metrics and /healthz are served ("" for none).
	MetricsAddr string
	// Debounce is how long a change waits for others before the lb host
	// is synced (changes arrive in bursts: a Service, its finalizer, its
	// status).
	Debounce time.Duration
}

// DefaultOptions returns the defaults of `lblab lb-controller` (no pools:
// they have to be given).
func DefaultOptions() Options {
	return Options{
		Class:    DefaultClass,
		Device:   "eth0",
		Dir:      "/run/lblab/external-lb",
		HAProxy:  haproxy.DefaultBinary,
		Check:    haproxy.Check{Interval: time.Second, Fall: 2, Rise: 2},
		Debounce: 50 * time.Millisecond,
	}
}

// ParsePools parses pool ranges: CIDRs ("198.51.100.0/28",
// "2001:db8:100::/120"), inclusive "a-b" ranges or single addresses.
// Overlapping pools are an error.
func ParsePools(specs []string) ([]netaddr.Range, error) {
	var out []netaddr.Range
	var errs []error
	for _, s := range specs {
		r, err := netaddr.ParseRange(s)
		if err != nil {
			errs = append(errs, fmt.Errorf("pool %s", err))
			continue
		}
		if r.From.Zone() != "" || r.To.Zone() != "" {
			errs = append(errs, fmt.Errorf("pool %q has a zone; LB IPs cannot be link-local", s))
			continue
		}
		out = append(out, r)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, checkPools(out)
}

func checkPools(pools []netaddr.Range) error {
	for i, a := range pools {
		for _, b := range pools[i+1:] {
			if a.Overlaps(b) {
				return fmt.Errorf("pools %s and %s overlap; an address can be in one pool only", a, b)
			}
		}
	}
	return nil
}

// Validate reports what is missing or wrong in o, all at once.
func (o Options) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if o.Class == "" {
		add("no load balancer class; give the spec.loadBalancerClass to handle, e.g. %s", DefaultClass)
	} else if msgs := validation.IsQualifiedName(o.Class); len(msgs) > 0 {
		add("load balancer class %q is not a qualified name: %s", o.Class, strings.Join(msgs, "; "))
	}
	if len(o.Pools) == 0 {
		add("no pool; give at least one range of LB IPs (a CIDR or a-b)")
	} else if err := checkPools(o.Pools); err != nil {
		errs = append(errs, err)
	}
	if o.Device == "" {
		add("no device; give the lb host's interface the LB IPs go on, e.g. eth0")
	}
	if o.Dir == "" || !filepath.IsAbs(o.Dir) {
		add("HAProxy directory %q must be an absolute path", o.Dir)
	}
	if o.HAProxy == "" {
		add("no HAProxy binary; give its path, e.g. %s", haproxy.DefaultBinary)
	}
	if o.Check.Interval < time.Millisecond || o.Check.Interval%time.Millisecond != 0 {
		add("check interval %s must be a whole number of milliseconds, 1ms or more", o.Check.Interval)
	}
	if o.Check.Fall < 1 || o.Check.Rise < 1 {
		add("check fall %d and rise %d must be 1 or more", o.Check.Fall, o.Check.Rise)
	}
	if o.Debounce < 0 {
		add("debounce %s is negative", o.Debounce)
	}
	return errors.Join(errs...)
}
