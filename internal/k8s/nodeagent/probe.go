package nodeagent

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// probeSpec is one readiness check.
type probeSpec struct {
	HTTP    bool
	Scheme  string           // http or https
	Targets []netip.AddrPort // TCP: every one must accept; HTTP: the first is asked
	Path    string
	Host    string // Host header, if set
	Headers http.Header
	Timeout time.Duration

	InitialDelay time.Duration
	Period       time.Duration
	Success      int // consecutive successes that make it ready
	Failure      int // consecutive failures that make it unready
}

// Prober runs one check.
type Prober interface {
	Probe(ctx context.Context, s probeSpec) error
}

// readinessSpec builds a container's readiness check: its readinessProbe
// (httpGet, tcpSocket; grpc is checked as TCP on its port), or, without
// one (or with an exec probe, which cannot run here), a TCP connect to
// every container port on every pod IP: nginx is ready once it accepts.
// The pod IPs are probed from the node, as the kubelet does.
func readinessSpec(c *corev1.Container, podIPs []netip.Addr) (probeSpec, error) {
	ports := containerPorts(c)
	def := probeSpec{Timeout: time.Second, Period: 2 * time.Second, Success: 1, Failure: 3}
	for _, ip := range podIPs {
		for _, p := range ports {
			def.Targets = append(def.Targets, netip.AddrPortFrom(ip, uint16(p)))
		}
	}
	pr := c.ReadinessProbe
	if pr == nil || pr.Exec != nil || len(podIPs) == 0 {
		return def, nil
	}
	s := probeSpec{
		Timeout:      seconds(pr.TimeoutSeconds, 1),
		Period:       seconds(pr.PeriodSeconds, 10),
		InitialDelay: seconds(pr.InitialDelaySeconds, 0),
		Success:      int(max(pr.SuccessThreshold, 1)),
		Failure:      int(max(pr.FailureThreshold, 1)),
	}
	if pr.FailureThreshold == 0 {
		s.Failure = 3
	}
	host := podIPs[0]
	switch {
	case pr.HTTPGet != nil:
		g := pr.HTTPGet
		port, err := resolvePort(g.Port, c)
		if err != nil {
			return s, err
		}
		if g.Host != "" {
			a, err := netip.ParseAddr(g.Host)
			if err != nil {
				return s, fmt.Errorf("readinessProbe.httpGet.host %q: only IP addresses can be probed here", g.Host)
			}
			host = a
		}
		s.HTTP = true
		s.Scheme = strings.ToLower(string(g.Scheme))
		if s.Scheme == "" {
			s.Scheme = "http"
		}
		s.Path = g.Path
		s.Headers = http.Header{}
		for _, h := range g.HTTPHeaders {
			if strings.EqualFold(h.Name, "Host") {
				s.Host = h.Value
				continue
			}
			s.Headers.Add(h.Name, h.Value)
		}
		s.Targets = []netip.AddrPort{netip.AddrPortFrom(host, port)}
	case pr.TCPSocket != nil:
		port, err := resolvePort(pr.TCPSocket.Port, c)
		if err != nil {
			return s, err
		}
		if pr.TCPSocket.Host != "" {
			a, err := netip.ParseAddr(pr.TCPSocket.Host)
			if err != nil {
				return s, fmt.Errorf("readinessProbe.tcpSocket.host %q: only IP addresses can be probed here", pr.TCPSocket.Host)
			}
			host = a
		}
		s.Targets = []netip.AddrPort{netip.AddrPortFrom(host, port)}
	case pr.GRPC != nil:
		s.Targets = []netip.AddrPort{netip.AddrPortFrom(host, uint16(pr.GRPC.Port))}
	default:
		return def, nil
	}
	return s, nil
}

func seconds(v, def int32) time.Duration {
	if v <= 0 {
		v = def
	}
	return time.Duration(v) * time.Second
}

// resolvePort resolves a probe's port, by number or by container port name.
func resolvePort(p intstr.IntOrString, c *corev1.Container) (uint16, error) {
	if p.Type == intstr.Int {
		if p.IntVal <= 0 || p.IntVal > 65535 {
			return 0, fmt.Errorf("probe port %d is out of range", p.IntVal)
		}
		return uint16(p.IntVal), nil
	}
	for _, cp := range c.Ports {
		if cp.Name == p.StrVal {
			return uint16(cp.ContainerPort), nil
		}
	}
	if n, err := strconv.Atoi(p.StrVal); err == nil && n > 0 && n <= 65535 {
		return uint16(n), nil
	}
	return 0, fmt.Errorf("probe port %q names no port of container %s", p.StrVal, c.Name)
}

// netProber is the real Prober.
type netProber struct{}

func (netProber) Probe(ctx context.Context, s probeSpec) error {
	ctx, cancel := context.WithTimeout(ctx, s.Timeout)
	defer cancel()
	if !s.HTTP {
		var d net.Dialer
		for _, t := range s.Targets {
			c, err := d.DialContext(ctx, "tcp", t.String())
			if err != nil {
				return err
			}
			c.Close()
		}
		return nil
	}
	u := url.URL{Scheme: s.Scheme, Host: s.Targets[0].String(), Path: s.Path}
	if u.Path == "" {
		u.Path = "/"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return err
	}
	for k, v := range s.Headers {
		req.Header[k] = v
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", "kube-probe/"+strings.TrimPrefix(KubernetesVersion, "v"))
	}
	if s.Host != "" {
		req.Host = s.Host
	}
	client := &http.Client{Transport: &http.Transport{
		DisableKeepAlives: true,
		TLSClientConfig:   &tls.Config{InsecureSkipVerify: true}, // like the kubelet's probes
	}}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 10<<10))
	if resp.StatusCode < 200 || resp.StatusCode >= 400 {
		return fmt.Errorf("HTTP probe failed with status %d", resp.StatusCode)
	}
	return nil
}
