package netns

import (
	"fmt"
	"net/http"
	"net/url"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// clientset returns a client for a kubeconfig, with rate limits raised for
// lblab's short bursts of requests.
func clientset(kubeconfig string) (kubernetes.Interface, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("failed to load %s: %w", kubeconfig, err)
	}
	cfg.QPS, cfg.Burst = 100, 200
	cfg.Proxy = noProxyFunc // the lab is reached directly, never through the user's proxy
	cfg.UserAgent = "lblab"
	return kubernetes.NewForConfig(cfg)
}

func noProxyFunc(*http.Request) (*url.URL, error) { return nil, nil }
