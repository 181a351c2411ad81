package nodeagent

import (
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lblab/lblab/internal/testutil/golden"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func TestNginxConfig(t *testing.T) {
	for _, tc := range []struct {
		name    string
		ports   []int32
		without map[string]bool
	}{
		{"nginx-two-ports.conf", []int32{80, 8080}, nil},
		{"nginx-light-without-uwsgi-scgi.conf", []int32{80}, map[string]bool{"uwsgi": true, "scgi": true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := nginxConfig{Namespace: "default", Pod: "web-5d8f9c7b4-x2x9q", Node: "node1", Container: "nginx",
				Ports: tc.ports, Dir: "/run/lblab/lab/nodes/node1/pods/default_web-5d8f9c7b4-x2x9q", Without: tc.without}
			got, err := c.render()
			if err != nil {
				t.Fatal(err)
			}
			golden.Assert(t, filepath.Join("testdata", tc.name), got)
		})
	}
}

func TestMasqueradeRuleset(t *testing.T) {
	own := prefixes("10.244.1.0/24", "fd00:10:244:1::/64")
	cluster := prefixes("10.244.0.0/24", "10.244.1.0/24", "10.244.2.0/24", "fd00:10:244::/64", "fd00:10:244:1::/64", "fd00:10:244:2::/64")
	golden.Assert(t, filepath.Join("testdata", "masquerade-dual.nft"), []byte(masqRuleset(own, cluster)))
	golden.Assert(t, filepath.Join("testdata", "masquerade-v4.nft"), []byte(masqRuleset(prefixes("10.244.1.0/24"), prefixes("10.244.1.0/24"))))
	golden.Assert(t, filepath.Join("testdata", "masquerade-none.nft"), []byte(masqRuleset(nil, nil)))
}

func TestMasqueradeIPTables(t *testing.T) {
	own := prefixes("10.244.1.0/24", "fd00:10:244:1::/64")
	cluster := prefixes("10.244.0.0/24", "10.244.1.0/24", "fd00:10:244::/64", "fd00:10:244:1::/64")
	golden.Assert(t, filepath.Join("testdata", "masquerade-v4.iptables"), []byte(masqRestore(own, cluster, false)))
	golden.Assert(t, filepath.Join("testdata", "masquerade-v6.iptables"), []byte(masqRestore(own, cluster, true)))
	golden.Assert(t, filepath.Join("testdata", "masquerade-none.iptables"), []byte(masqRestore(nil, nil, false)))
}

func TestIsNginxImage(t *testing.T) {
	for image, want := range map[string]bool{
		"nginx": true, "nginx:1.27": true, "nginx:latest": true, "docker.io/library/nginx": true,
		"docker.io/library/nginx:1.27-alpine": true, "registry.local:5000/library/nginx:1": true,
		"nginx@sha256:0123abcd": true, "mirror.gcr.io/library/nginx:stable@sha256:0123": true,
		"busybox": false, "nginxinc/nginx-unprivileged": false, "registry.local:5000/nginx-proxy": false,
		"my-nginx": false, "nginx-ingress:1": false, "": false,
	} {
		if got := isNginxImage(image); got != want {
			t.Errorf("isNginxImage(%q) = %v, want %v", image, got, want)
		}
	}
}

func TestReadinessSpec(t *testing.T) {
	ips := []netip.Addr{netip.MustParseAddr("10.244.1.2"), netip.MustParseAddr("fd00::2")}
	ports := []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}, {ContainerPort: 53, Protocol: corev1.ProtocolUDP}}
	for _, tc := range []struct {
		name  string
		probe *corev1.Probe
		check func(probeSpec) bool
	}{
		{"default: TCP on every TCP port and pod IP", nil, func(s probeSpec) bool {
			return !s.HTTP && len(s.Targets) == 2 && s.Targets[0].String() == "10.244.1.2:8080" &&
				s.Targets[1].String() == "[fd00::2]:8080" && s.Failure == 3
		}},
		{"httpGet by port name", &corev1.Probe{
			ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromString("http"),
				HTTPHeaders: []corev1.HTTPHeader{{Name: "Host", Value: "web.local"}, {Name: "X-A", Value: "b"}}}},
			PeriodSeconds: 3, FailureThreshold: 2, InitialDelaySeconds: 1,
		}, func(s probeSpec) bool {
			return s.HTTP && s.Scheme == "http" && s.Path == "/healthz" && s.Targets[0].String() == "10.244.1.2:8080" &&
				s.Host == "web.local" && s.Headers.Get("X-A") == "b" && s.Period == 3*time.Second && s.Failure == 2 &&
				s.InitialDelay == time.Second && s.Success == 1
		}},
		{"tcpSocket", &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(81)}}},
			func(s probeSpec) bool {
				return !s.HTTP && len(s.Targets) == 1 && s.Targets[0].String() == "10.244.1.2:81" && s.Period == 10*time.Second
			}},
		{"exec falls back to TCP", &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"true"}}}},
			func(s probeSpec) bool { return !s.HTTP && len(s.Targets) == 2 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &corev1.Container{Name: "web", Ports: ports, ReadinessProbe: tc.probe}
			s, err := readinessSpec(c, ips)
			if err != nil || !tc.check(s) {
				t.Errorf("readinessSpec = %+v, %v", s, err)
			}
		})
	}
	bad := &corev1.Container{Name: "web", ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{
		HTTPGet: &corev1.HTTPGetAction{Port: intstr.FromString("nope")}}}}
	if _, err := readinessSpec(bad, ips); err == nil {
		t.Error("an unknown port name must be an error")
	}
}

func TestPodEnvInheritsVectorSettings(t *testing.T) {
	t.Setenv("GLIBC_TUNABLES", "glibc.cpu.hwcaps=-AVX2")
	t.Setenv("GODEBUG", "cpu.avx2=off")
	t.Setenv("SECRET_OF_THE_AGENT", "x")
	got := strings.Join(podEnv(), " ")
	want := "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX2 GODEBUG=cpu.avx2=off"
	if got != want {
		t.Errorf("podEnv = %s, want %s", got, want)
	}
}
