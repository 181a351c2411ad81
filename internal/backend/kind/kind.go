package kind

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/lblab/lblab/internal/k8s/components"
	"github.com/lblab/lblab/internal/lab"
)

// Pinned images. Where each digest comes from is in the README.
const (
	// nodeImage is kind v0.33.0's default node image (Kubernetes v1.37.0,
	// the netns backend's minor version), from sigs.k8s.io/kind
	// pkg/apis/config/defaults/image.go.
	nodeImage = "kindest/node:v1.37.0@sha256:a1ed56cfb0e7b93589bdf97c8cd566405a265939e3620fc4f5de89adff580ae5"
	// frrImage is the TOR: FRR 10.2.1, the digest Cilium's own connectivity
	// tests pin (cilium-cli/defaults/defaults.go, renovate-managed).
	frrImage = "quay.io/frrouting/frr:10.2.1@sha256:c8543d3e0a1348cc0f2b19154fd8b0300e237773dbec65d9d6d6570c1d088deb"
	// clientImage is the client host: Alpine with curl, busybox wget and ip,
	// pinned in the same Cilium file.
	clientImage = "quay.io/cilium/alpine-curl:v1.10.0@sha256:913e8c9f3d960dde03882defa0edd3a919d529c2eb167caa7f54194528bde364"
)

// Docker labels on every container lblab makes (kind labels its nodes with
// io.x-k8s.kind.cluster itself).
const (
	labelLab  = "dev.lblab.lab"
	labelRole = "dev.lblab.role"

	kindClusterLabel = "io.x-k8s.kind.cluster"
	kindRoleLabel    = "io.x-k8s.kind.role"
)

// kindNetwork is the Docker network kind puts its nodes on
// (KIND_EXPERIMENTAL_DOCKER_NETWORK moves it, as it does for kind).
func kindNetwork() string {
	if n := os.Getenv("KIND_EXPERIMENTAL_DOCKER_NETWORK"); n != "" {
		return n
	}
	return "kind"
}

// Options configure the backend. Zero values mean the real machine.
type Options struct {
	// Docker is the Docker Engine API; nil dials the daemon from the
	// environment (DOCKER_HOST, else the default socket).
	Docker dockerAPI
	// Cluster creates and deletes kind clusters; nil uses kind's library
	// with the docker provider.
	Cluster clusterAPI
	// Binary is the static lblab binary shipped in the controller image and
	// copied into the nodes; "" means this executable (rebuilt with
	// CGO_ENABLED=0 when it is not static).
	Binary string
}

type backend struct {
	opts     Options
	docker   dockerAPI
	cluster  clusterAPI
	network  string
	lookPath func(string) (string, error)
	// kube returns a Kubernetes client for a lab (replaced in tests).
	kube func(kubeconfig string) (kubeClient, error)
	// binary returns the static lblab binary (replaced in tests).
	binary func(ctx context.Context) ([]byte, error)
	// ciliumChart returns the path of the pinned Cilium chart (replaced in
	// tests).
	ciliumChart func(ctx context.Context) (string, error)
	// source returns the directory of another controller's module in the Go
	// module cache, where its manifests are read (components.Source;
	// replaced in tests).
	source  func(ctx context.Context, l *lab.Lab, module, path string) (string, error)
	timeout time.Duration // for nodes, CNI and kube-proxy to become ready
}

// readyTimeout bounds the wait for nodes, CNI and kube-proxy. It is a
// failure deadline, not the usual time: with ebpf on a cold CI runner, the
// Cilium images are pulled during the wait.
const readyTimeout = 6 * time.Minute

// New returns the kind backend. It connects to Docker lazily, so that
// `lblab down` of a netns lab never needs a daemon.
func New(o Options) lab.Backend {
	b := &backend{opts: o, docker: o.Docker, cluster: o.Cluster, network: kindNetwork(),
		lookPath: exec.LookPath, kube: newKubeClient, timeout: readyTimeout}
	b.binary = func(ctx context.Context) ([]byte, error) { return staticBinary(ctx, o.Binary, cacheDir()) }
	b.ciliumChart = func(ctx context.Context) (string, error) {
		return fetchChart(ctx, ciliumChartURL, ciliumChartSHA256, filepath.Join(cacheDir(), "charts"), "cilium-"+ciliumVersion+".tgz")
	}
	b.source = func(ctx context.Context, l *lab.Lab, module, path string) (string, error) {
		return components.Source(ctx, components.Options{Log: l.Log}, module, path)
	}
	return b
}

func (b *backend) Name() string { return "kind" }

// api returns the Docker client, dialling it on first use.
func (b *backend) api() (dockerAPI, error) {
	if b.docker != nil {
		return b.docker, nil
	}
	d, err := dialDocker()
	if err != nil {
		return nil, err
	}
	b.docker = d
	return d, nil
}

func (b *backend) clusters() clusterAPI {
	if b.cluster == nil {
		b.cluster = newKindProvider()
	}
	return b.cluster
}

// Available reports whether this machine can run kind labs: the docker CLI
// (kind's library drives it), and a Docker daemon that answers.
func Available() error {
	return (&backend{network: kindNetwork(), lookPath: exec.LookPath}).available(context.Background())
}

// errNoDocker is what every "Docker is not usable" error wraps.
var errNoDocker = errors.New("the kind backend needs Docker")

func (b *backend) available(ctx context.Context) error {
	hint := "install Docker and start its daemon, or use the netns backend (--backend netns, the default), which needs no Docker"
	if _, err := b.lookPath("docker"); err != nil {
		return fmt.Errorf("%w: the docker CLI is not in PATH (kind's library runs it); %s", errNoDocker, hint)
	}
	d, err := b.api()
	if err != nil {
		return fmt.Errorf("%w: %v; %s", errNoDocker, err, hint)
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := d.Ping(ctx); err != nil {
		return fmt.Errorf("%w: no Docker daemon answers at %s (%v); %s", errNoDocker, d.Host(), trimErr(err), hint)
	}
	return nil
}

func trimErr(err error) string { return strings.TrimSpace(err.Error()) }
