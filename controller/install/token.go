package install

import (
	"context"
	"fmt"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/lblab/lblab/controller/api/v1alpha1"
)

// ServiceAccounts of the bundled controller, in lblab-system.
const (
	ControllerServiceAccount = "controller"
	SpeakerServiceAccount    = "speaker"
)

// TokenKubeconfig mints a token for a ServiceAccount of lblab-system with
// the TokenRequest API and returns a kubeconfig that uses it, so that a
// process outside a pod (the netns lab) has exactly that account's
// permissions.
func TokenKubeconfig(ctx context.Context, client kubernetes.Interface, sa, server string, caData []byte, ttl time.Duration) ([]byte, error) {
	return TokenKubeconfigIn(ctx, client, v1alpha1.Namespace, sa, server, caData, ttl)
}

// TokenKubeconfigIn is TokenKubeconfig for a ServiceAccount of namespace
// ns (another controller's, e.g. MetalLB's in metallb-system).
func TokenKubeconfigIn(ctx context.Context, client kubernetes.Interface, ns, sa, server string, caData []byte, ttl time.Duration) ([]byte, error) {
	secs := int64(ttl / time.Second)
	tr, err := client.CoreV1().ServiceAccounts(ns).CreateToken(ctx, sa,
		&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &secs}}, metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("failed to mint a token for ServiceAccount %s/%s: %w", ns, sa, err)
	}
	user := "system:serviceaccount:" + ns + ":" + sa
	cfg := clientcmdapi.Config{
		Clusters:       map[string]*clientcmdapi.Cluster{"lab": {Server: server, CertificateAuthorityData: caData}},
		AuthInfos:      map[string]*clientcmdapi.AuthInfo{user: {Token: tr.Status.Token}},
		Contexts:       map[string]*clientcmdapi.Context{user: {Cluster: "lab", AuthInfo: user}},
		CurrentContext: user,
	}
	return clientcmd.Write(cfg)
}
