package cpvip

import (
	"bytes"
	"context"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	cpbgp "github.com/lblab/lblab/controller/speaker/bgp"
	"github.com/lblab/lblab/internal/gobgpstate"
)

// TestRunFollowsReadyz runs the speaker against two in-process GoBGP TORs
// on loopback (IPv4 127.0.0.2 and IPv6 ::1, no root needed) and a TLS
// /readyz whose answer the test toggles. Each TOR must hold its family's
// VIP, with the speaker's source address as next hop, exactly while
// /readyz answers 200; the sessions stay up throughout; GoBGP's API shows
// the VIPs as the gobgp CLI would; and a cancelled Run withdraws them.
func TestRunFollowsReadyz(t *testing.T) {
	var ready atomic.Bool
	srv, ca := tlsServer(t, "127.0.0.1", func(w http.ResponseWriter, _ *http.Request) {
		if ready.Load() {
			w.Write([]byte("ok"))
			return
		}
		w.WriteHeader(http.StatusInternalServerError)
		w.Write([]byte("[+]ping ok\n[-]etcd failed: reason withheld\nreadyz check failed\n"))
	})
	from4, from6 := netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("::1")
	tor4 := startTOR(t, netip.MustParseAddr("127.0.0.2"), from4, 64510)
	tor6 := startTOR(t, netip.MustParseAddr("::1"), from6, 64510)
	api := freeAddr(t)
	logs := &syncBuffer{}
	cfg := Config{
		VIPs: []netip.Addr{vip4, vip6}, Peers: []cpbgp.Peer{tor4.peer(from4), tor6.peer(from6)},
		ASN: 64510, RouterID: netip.MustParseAddr("10.0.0.1"),
		ReadyzURL: srv.URL + "/readyz", CAFile: ca, Interval: 50 * time.Millisecond, Timeout: 300 * time.Millisecond,
		GoBGPAPI: api, Logger: slog.New(slog.NewTextHandler(logs, nil)),
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg) }()
	t.Cleanup(func() {
		cancel()
		<-done
		if t.Failed() {
			t.Logf("speaker log:\n%s", logs)
		}
	})

	p4, p6 := netip.PrefixFrom(vip4, 32), netip.PrefixFrom(vip6, 128)
	none := map[netip.Prefix]netip.Addr{}
	both := func(want4, want6 map[netip.Prefix]netip.Addr) func() bool {
		return func() bool {
			rib4, up4, _ := tor4.state()
			rib6, up6, _ := tor6.state()
			return up4 && up6 && maps.Equal(rib4, want4) && maps.Equal(rib6, want6)
		}
	}
	announced4, announced6 := map[netip.Prefix]netip.Addr{p4: from4}, map[netip.Prefix]netip.Addr{p6: from6}

	// Not ready: the sessions come up, and nothing is announced.
	eventually(t, "both sessions up", both(none, none))
	time.Sleep(10 * cfg.Interval)
	if !both(none, none)() {
		t.Fatal("a TOR got a route while /readyz answered 500")
	}
	wantAPI(t, api, nil)

	for round := 1; round <= 2; round++ {
		ready.Store(true)
		eventually(t, "each TOR holding its family's VIP", both(announced4, announced6))
		wantAPI(t, api, []netip.Prefix{p4, p6})
		ready.Store(false)
		eventually(t, "the VIPs withdrawn", both(none, none))
		wantAPI(t, api, nil)
	}
	for _, r := range []*tor{tor4, tor6} {
		if _, _, downs := r.state(); downs != 0 {
			t.Errorf("the session to %s went down %d times; withdrawing must not reset it", r.addr, downs)
		}
	}
	for _, want := range []string{
		"kube-apiserver not ready (HTTP 500: [-]etcd failed: reason withheld): not announcing 192.0.2.10/32, 2001:db8::10/128 yet",
		"kube-apiserver ready: announcing 192.0.2.10/32, 2001:db8::10/128",
		"kube-apiserver not ready (HTTP 500: [-]etcd failed: reason withheld): withdrawing 192.0.2.10/32, 2001:db8::10/128",
	} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("the log has no %q", want)
		}
	}

	// Ready again, then stopped: the VIPs leave the TORs and Run returns nil.
	ready.Store(true)
	eventually(t, "the VIPs back", both(announced4, announced6))
	cancel()
	select {
	case err := <-done:
		done <- err // for the cleanup
		if err != nil {
			t.Fatalf("Run returned %v after its context ended, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return within 5s of its context ending")
	}
	eventually(t, "the VIPs gone from the TORs after the speaker stopped", func() bool {
		rib4, _, _ := tor4.state()
		rib6, _, _ := tor6.state()
		return len(rib4) == 0 && len(rib6) == 0
	})
}

// TestRunRejectsBadConfig: a bad Config fails before GoBGP starts, naming
// the flag.
func TestRunRejectsBadConfig(t *testing.T) {
	c := validConfig()
	c.ASN = 0
	err := Run(context.Background(), c)
	if err == nil || !strings.Contains(err.Error(), "--asn is not set") {
		t.Errorf("error %v, want one naming --asn", err)
	}
}

// wantAPI checks what GoBGP's gRPC API (the gobgp CLI's view) says the
// speaker advertises: both sessions Established, and want in its RIB.
func wantAPI(t *testing.T, api string, want []netip.Prefix) {
	t.Helper()
	st, err := gobgpstate.Read(context.Background(), api)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range st.Neighbors {
		if n.State != "Established" {
			t.Errorf("GoBGP API: neighbour %s is %s, want Established", n.Address, n.State)
		}
	}
	if len(st.Neighbors) != 2 {
		t.Errorf("GoBGP API: %d neighbours, want 2", len(st.Neighbors))
	}
	got := slices.SortedFunc(slices.Values(st.Advertised), netip.Prefix.Compare)
	want = slices.SortedFunc(slices.Values(want), netip.Prefix.Compare)
	if !slices.Equal(got, want) {
		t.Errorf("GoBGP API: global RIB %v, want %v", got, want)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// syncBuffer is a bytes.Buffer for a logger on other goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
