package controller

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	"k8s.io/client-go/tools/record"

	"github.com/lblab/lblab/controller/api/v1alpha1"
)

// Main runs the controller against the cluster of cfg until ctx is done:
// metrics, events, and (with opts.LeaderElect) leader election. When it
// loses the leader Lease (the API server was out of reach longer than the
// renew deadline), it throws its state away and runs for leader again with
// a fresh controller, which rebuilds from the Services like a restarted
// process: the netns lab has no kubelet to restart it.
func Main(ctx context.Context, cfg *rest.Config, opts Options, log *slog.Logger) error {
	if os.Getenv("GOGC") == "" {
		// The heap is mostly the informer caches, which change slowly:
		// collecting at 50% growth keeps the peak lower for little CPU.
		debug.SetGCPercent(50)
	}
	core := rest.CopyConfig(cfg)
	core.ContentType = "application/vnd.kubernetes.protobuf"
	core.AcceptContentTypes = "application/vnd.kubernetes.protobuf,application/json"
	client, err := kubernetes.NewForConfig(core)
	if err != nil {
		return fmt.Errorf("failed to create a Kubernetes client: %w", err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("failed to create a Kubernetes client: %w", err)
	}
	// A small correlator cache: the default (4,096 events in each of three
	// caches) costs megabytes at thousands of Services.
	broadcaster := record.NewBroadcaster(record.WithContext(ctx), record.WithCorrelatorOptions(record.CorrelatorOptions{LRUCacheSize: 256}))
	broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: client.CoreV1().Events("")})
	defer broadcaster.Shutdown()
	recorder := broadcaster.NewRecorder(scheme.Scheme, corev1.EventSource{Component: "lblab-controller"})
	m := newMetrics()
	if opts.MetricsAddr != "" {
		stop, err := serveMetrics(opts.MetricsAddr, m.registry, log)
		if err != nil {
			return err
		}
		defer stop()
	}
	if !opts.LeaderElect {
		return newController(client, dyn, recorder, log, opts, m).Run(ctx)
	}
	id := opts.Identity
	if id == "" {
		host, _ := os.Hostname()
		id = host + "_" + strconv.Itoa(os.Getpid())
	}
	for {
		c := newController(client, dyn, recorder, log, opts, m)
		err := lead(ctx, client, c, opts, id, log)
		if ctx.Err() != nil {
			return nil
		}
		log.Warn("lost the leader Lease; running for leader again with fresh state", "err", err)
	}
}

// lead runs c while this instance holds the leader Lease, and returns
// when ctx is done or the Lease is lost.
func lead(ctx context.Context, client kubernetes.Interface, c *Controller, opts Options, id string, log *slog.Logger) error {
	lock := &resourcelock.LeaseLock{
		LeaseMeta:  metav1.ObjectMeta{Namespace: v1alpha1.Namespace, Name: opts.LeaseName},
		Client:     client.CoordinationV1(),
		LockConfig: resourcelock.ResourceLockConfig{Identity: id},
	}
	done := make(chan error, 1)
	leaderelection.RunOrDie(ctx, leaderelection.LeaderElectionConfig{
		Name: "lblab-controller", Lock: lock, ReleaseOnCancel: true,
		LeaseDuration: opts.LeaseDuration, RenewDeadline: opts.RenewDeadline, RetryPeriod: opts.RetryPeriod,
		Callbacks: leaderelection.LeaderCallbacks{
			OnStartedLeading: func(ctx context.Context) {
				log.Info("became leader", "identity", id)
				done <- c.Run(ctx)
			},
			OnStoppedLeading: func() { log.Info("stopped leading", "identity", id) },
		},
	})
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	// Acquiring only gives up when ctx is done: the Lease was held, then
	// lost, and c.Run has been told to stop.
	return errors.Join(<-done, errors.New("lost the leader Lease "+v1alpha1.Namespace+"/"+opts.LeaseName))
}

// serveMetrics serves /metrics and /healthz and returns a stop function.
func serveMetrics(addr string, reg *prometheus.Registry, log *slog.Logger) (func(), error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("failed to listen on --metrics-addr %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics server failed", "err", err)
		}
	}()
	log.Info("serving metrics", "addr", ln.Addr().String())
	return func() { _ = srv.Close() }, nil
}
