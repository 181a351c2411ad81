package speaker

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/lblab/lblab/controller/api/v1alpha1"
)

// Run starts the informers, waits for this node's Node object, starts the
// BGP layer with the node's router ID, announces what is desired, and then
// follows events until ctx ends. It stops the BGP layer on the way out
// (GoBGP sends CEASE, so peers withdraw at once).
func (s *Speaker) Run(ctx context.Context) error {
	s.ctx = ctx
	set, err := s.informers()
	if err != nil {
		return err
	}
	set.start(ctx.Done())
	defer set.shutdown()
	if !cache.WaitForCacheSync(ctx.Done(), set.synced...) {
		return fmt.Errorf("failed to sync informers: %w", context.Cause(ctx))
	}
	routerID, asn, err := s.waitNode(ctx)
	if err != nil {
		return err
	}
	ann, err := s.cfg.StartBGP(ctx, BGPConfig{RouterID: routerID, ASN: asn, OnSessionChange: s.onSessionChange})
	if err != nil {
		return err
	}
	if s.cfg.Metrics != nil {
		s.cfg.Metrics.setSessions(ann.Sessions)
		defer s.cfg.Metrics.setSessions(nil)
	}

	s.mu.Lock()
	s.ann = ann
	s.applyPeers()
	if err := ann.Set(ctx, s.st.desiredList()...); err != nil {
		s.log.Error("failed to announce; retrying", "error", err)
		s.scheduleRetry()
	}
	n := len(s.st.desired)
	s.mu.Unlock()
	s.log.Info("speaker running", "routerID", routerID, "asn", asn, "prefixes", n, "sourceAddrs", s.cfg.SourceAddrs)

	statusDone := make(chan struct{})
	go func() {
		defer close(statusDone)
		s.statusLoop(ctx)
	}()
	l2Done := make(chan struct{})
	go func() {
		defer close(l2Done)
		if s.cfg.L2 == nil {
			return
		}
		s.cfg.L2.OnStatusChange(s.kickStatus)
		if err := s.cfg.L2.Run(ctx); err != nil {
			s.log.Error("L2 mode stopped", "error", err)
		}
	}()
	<-ctx.Done()
	<-l2Done
	s.mu.Lock()
	if s.retry != nil {
		s.retry.Stop()
	}
	s.ann = nil
	s.mu.Unlock()
	<-statusDone
	s.finalStatus(ann)
	return nil
}

// finalStatus records a clean stop in the SpeakerStatus: the sessions are
// closed (GoBGP sends CEASE as it stops) and nothing is advertised. A
// killed speaker cannot do this; its lastUpdate then tells the age.
func (s *Speaker) finalStatus(ann Announcer) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	sessions, _ := ann.Sessions(ctx)
	ann.Stop()
	st := v1alpha1.SpeakerStatusStatus{Node: s.cfg.Node, LastUpdate: metav1.Now()}
	for _, x := range sessions {
		st.Sessions = append(st.Sessions, v1alpha1.BGPSessionStatus{
			Peer: x.Peer, PeerAddress: x.Address.String(), State: "Idle", Since: &st.LastUpdate,
		})
	}
	if err := s.writeStatus(ctx, st); err != nil {
		s.log.Warn("failed to record the stop in SpeakerStatus", "error", err)
	}
}

// waitNode waits until the informer has this node's Node object, and
// returns its router ID and the AS of the first BGPPeer that selects it.
func (s *Speaker) waitNode(ctx context.Context) (netip.Addr, uint32, error) {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	warn := time.Now().Add(10 * time.Second)
	for {
		s.mu.Lock()
		node := s.st.node
		peers, _ := s.peersForNode()
		s.mu.Unlock()
		if node.exists {
			asn := uint32(defaultASN)
			if len(peers) > 0 {
				asn = peers[0].LocalASN
			}
			id := routerID(s.cfg.SourceAddrs, node.ips, s.cfg.Node)
			if id == sourceRouterID(s.cfg.SourceAddrs) {
				s.log.Info("the router ID is the IPv4 source address, not the node's InternalIP", "routerID", id, "nodeIPs", node.ips)
			}
			return id, asn, nil
		}
		if time.Now().After(warn) {
			s.log.Warn("waiting for the Node object")
			warn = time.Now().Add(30 * time.Second)
		}
		select {
		case <-ctx.Done():
			return netip.Addr{}, 0, fmt.Errorf("node %s never appeared: %w", s.cfg.Node, context.Cause(ctx))
		case <-tick.C:
		}
	}
}

// Retry backoff after a failed apply.
const (
	retryMin = 500 * time.Millisecond
	retryMax = 30 * time.Second
)

// scheduleRetry arranges a full reconcile; with mu held.
func (s *Speaker) scheduleRetry() {
	if s.retry != nil {
		return
	}
	delay := retryMin
	var fire func()
	fire = func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.ann == nil {
			s.retry = nil
			return
		}
		peers, _ := s.peersForNode()
		if err := s.ann.SetPeers(s.ctx, peers); err != nil {
			s.log.Error("some BGP peers are not configured", "error", err)
		}
		err := s.ann.Set(s.ctx, s.st.desiredList()...)
		if err == nil {
			s.log.Info("BGP announcements reconciled after a failure", "prefixes", len(s.st.desired))
			s.retry = nil
			s.kickStatus()
			return
		}
		delay = min(2*delay, retryMax)
		s.log.Error("failed to reconcile BGP announcements; retrying", "error", err, "in", delay)
		s.retry = time.AfterFunc(delay, fire)
	}
	s.retry = time.AfterFunc(delay, fire)
}

// Desired returns the advertisements the speaker wants announced, sorted
// by prefix (for tests and debugging).
func (s *Speaker) Desired() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.st.desired))
	for _, a := range s.st.desired {
		out = append(out, a.String())
	}
	slices.Sort(out)
	return out
}
