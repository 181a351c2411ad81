package kind

import (
	"context"
	"errors"
	"io"
	"net/netip"
)

// dockerAPI is the part of the Docker Engine API the backend uses, in
// lblab's own terms. The real one wraps github.com/moby/moby/client; unit
// tests use a recording fake and assert the calls.
type dockerAPI interface {
	// Host is the daemon's address, for error messages.
	Host() string
	Ping(ctx context.Context) error
	// Network returns a network's subnets; ok is false when it does not exist.
	Network(ctx context.Context, name string) (subnets []netip.Prefix, ok bool, err error)
	// PullImage pulls ref unless the daemon already has it.
	PullImage(ctx context.Context, ref string) error
	CreateContainer(ctx context.Context, s containerSpec) (id string, err error)
	// CopyFiles writes files into a container (created or running).
	CopyFiles(ctx context.Context, container string, files []file) error
	StartContainer(ctx context.Context, container string) error
	// Exec runs argv in a running container. A non-zero exit is not an
	// error here: the caller decides.
	Exec(ctx context.Context, container string, argv []string, stdin io.Reader) (execResult, error)
	// Inspect returns a container's state and its addresses on a network;
	// the error wraps errNoContainer when there is no such container.
	Inspect(ctx context.Context, container, network string) (containerInfo, error)
	// List returns the containers (running or not) carrying every label.
	List(ctx context.Context, labels map[string]string) ([]containerInfo, error)
	RemoveContainer(ctx context.Context, container string) error
	// Logs returns a container's stdout and stderr.
	Logs(ctx context.Context, container string) ([]byte, error)
}

// containerSpec is a container lblab creates.
type containerSpec struct {
	Name  string
	Image string
	// Entrypoint replaces the image's when set.
	Entrypoint []string
	Cmd        []string
	Labels     map[string]string
	Network    string // attached at creation, like `docker run --net`
	CapAdd     []string
	Sysctls    map[string]string
	// EndpointSysctls are the interface's own sysctls on Network, with
	// IFNAME for its name (net.ipv4.conf.IFNAME.accept_redirects=0). Docker
	// (27 and later) applies them when it configures the interface; a
	// conf.all or conf.default setting in Sysctls does not reach it.
	EndpointSysctls []string
}

// errNoContainer is what Inspect wraps for a container that does not exist.
var errNoContainer = errors.New("no such container")

// file is one file for CopyFiles.
type file struct {
	Path string
	Mode int64
	Data []byte
}

type execResult struct {
	Stdout, Stderr []byte
	ExitCode       int
}

// containerInfo is a container as Inspect and List see it.
type containerInfo struct {
	ID      string
	Name    string
	Image   string
	Labels  map[string]string
	Running bool
	// Addrs are its addresses on the network asked for (Inspect) or on any
	// network (List), IPv4 first.
	Addrs []netip.Addr
}
