package components

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/lblab/lblab/internal/run"
)

var versionRE = regexp.MustCompile(`v?(\d+)\.(\d+)\.(\d+)[^\s",]*`)

// fromDir uses prebuilt binaries from o.BinDir, after checking that they
// exist and run at the pinned minor version. Official Kubernetes releases
// do not ship etcd: when it is not in the directory, the pinned build is
// used.
func fromDir(ctx context.Context, o Options, names []string) (Binaries, error) {
	dir, err := filepath.Abs(o.BinDir)
	if err != nil {
		return nil, err
	}
	out := Binaries{}
	var missing []string
	buildEtcd := false
	for _, n := range names {
		p := filepath.Join(dir, n)
		fi, err := os.Stat(p)
		switch {
		case err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0:
			out[n] = p
		case n == Etcd:
			buildEtcd = true
		default:
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("--k8s-bin-dir %s lacks %s (or they are not executable); put the Kubernetes %s server binaries there, "+
			"or leave --k8s-bin-dir and LBLAB_K8S_BIN_DIR unset so that lblab builds the pinned %s",
			dir, strings.Join(missing, ", "), minor(KubernetesVersion), KubernetesVersion)
	}
	versions, err := checkVersions(ctx, o.Runner, dir, out)
	if err != nil {
		return nil, err
	}
	var report []string
	for _, n := range names {
		if v, ok := versions[n]; ok {
			report = append(report, n+" "+v)
		}
	}
	o.Log.Infof("Using prebuilt binaries from %s: %s", dir, strings.Join(report, ", "))
	if buildEtcd {
		o.Log.Infof("etcd is not in %s (Kubernetes releases do not ship it); using lblab's etcd %s", dir, EtcdVersion)
		b, err := ensureBuilt(ctx, o, []string{Etcd})
		if err != nil {
			return nil, err
		}
		out[Etcd] = b[Etcd]
	}
	return out, nil
}

// checkVersions runs every binary's version command and refuses another
// Kubernetes minor version (or an etcd that is not 3.x).
func checkVersions(ctx context.Context, r run.Runner, dir string, bins Binaries) (map[string]string, error) {
	var (
		mu       sync.Mutex
		wg       sync.WaitGroup
		versions = map[string]string{}
		problems []string
	)
	for name, path := range bins {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := binaryVersion(ctx, r, name, path)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				problems = append(problems, err.Error())
				return
			}
			versions[name] = v
			if p := versionProblem(name, v); p != "" {
				problems = append(problems, p)
			}
		}()
	}
	wg.Wait()
	if len(problems) > 0 {
		slices.Sort(problems)
		return nil, fmt.Errorf("cannot use the binaries in %s:\n  - %s", dir, strings.Join(problems, "\n  - "))
	}
	return versions, nil
}

// binaryVersion returns the version a component reports, e.g. "v1.37.2".
func binaryVersion(ctx context.Context, r run.Runner, name, path string) (string, error) {
	args := []string{"--version"}
	if name == Kubectl {
		args = []string{"version", "--client"}
	}
	out, err := r.Run(ctx, run.Cmd{Name: path, Args: args})
	if err != nil {
		return "", fmt.Errorf("%s %s failed: %v", path, strings.Join(args, " "), err)
	}
	m := versionRE.FindString(string(out))
	if m == "" {
		return "", fmt.Errorf("%s %s printed no version: %q", path, strings.Join(args, " "), strings.TrimSpace(string(out)))
	}
	if !strings.HasPrefix(m, "v") {
		m = "v" + m
	}
	return m, nil
}

// versionProblem says why a version cannot be used, or "".
func versionProblem(name, v string) string {
	if name == Etcd {
		if !strings.HasPrefix(v, "v3.") {
			return fmt.Sprintf("etcd is %s; Kubernetes %s needs etcd 3.x (lblab pins %s)", v, minor(KubernetesVersion), EtcdVersion)
		}
		return ""
	}
	if minor(v) != minor(KubernetesVersion) {
		return fmt.Sprintf("%s is %s, but lblab runs Kubernetes %s (pinned %s); use %s.x binaries, or unset --k8s-bin-dir to build the pinned ones",
			name, v, minor(KubernetesVersion), KubernetesVersion, minor(KubernetesVersion))
	}
	return ""
}
