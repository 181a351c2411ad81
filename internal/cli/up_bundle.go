package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/lblab/lblab/internal/diag"
	"github.com/lblab/lblab/internal/lab"
)

// upFailureBundle is what a failed `up` runs before it cleans up (through
// lab.Options.OnFailure): the diagnostics bundle of what exists of the lab,
// the same as verify's (the backend's logs, which on kind are kind's node
// logs and the TOR's and client's container logs; the hosts' state; the
// Kubernetes objects; the state directory without keys), plus the error.
// dir "" puts it under the temporary directory; the path is printed. An
// interrupted `up` writes none.
func upFailureBundle(g *globals, b lab.Backend, dir string) func(ctx context.Context, l *lab.Lab, upErr error) {
	return func(ctx context.Context, l *lab.Lab, upErr error) {
		if errors.Is(upErr, context.Canceled) {
			return
		}
		if dir == "" {
			dir = filepath.Join(os.TempDir(), "lblab-diagnostics", l.Name+"-up-"+time.Now().UTC().Format("20060102-150405"))
		}
		ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		defer cancel()
		step := l.Log.Start("Writing the diagnostics bundle")
		err := upCollector(ctx, b, l, upErr).Write(ctx, dir)
		step.End(err == nil)
		if err != nil {
			fmt.Fprintf(g.stderr, "WARNING: failed to write the diagnostics bundle: %v\n", err)
			return
		}
		fmt.Fprintf(g.stderr, "Diagnostics bundle: %s\n", dir)
	}
}

// upCollector gathers what a half-made lab has; what it cannot reach is
// noted in the bundle.
func upCollector(ctx context.Context, b lab.Backend, l *lab.Lab, upErr error) diag.Collector {
	c := diag.Collector{Dataplane: l.Topology.Dataplane, State: l.StateDir(),
		Logs:  func(ctx context.Context, d string) error { return b.Logs(ctx, l.Name, d) },
		Extra: map[string][]byte{"up-error.txt": []byte(upErr.Error() + "\n")}}
	if hosts, err := b.Nodes(ctx, l.Name); err == nil {
		c.Hosts = hosts
	} else {
		c.Extra["hosts-error.txt"] = []byte(err.Error() + "\n")
	}
	if pb, ok := b.(lab.ProbeBackend); ok {
		c.Probe = pb.ProbePath()
	}
	if _, err := os.Stat(l.Kubeconfig()); err == nil && !l.Options.FabricOnly {
		if cfg, err := clientcmd.BuildConfigFromFlags("", l.Kubeconfig()); err == nil {
			cfg.Timeout = 10 * time.Second
			kc, err1 := kubernetes.NewForConfig(cfg)
			dyn, err2 := dynamic.NewForConfig(cfg)
			if err1 == nil && err2 == nil {
				c.Kube = diag.KubeObjects(kc, dyn)
			}
		}
	}
	return c
}
