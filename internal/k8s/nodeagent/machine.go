package nodeagent

import (
	"bufio"
	"bytes"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/lblab/lblab/internal/version"
)

// machine is what the Node reports about the machine it runs on. Every node
// of a netns lab shares the machine, so they all report the same capacity.
type machine struct {
	cpus       int
	memory     int64 // bytes
	machineID  string
	bootID     string
	kernel     string
	osImage    string
	arch       string
	nginxVer   string // "1.22.1", or "" when nginx is missing
	nginxNoMod map[string]bool
}

func readMachine() machine {
	m := machine{cpus: runtime.NumCPU(), arch: runtime.GOARCH}
	m.memory = memTotal("/proc/meminfo")
	m.machineID = firstLine("/etc/machine-id")
	m.bootID = firstLine("/proc/sys/kernel/random/boot_id")
	var u syscall.Utsname
	if syscall.Uname(&u) == nil {
		m.kernel = utsString(u.Release[:])
	}
	m.osImage = osImage("/etc/os-release")
	m.nginxVer, m.nginxNoMod = nginxBuild(nginxPath)
	return m
}

func (m machine) capacity(maxPods int) corev1.ResourceList {
	return corev1.ResourceList{
		corev1.ResourceCPU:    *resource.NewQuantity(int64(m.cpus), resource.DecimalSI),
		corev1.ResourceMemory: *resource.NewQuantity(m.memory, resource.BinarySI),
		corev1.ResourcePods:   *resource.NewQuantity(int64(maxPods), resource.DecimalSI),
	}
}

func (m machine) nodeInfo() corev1.NodeSystemInfo {
	return corev1.NodeSystemInfo{
		MachineID:               m.machineID,
		SystemUUID:              m.machineID,
		BootID:                  m.bootID,
		KernelVersion:           m.kernel,
		OSImage:                 m.osImage,
		ContainerRuntimeVersion: "lblab-netns://lblab-node-agent-" + version.Version,
		KubeletVersion:          KubernetesVersion,
		OperatingSystem:         "linux",
		Architecture:            m.arch,
	}
}

func memTotal(path string) int64 {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		// MemTotal:       24578532 kB
		if f := strings.Fields(s.Text()); len(f) >= 2 && f[0] == "MemTotal:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb * 1024
		}
	}
	return 0
}

func firstLine(path string) string {
	data, _ := os.ReadFile(path)
	line, _, _ := strings.Cut(string(data), "\n")
	return strings.TrimSpace(line)
}

func osImage(path string) string {
	data, _ := os.ReadFile(path)
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "PRETTY_NAME="); ok {
			return strings.Trim(v, `"`)
		}
	}
	return "Linux"
}

func utsString(b []int8) string {
	out := make([]byte, 0, len(b))
	for _, c := range b {
		if c == 0 {
			break
		}
		out = append(out, byte(c))
	}
	return string(bytes.TrimSpace(out))
}
