package externallb

import (
	"context"
	"fmt"
	"log/slog"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/record"
)

// Main runs the controller on the lb host against the cluster of cfg
// until ctx is done: informers, events, metrics (with opts.MetricsAddr)
// and the real Programmer, whose HAProxy is stopped on the way out (the
// LB IPs stay, for the next run to take over). There is one lb host, so
// there is no leader election.
func Main(ctx context.Context, cfg *rest.Config, opts Options, log *slog.Logger) error {
	if err := opts.Validate(); err != nil {
		return err
	}
	if log == nil {
		log = slog.Default()
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("failed to create a Kubernetes client: %w", err)
	}
	broadcaster := record.NewBroadcaster(record.WithContext(ctx))
	broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: client.CoreV1().Events("")})
	defer broadcaster.Shutdown()
	recorder := broadcaster.NewRecorder(scheme.Scheme, corev1.EventSource{Component: Component})
	var c *Controller
	prog := NewLocal(opts, log, func() { c.Resync() })
	defer func() {
		if err := prog.Close(); err != nil {
			log.Error("failed to stop HAProxy", "err", err)
		}
	}()
	c = New(client, recorder, prog, log, opts)
	if opts.MetricsAddr != "" {
		stop, err := serveMetrics(opts.MetricsAddr, c.metrics.registry, log)
		if err != nil {
			return err
		}
		defer stop()
	}
	log.Info("starting", "class", opts.Class, "pools", fmt.Sprint(opts.Pools), "device", opts.Device, "dir", opts.Dir)
	return c.Run(ctx)
}
