package uml

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/lblab/lblab/internal/supervise"
)

// stageEnv marks the init's second stage: PID 1 only reaps, and its child
// does the work.
const stageEnv = "LBLAB_GUEST_STAGE"

// Init is `lblab guest-init`: the guest's PID 1 (reaper) or its child
// (everything else), depending on which process runs it. self, when not
// nil, runs commands of this very binary in-process for the SSH server
// (see Server.Self).
func Init(configPath string, self SelfFunc) error {
	if os.Getpid() == 1 && os.Getenv(stageEnv) == "" {
		return reap()
	}
	g, err := ReadGuest(configPath)
	if err != nil {
		return err
	}
	return serve(g, self)
}

// reap starts the second stage and reaps every process until it ends,
// then powers the guest off: the kernel's exit ends the lab node, and the
// host sees why in the console log.
func reap() error {
	cmd := exec.Command(os.Args[0], os.Args[1:]...)
	cmd.Env = append(os.Environ(), stageEnv+"=2")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Start(); err != nil {
		fmt.Printf("lblab guest-init: failed to start: %v\n", err)
		poweroff()
	}
	main := cmd.Process.Pid
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, 0, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil || pid == main {
			fmt.Printf("lblab guest-init: exited (%v), powering off\n", describe(ws, err))
			poweroff()
		}
	}
}

func describe(ws unix.WaitStatus, err error) string {
	switch {
	case err != nil:
		return err.Error()
	case ws.Signaled():
		return "signal " + ws.Signal().String()
	}
	return "status " + strconv.Itoa(ws.ExitStatus())
}

func poweroff() {
	unix.Sync()
	_ = unix.Reboot(unix.LINUX_REBOOT_CMD_POWER_OFF)
	os.Exit(1)
}

// serve turns the guest into the lab node g describes, then runs its
// supervisor and SSH server until SIGTERM.
func serve(g Guest, self SelfFunc) error {
	t0 := time.Now()
	if err := setup(g); err != nil {
		return err
	}
	sup, err := supervise.New(g.Units, supervise.DefaultBackoff)
	if err != nil {
		return err
	}
	sup.Env = g.Env
	srv, err := NewServer(g.SSHHostKey, g.SSHAuthorizedKey)
	if err != nil {
		return err
	}
	srv.Env = append(os.Environ(), g.Env...)
	if exe, err := os.Executable(); err == nil && self != nil {
		srv.Self, srv.SelfPaths = self, append([]string{exe}, g.HostFiles...)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	errs := make(chan error, 2)
	go func() { errs <- sup.Serve(ctx, g.Supervisor) }()
	var addrs []string
	for _, a := range g.Addrs {
		addrs = append(addrs, net.JoinHostPort(a.Addr().String(), strconv.Itoa(g.SSHPort)))
	}
	go func() { errs <- srv.ListenAndServe(ctx, addrs) }()
	fmt.Printf("lblab guest-init: %s ready in %s\n", g.Node, time.Since(t0).Round(time.Millisecond))
	select {
	case <-ctx.Done():
	case err = <-errs:
	}
	sup.Shutdown()
	return err
}

// setup mounts, loads modules, enters the overlay root and configures the
// host name and network.
func setup(g Guest) error {
	steps := []struct {
		what string
		do   func(Guest) error
	}{
		{"load kernel modules", loadGuestModules},
		{"make the root file system", enterRoot},
		{"mount the lab's state directory", mountState},
		{"bind the host's files", bindHostFiles},
		{"use the legacy iptables", legacyIPTables},
		{"set the host name", func(g Guest) error { return unix.Sethostname([]byte(g.Node)) }},
		{"set sysctls", func(g Guest) error { return writeSysctls(g.Sysctls) }},
		{"configure the network", configureNetwork},
	}
	for _, s := range steps {
		if err := s.do(g); err != nil {
			return fmt.Errorf("failed to %s: %w", s.what, err)
		}
	}
	return nil
}

func loadGuestModules(g Guest) error {
	f, err := os.Open(filepath.Join(g.ModulesDir, "modules.dep"))
	if err != nil {
		return err
	}
	defer f.Close()
	m, err := ParseModulesDep(f)
	if err != nil {
		return err
	}
	files, err := m.LoadOrder(g.Modules)
	if err != nil {
		return err
	}
	return LoadModules(g.ModulesDir, files, g.ModuleParams)
}

// enterRoot mounts the overlay (the host's root below, a tmpfs above),
// changes into it and mounts the pseudo file systems a node needs.
func enterRoot(Guest) error {
	if err := unix.Mount("tmpfs", "/tmp", "tmpfs", 0, "mode=0755"); err != nil {
		return err
	}
	for _, d := range []string{"/tmp/upper", "/tmp/work", "/tmp/root"} {
		if err := os.Mkdir(d, 0o755); err != nil {
			return err
		}
	}
	if err := unix.Mount("overlay", "/tmp/root", "overlay", 0, "lowerdir=/,upperdir=/tmp/upper,workdir=/tmp/work"); err != nil {
		return fmt.Errorf("overlay: %w", err)
	}
	if err := unix.Chroot("/tmp/root"); err != nil {
		return err
	}
	if err := os.Chdir("/"); err != nil {
		return err
	}
	mounts := []struct{ src, dst, fstype, data string }{
		{"proc", "/proc", "proc", ""},
		{"sysfs", "/sys", "sysfs", ""},
		{"devtmpfs", "/dev", "devtmpfs", ""},
		{"devpts", "/dev/pts", "devpts", "newinstance,ptmxmode=0666"},
		{"tmpfs", "/dev/shm", "tmpfs", "mode=1777"},
		{"tmpfs", "/run", "tmpfs", "mode=0755"},
		{"tmpfs", "/tmp", "tmpfs", "mode=1777"},
		{"cgroup2", "/sys/fs/cgroup", "cgroup2", ""},
	}
	for _, m := range mounts {
		if err := os.MkdirAll(m.dst, 0o755); err != nil {
			return err
		}
		if err := unix.Mount(m.src, m.dst, m.fstype, 0, m.data); err != nil {
			return fmt.Errorf("mount %s on %s: %w", m.fstype, m.dst, err)
		}
	}
	return nil
}

// mountState mounts the host's lab state directory read-write over its
// read-only view, through hostfs, so logs and units reach the host.
func mountState(g Guest) error {
	if g.StateDir == "" {
		return nil
	}
	if err := os.MkdirAll(g.StateDir, 0o755); err != nil {
		return err
	}
	return unix.Mount("none", g.StateDir, "hostfs", 0, g.StateDir)
}

// bindHostFiles binds each of g.HostFiles read-only at its own path: its
// host directory is mounted through hostfs under /run/lblab-guest/host,
// and the file alone is bound from there, so the guest's /tmp stays its
// own.
func bindHostFiles(g Guest) error {
	for i, f := range g.HostFiles {
		dir := fmt.Sprintf("/run/lblab-guest/host/%d", i)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		if err := unix.Mount("none", dir, "hostfs", unix.MS_RDONLY, filepath.Dir(f)); err != nil {
			return fmt.Errorf("%s: %w", filepath.Dir(f), err)
		}
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(f, nil, 0o755); err != nil {
			return err
		}
		if err := unix.Mount(filepath.Join(dir, filepath.Base(f)), f, "", unix.MS_BIND|unix.MS_RDONLY, ""); err != nil {
			return fmt.Errorf("bind %s: %w", f, err)
		}
	}
	return nil
}

// legacyIPTables repoints Debian's iptables alternatives in the overlay.
func legacyIPTables(g Guest) error {
	if !g.LegacyIPTables {
		return nil
	}
	for _, fam := range []string{"iptables", "ip6tables"} {
		for _, suffix := range []string{"", "-save", "-restore"} {
			link := "/etc/alternatives/" + fam + suffix
			_ = os.Remove(link)
			if err := os.Symlink("/usr/sbin/"+fam+"-legacy"+suffix, link); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeSysctls writes "key=value" pairs under /proc/sys.
func writeSysctls(kv []string) error {
	for _, s := range kv {
		k, v, ok := strings.Cut(s, "=")
		if !ok {
			return fmt.Errorf("sysctl %q is not key=value", s)
		}
		path := filepath.Join("/proc/sys", strings.ReplaceAll(k, ".", "/"))
		if err := os.WriteFile(path, []byte(v), 0o644); err != nil {
			return err
		}
	}
	return nil
}
