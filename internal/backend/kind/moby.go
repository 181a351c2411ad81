package kind

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
)

// moby is dockerAPI over the Docker Engine API.
type moby struct{ c *client.Client }

// dialDocker connects to the daemon named by the environment (DOCKER_HOST
// etc.), else the default socket, negotiating the API version.
func dialDocker() (*moby, error) {
	c, err := client.New(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return nil, fmt.Errorf("failed to create a Docker client: %w", err)
	}
	return &moby{c: c}, nil
}

func (m *moby) Host() string { return m.c.DaemonHost() }

func (m *moby) Ping(ctx context.Context) error {
	_, err := m.c.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true})
	return err
}

func (m *moby) Network(ctx context.Context, name string) ([]netip.Prefix, bool, error) {
	res, err := m.c.NetworkInspect(ctx, name, client.NetworkInspectOptions{})
	if cerrdefs.IsNotFound(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("failed to inspect Docker network %s: %w", name, err)
	}
	var out []netip.Prefix
	for _, c := range res.Network.IPAM.Config {
		if c.Subnet.IsValid() {
			out = append(out, c.Subnet.Masked())
		}
	}
	slices.SortFunc(out, func(a, b netip.Prefix) int { return boolCmp(a.Addr().Is6(), b.Addr().Is6()) })
	return out, true, nil
}

func (m *moby) PullImage(ctx context.Context, ref string) error {
	if _, err := m.c.ImageInspect(ctx, ref); err == nil {
		return nil
	}
	resp, err := m.c.ImagePull(ctx, ref, client.ImagePullOptions{})
	if err != nil {
		return fmt.Errorf("failed to pull %s: %w", ref, err)
	}
	defer resp.Close()
	if err := resp.Wait(ctx); err != nil {
		return fmt.Errorf("failed to pull %s: %w", ref, err)
	}
	return nil
}

func (m *moby) CreateContainer(ctx context.Context, s containerSpec) (string, error) {
	res, err := m.c.ContainerCreate(ctx, client.ContainerCreateOptions{
		Name:   s.Name,
		Config: &container.Config{Image: s.Image, Entrypoint: s.Entrypoint, Cmd: s.Cmd, Labels: s.Labels, Hostname: s.Name},
		HostConfig: &container.HostConfig{
			NetworkMode:   container.NetworkMode(s.Network),
			CapAdd:        s.CapAdd,
			Sysctls:       s.Sysctls,
			RestartPolicy: container.RestartPolicy{Name: container.RestartPolicyUnlessStopped},
		},
		NetworkingConfig: &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{s.Network: endpoint(s)}},
	})
	if err != nil {
		return "", fmt.Errorf("failed to create container %s: %w", s.Name, err)
	}
	return res.ID, nil
}

// endpointSysctlsOpt is the endpoint driver option that carries
// per-interface sysctls, a comma-separated list.
const endpointSysctlsOpt = "com.docker.network.endpoint.sysctls"

func endpoint(s containerSpec) *network.EndpointSettings {
	ep := &network.EndpointSettings{}
	if len(s.EndpointSysctls) > 0 {
		ep.DriverOpts = map[string]string{endpointSysctlsOpt: strings.Join(s.EndpointSysctls, ",")}
	}
	return ep
}

func (m *moby) CopyFiles(ctx context.Context, ctr string, files []file) error {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		name := strings.TrimPrefix(f.Path, "/")
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: f.Mode, Size: int64(len(f.Data)), Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		if _, err := tw.Write(f.Data); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	_, err := m.c.CopyToContainer(ctx, ctr, client.CopyToContainerOptions{DestinationPath: "/", Content: &buf})
	if err != nil {
		return fmt.Errorf("failed to copy files into %s: %w", ctr, err)
	}
	return nil
}

func (m *moby) StartContainer(ctx context.Context, ctr string) error {
	if _, err := m.c.ContainerStart(ctx, ctr, client.ContainerStartOptions{}); err != nil {
		return fmt.Errorf("failed to start %s: %w", ctr, err)
	}
	return nil
}

func (m *moby) Exec(ctx context.Context, ctr string, argv []string, stdin io.Reader) (execResult, error) {
	created, err := m.c.ExecCreate(ctx, ctr, client.ExecCreateOptions{
		Cmd: argv, AttachStdout: true, AttachStderr: true, AttachStdin: stdin != nil,
	})
	if err != nil {
		return execResult{}, fmt.Errorf("failed to exec in %s: %w", ctr, err)
	}
	att, err := m.c.ExecAttach(ctx, created.ID, client.ExecAttachOptions{})
	if err != nil {
		return execResult{}, fmt.Errorf("failed to attach to exec in %s: %w", ctr, err)
	}
	defer att.Close()
	if stdin != nil {
		go func() {
			_, _ = io.Copy(att.Conn, stdin)
			_ = att.CloseWrite()
		}()
	}
	var stdout, stderr bytes.Buffer
	done := make(chan error, 1)
	go func() { _, err := stdcopy.StdCopy(&stdout, &stderr, att.Reader); done <- err }()
	select {
	case err = <-done:
	case <-ctx.Done():
		return execResult{}, ctx.Err()
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return execResult{}, fmt.Errorf("failed to read exec output from %s: %w", ctr, err)
	}
	ins, err := m.c.ExecInspect(ctx, created.ID, client.ExecInspectOptions{})
	if err != nil {
		return execResult{}, fmt.Errorf("failed to inspect exec in %s: %w", ctr, err)
	}
	return execResult{Stdout: stdout.Bytes(), Stderr: stderr.Bytes(), ExitCode: ins.ExitCode}, nil
}

func (m *moby) Inspect(ctx context.Context, ctr, net string) (containerInfo, error) {
	res, err := m.c.ContainerInspect(ctx, ctr, client.ContainerInspectOptions{})
	if cerrdefs.IsNotFound(err) {
		return containerInfo{}, fmt.Errorf("%w: %s", errNoContainer, ctr)
	}
	if err != nil {
		return containerInfo{}, fmt.Errorf("failed to inspect %s: %w", ctr, err)
	}
	c := res.Container
	info := containerInfo{ID: c.ID, Name: strings.TrimPrefix(c.Name, "/")}
	if c.Config != nil {
		info.Image, info.Labels = c.Config.Image, c.Config.Labels
	}
	if c.State != nil {
		info.Running = c.State.Running
	}
	if c.NetworkSettings != nil {
		if ep := c.NetworkSettings.Networks[net]; ep != nil {
			info.Addrs = endpointAddrs(ep)
		}
	}
	return info, nil
}

func endpointAddrs(ep *network.EndpointSettings) []netip.Addr {
	var out []netip.Addr
	for _, a := range []netip.Addr{ep.IPAddress, ep.GlobalIPv6Address} {
		if a.IsValid() {
			out = append(out, a.Unmap())
		}
	}
	return out
}

func (m *moby) List(ctx context.Context, labels map[string]string) ([]containerInfo, error) {
	f := make(client.Filters)
	for k, v := range labels {
		if v == "" {
			f.Add("label", k)
		} else {
			f.Add("label", k+"="+v)
		}
	}
	res, err := m.c.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
	if client.IsErrConnectionFailed(err) {
		return nil, fmt.Errorf("%w: failed to list containers: %w", errNoDocker, err)
	}
	if err != nil {
		return nil, fmt.Errorf("failed to list containers: %w", err)
	}
	var out []containerInfo
	for _, c := range res.Items {
		info := containerInfo{ID: c.ID, Image: c.Image, Labels: c.Labels, Running: c.State == container.StateRunning}
		if len(c.Names) > 0 {
			info.Name = strings.TrimPrefix(c.Names[0], "/")
		}
		if c.NetworkSettings != nil {
			for _, ep := range c.NetworkSettings.Networks {
				info.Addrs = append(info.Addrs, endpointAddrs(ep)...)
			}
		}
		out = append(out, info)
	}
	return out, nil
}

func (m *moby) RemoveContainer(ctx context.Context, ctr string) error {
	_, err := m.c.ContainerRemove(ctx, ctr, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
	if err != nil && !cerrdefs.IsNotFound(err) {
		return fmt.Errorf("failed to remove container %s: %w", ctr, err)
	}
	return nil
}

func (m *moby) Logs(ctx context.Context, ctr string) ([]byte, error) {
	rc, err := m.c.ContainerLogs(ctx, ctr, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true, Timestamps: true})
	if err != nil {
		return nil, fmt.Errorf("failed to read logs of %s: %w", ctr, err)
	}
	defer rc.Close()
	var out bytes.Buffer
	if _, err := stdcopy.StdCopy(&out, &out, rc); err != nil {
		return out.Bytes(), err
	}
	return out.Bytes(), nil
}

func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}
