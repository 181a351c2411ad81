package kind

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"sort"
	"strings"
	"sync"

	"sigs.k8s.io/kind/pkg/apis/config/v1alpha4"

	"github.com/lblab/lblab/internal/status"
)

// fakeDocker records every Docker call as one line ("create lab-tor ...")
// and answers from a small in-memory daemon: networks, containers, and
// canned exec replies matched by the longest argv prefix.
type fakeDocker struct {
	mu         sync.Mutex
	calls      []string
	pingErr    error
	inspectErr error // a daemon that fails to inspect, other than "no such container"
	networks   map[string][]netip.Prefix
	containers map[string]*fakeContainer
	execs      map[string]execResult // key: "container argv..." prefix
	stdin      map[string][]byte     // what exec calls read, by "container argv0"
	nextAddr   int
}

type fakeContainer struct {
	spec     containerSpec
	running  bool
	files    map[string][]byte
	addrs    []netip.Addr
	labels   map[string]string
	imported bool // an image was imported with ctr
}

func newFakeDocker() *fakeDocker {
	return &fakeDocker{
		networks: map[string][]netip.Prefix{"kind": {
			netip.MustParsePrefix("172.18.0.0/16"), netip.MustParsePrefix("fc00:f853:ccd:e793::/64")}},
		containers: map[string]*fakeContainer{},
		execs:      map[string]execResult{},
		stdin:      map[string][]byte{},
		nextAddr:   2,
	}
}

func (f *fakeDocker) record(format string, args ...any) {
	f.calls = append(f.calls, fmt.Sprintf(format, args...))
}

// Calls returns the recorded calls and forgets them.
func (f *fakeDocker) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.calls
	f.calls = nil
	return c
}

// addKindNode makes a running kind node container, as kind would.
func (f *fakeDocker) addKindNode(cluster, name, role string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.containers[name] = &fakeContainer{running: true, files: map[string][]byte{},
		labels: map[string]string{kindClusterLabel: cluster, kindRoleLabel: role}, addrs: f.allocLocked()}
}

func (f *fakeDocker) allocLocked() []netip.Addr {
	n := f.nextAddr
	f.nextAddr++
	return []netip.Addr{netip.AddrFrom4([4]byte{172, 18, 0, byte(n)}),
		netip.MustParseAddr(fmt.Sprintf("fc00:f853:ccd:e793::%x", n))}
}

func (f *fakeDocker) Host() string { return "unix:///fake/docker.sock" }

func (f *fakeDocker) Ping(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("ping")
	return f.pingErr
}

func (f *fakeDocker) Network(_ context.Context, name string) ([]netip.Prefix, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("network inspect %s", name)
	s, ok := f.networks[name]
	return s, ok, nil
}

func (f *fakeDocker) PullImage(_ context.Context, ref string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("pull %s", ref)
	return nil
}

func (f *fakeDocker) CreateContainer(_ context.Context, s containerSpec) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("create %s image=%s network=%s caps=%s labels=%s", s.Name, s.Image, s.Network,
		strings.Join(s.CapAdd, ","), kv(s.Labels))
	if _, ok := f.containers[s.Name]; ok {
		return "", fmt.Errorf("conflict: container name %s is in use", s.Name)
	}
	f.containers[s.Name] = &fakeContainer{spec: s, files: map[string][]byte{}, labels: s.Labels}
	return "id-" + s.Name, nil
}

func (f *fakeDocker) CopyFiles(_ context.Context, ctr string, files []file) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	var paths []string
	for _, fl := range files {
		paths = append(paths, fmt.Sprintf("%s(%o)", fl.Path, fl.Mode))
	}
	f.record("copy %s %s", ctr, strings.Join(paths, " "))
	c, ok := f.containers[ctr]
	if !ok {
		return fmt.Errorf("no such container: %s", ctr)
	}
	for _, fl := range files {
		c.files[fl.Path] = fl.Data
	}
	return nil
}

func (f *fakeDocker) StartContainer(_ context.Context, ctr string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("start %s", ctr)
	c, ok := f.containers[ctr]
	if !ok {
		return fmt.Errorf("no such container: %s", ctr)
	}
	c.running = true
	if c.addrs == nil {
		c.addrs = f.allocLocked()
	}
	return nil
}

func (f *fakeDocker) Exec(_ context.Context, ctr string, argv []string, stdin io.Reader) (execResult, error) {
	var in []byte
	if stdin != nil {
		in, _ = io.ReadAll(stdin)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	line := ctr + " " + strings.Join(argv, " ")
	f.record("exec %s", line)
	if in != nil {
		f.stdin[ctr+" "+argv[0]] = in
	}
	c, ok := f.containers[ctr]
	if !ok || !c.running {
		return execResult{}, fmt.Errorf("container %s is not running", ctr)
	}
	if len(argv) == 2 && argv[0] == "cat" {
		if data, ok := c.files[argv[1]]; ok {
			return execResult{Stdout: data}, nil
		}
		return execResult{ExitCode: 1, Stderr: []byte("cat: no such file")}, nil
	}
	best := ""
	for p := range f.execs {
		if strings.HasPrefix(line, p) && len(p) > len(best) {
			best = p
		}
	}
	if len(argv) > 3 && argv[0] == "ctr" && argv[2] == "images" && argv[3] == "import" {
		c.imported = true
	}
	if best != "" {
		return f.execs[best], nil
	}
	if len(argv) == 6 && argv[0] == "ctr" && argv[3] == "list" && c.imported {
		return execResult{Stdout: []byte(strings.TrimPrefix(argv[5], "name==") + "\n")}, nil
	}
	return execResult{}, nil
}

func (f *fakeDocker) Inspect(_ context.Context, ctr, network string) (containerInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("inspect %s", ctr)
	if f.inspectErr != nil {
		return containerInfo{}, f.inspectErr
	}
	c, ok := f.containers[ctr]
	if !ok {
		return containerInfo{}, fmt.Errorf("%w: %s", errNoContainer, ctr)
	}
	return containerInfo{ID: "id-" + ctr, Name: ctr, Image: c.spec.Image, Labels: c.labels, Running: c.running, Addrs: c.addrs}, nil
}

func (f *fakeDocker) List(_ context.Context, labels map[string]string) ([]containerInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("list %s", kv(labels))
	var out []containerInfo
	names := make([]string, 0, len(f.containers))
	for n := range f.containers {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		c := f.containers[n]
		match := true
		for k, v := range labels {
			if got, ok := c.labels[k]; !ok || (v != "" && got != v) {
				match = false
			}
		}
		if match {
			out = append(out, containerInfo{ID: "id-" + n, Name: n, Image: c.spec.Image, Labels: c.labels, Running: c.running, Addrs: c.addrs})
		}
	}
	return out, nil
}

func (f *fakeDocker) RemoveContainer(_ context.Context, ctr string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("remove %s", ctr)
	delete(f.containers, ctr)
	return nil
}

func (f *fakeDocker) Logs(_ context.Context, ctr string) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("logs %s", ctr)
	return []byte("log of " + ctr + "\n"), nil
}

func kv(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		keys[i] = k + "=" + m[k]
	}
	return strings.Join(keys, ",")
}

// fakeCluster records kind calls; Create makes the node containers in the
// fake Docker the way kind names them.
type fakeCluster struct {
	docker   *fakeDocker
	calls    []string
	clusters map[string]*v1alpha4.Cluster
}

func (c *fakeCluster) Create(name string, cfg *v1alpha4.Cluster, kubeconfig string, _ *status.Logger) error {
	c.calls = append(c.calls, fmt.Sprintf("create %s nodes=%d kubeconfig=%s", name, len(cfg.Nodes), kubeconfig))
	c.clusters[name] = cfg
	count := map[v1alpha4.NodeRole]int{}
	for _, n := range cfg.Nodes {
		count[n.Role]++
		nm := name + "-" + string(n.Role)
		if count[n.Role] > 1 {
			nm = fmt.Sprintf("%s%d", nm, count[n.Role])
		}
		c.docker.addKindNode(name, nm, string(n.Role))
	}
	return nil
}

func (c *fakeCluster) Delete(name, kubeconfig string) error {
	c.calls = append(c.calls, "delete "+name)
	delete(c.clusters, name)
	c.docker.mu.Lock()
	defer c.docker.mu.Unlock()
	for n, ctr := range c.docker.containers {
		if ctr.labels[kindClusterLabel] == name {
			delete(c.docker.containers, n)
		}
	}
	return nil
}

func (c *fakeCluster) List() ([]string, error) {
	var out []string
	for n := range c.clusters {
		out = append(out, n)
	}
	sort.Strings(out)
	return out, nil
}

func (c *fakeCluster) CollectLogs(name, dir string) error {
	c.calls = append(c.calls, "logs "+name)
	return nil
}
