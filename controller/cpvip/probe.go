package cpvip

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// prober asks the local kube-apiserver's /readyz. Every probe opens a new
// connection (no keep-alive, as the kubelet's probes do), so a probe tests
// what a new client would meet: the listener, the TLS handshake and the
// handler. It ignores HTTP(S)_PROXY.
type prober struct {
	url     string
	timeout time.Duration
	client  *http.Client
}

// maxBody is how much of an answer's body is read for its reason.
const maxBody = 64 << 10

func newProber(rawURL, caFile string, timeout time.Duration) (*prober, error) {
	tr := &http.Transport{DisableKeepAlives: true, TLSClientConfig: &tls.Config{MinVersion: tls.VersionTLS12}}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("--ca: failed to read the CA of the kube-apiserver's serving certificate: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--ca %s holds no PEM certificate: give the CA that signed the kube-apiserver's serving certificate", caFile)
		}
		tr.TLSClientConfig.RootCAs = pool
	}
	return &prober{url: rawURL, timeout: timeout, client: &http.Client{Transport: tr}}, nil
}

// probe makes one GET: 200 is ready; any other status, a timeout or an
// error is not, with the reason.
func (p *prober) probe(ctx context.Context) Result {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.url, nil)
	if err != nil {
		return Result{Reason: err.Error()}
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return Result{Reason: p.errReason(err)}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if resp.StatusCode == http.StatusOK {
		return Result{Ready: true, Reason: "HTTP 200"}
	}
	reason := fmt.Sprintf("HTTP %d", resp.StatusCode)
	if line := failedCheck(string(body)); line != "" {
		reason += ": " + line
	} else if err != nil {
		reason += ": " + p.errReason(err)
	}
	return Result{Reason: reason}
}

func (p *prober) errReason(err error) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Sprintf("no answer within %s", p.timeout)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return err.Error()
}

// failedCheck is the line of a /readyz body that says most: the first
// failed check ("[-]etcd failed: reason withheld") when the body lists
// them, else its first non-empty line; at most 200 bytes.
func failedCheck(body string) string {
	var first string
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "[-]") {
			first = line
			break
		}
		if first == "" {
			first = line
		}
	}
	if len(first) > 200 {
		first = first[:200] + "…"
	}
	return first
}
