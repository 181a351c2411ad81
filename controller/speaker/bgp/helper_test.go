package bgp

import (
	"bufio"
	"context"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"
)

// envHelper turns the test binary into a speaker helper process. The
// integration test starts the binary inside a lab node's network namespace
// (a goroutine cannot move GoBGP's sockets into another namespace) with:
//
//	LBLAB_SPEAKER_HELPER=<router ID>  SPEAKER_PEERS=name=addr,...
//
// and drives it over stdin: "announce IP", "withdraw IP", "sessions"; it
// answers each line with "ok", "error: ..." or the established count, and
// stops GoBGP (CEASE to the peers) when stdin closes.
const envHelper = "LBLAB_SPEAKER_HELPER"

func TestHelperSpeakerProcess(t *testing.T) {
	routerID := os.Getenv(envHelper)
	if routerID == "" {
		t.Skip("helper process for TestIntegration*; runs only when started by them")
	}
	if err := runHelper(routerID, os.Getenv("SPEAKER_PEERS")); err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

func runHelper(routerID, peerList string) error {
	ctx := context.Background()
	s, err := Start(ctx, Config{RouterID: netip.MustParseAddr(routerID), ASN: 64500})
	if err != nil {
		return err
	}
	defer s.Stop()
	var peers []Peer
	for _, kv := range strings.Split(peerList, ",") {
		name, addr, _ := strings.Cut(kv, "=")
		peers = append(peers, Peer{Name: name, Address: netip.MustParseAddr(addr), ASN: 64496, LocalASN: 64500,
			HoldTime: 9 * time.Second, KeepaliveTime: 3 * time.Second})
	}
	if err := s.SetPeers(ctx, peers); err != nil {
		return err
	}
	fmt.Println("ready")
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		verb, arg, _ := strings.Cut(strings.TrimSpace(in.Text()), " ")
		switch verb {
		case "announce", "withdraw":
			a, err := netip.ParseAddr(arg)
			if err != nil {
				fmt.Println("error:", err)
				continue
			}
			if verb == "announce" {
				err = s.Announce(ctx, NewAdvertisement(a, nil, 0, nil))
			} else {
				err = s.Withdraw(ctx, NewAdvertisement(a, nil, 0, nil).Prefix)
			}
			if err != nil {
				fmt.Println("error:", err)
				continue
			}
			fmt.Println("ok")
		case "sessions":
			st, err := s.Sessions(ctx)
			if err != nil {
				fmt.Println("error:", err)
				continue
			}
			up := 0
			for _, x := range st {
				if x.State == Established {
					up++
				}
			}
			fmt.Println(up)
		default:
			fmt.Println("error: unknown command", verb)
		}
	}
	return nil
}
