package speaker

import (
	"errors"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/lblab/lblab/controller/api/v1alpha1"
	"github.com/lblab/lblab/controller/speaker/bgp"
)

// The handlers below run on informer goroutines. Each takes the speaker's
// lock, updates the state, recomputes only what the event can change and
// hands the changed prefixes to the BGP layer before returning.

// serviceChanged handles a Service: ok is false when it is gone or not
// one the speaker announces.
func (s *Speaker) serviceChanged(key string, x service, ok bool) {
	start := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	old, had := s.st.services[key]
	switch {
	case ok:
		if had && old.local == x.local && old.pool == x.pool && slices.Equal(old.ips, x.ips) {
			return
		}
		s.st.services[key] = x
	case had:
		delete(s.st.services, key)
	default:
		return
	}
	var ch changes
	s.st.recompute(key, &ch)
	s.apply(&ch, "service", start)
}

func (s *Speaker) sliceChanged(es *cachedSlice, deleted bool) {
	key := es.service
	if key == "" {
		return
	}
	start := time.Now()
	r := es.ready
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.st.setSlice(key, es.Name, r, deleted) {
		return
	}
	if _, ok := s.st.services[key]; !ok {
		return // endpoints of a Service the speaker does not announce
	}
	var ch changes
	s.st.recompute(key, &ch)
	s.apply(&ch, "endpoints", start)
}

func (s *Speaker) nodeChanged(n *corev1.Node) {
	start := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	var now nodeState
	if n != nil {
		now = nodeFrom(n)
	}
	if now.equal(s.st.node) {
		return
	}
	if s.st.node.eligible() != now.eligible() {
		s.log.Info("node eligibility changed", "eligible", now.eligible(),
			"excluded", now.excluded, "networkUnavailable", now.unavailable, "exists", now.exists)
	}
	s.st.node = now
	s.applyPeers()
	var ch changes
	s.st.recomputeAll(&ch)
	s.apply(&ch, "node", start)
}

func (s *Speaker) peerChanged(p *v1alpha1.BGPPeer, deleted bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case deleted:
		delete(s.st.peers, p.Name)
	case invalid(p.Status.Conditions, p.Generation):
		if _, ok := s.st.peers[p.Name]; ok {
			s.log.Warn("BGPPeer is marked invalid by the controller; keeping its last valid spec", "peer", p.Name)
		} else {
			s.log.Warn("BGPPeer is marked invalid by the controller; ignoring it", "peer", p.Name)
		}
		return
	default:
		s.st.peers[p.Name] = p
	}
	s.applyPeers()
}

func (s *Speaker) advertisementChanged(a *v1alpha1.BGPAdvertisement, deleted bool) {
	start := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case deleted:
		delete(s.st.advs, a.Name)
	case invalid(a.Status.Conditions, a.Generation):
		s.log.Warn("BGPAdvertisement is marked invalid by the controller; keeping its last valid spec, if any", "advertisement", a.Name)
		return
	default:
		s.st.advs[a.Name] = a
	}
	s.st.parsed = s.st.parsed[:0]
	for _, name := range sortedKeys(s.st.advs) {
		x, err := advertisementFrom(s.st.advs[name])
		if err != nil {
			s.log.Error("ignoring BGPAdvertisement", "error", err)
			continue
		}
		s.st.parsed = append(s.st.parsed, x)
	}
	var ch changes
	s.st.recomputeAll(&ch)
	s.apply(&ch, "advertisement", start)
}

func (s *Speaker) secretChanged(sec *corev1.Secret, deleted bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	used := false
	for _, p := range s.st.peers {
		used = used || p.Spec.PasswordSecret == sec.Name
	}
	if deleted {
		delete(s.st.secrets, sec.Name)
	} else {
		s.st.secrets[sec.Name] = sec
	}
	if used {
		s.applyPeers()
	}
}

// peersForNode builds this node's sessions; with mu held.
func (s *Speaker) peersForNode() ([]bgp.Peer, []error) {
	var (
		out  []bgp.Peer
		errs []error
	)
	if !s.st.node.exists {
		return nil, nil
	}
	for _, name := range sortedKeys(s.st.peers) {
		p, ok, err := peerFor(s.st.peers[name], s.st.node.labels, s.st.secrets)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if ok {
			p.LocalAddress = sourceFor(s.cfg.SourceAddrs, p.Address)
			out = append(out, p)
		}
	}
	return out, errs
}

// applyPeers configures the BGP layer's sessions; with mu held.
func (s *Speaker) applyPeers() {
	if s.ann == nil {
		return
	}
	peers, errs := s.peersForNode()
	if err := s.ann.SetPeers(s.ctx, peers); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		s.log.Error("some BGP peers are not configured", "error", errors.Join(errs...))
	}
	names := make([]string, len(peers))
	for i, p := range peers {
		names[i] = p.Name + "=" + p.Address.String()
		if p.LocalAddress.IsValid() {
			names[i] += " from " + p.LocalAddress.String()
		}
	}
	s.log.Info("BGP peers", "peers", strings.Join(names, ","))
	s.kickStatus()
}

// apply hands changes to the BGP layer; with mu held. A failure schedules
// a full reconcile with backoff.
func (s *Speaker) apply(ch *changes, kind string, start time.Time) {
	if ch.empty() {
		return
	}
	if s.ann == nil {
		return // Run announces everything desired once BGP starts
	}
	var errs []error
	if len(ch.withdraw) > 0 {
		if err := s.ann.Withdraw(s.ctx, ch.withdraw...); err != nil {
			errs = append(errs, err)
		}
	}
	if len(ch.announce) > 0 {
		if err := s.ann.Announce(s.ctx, ch.announce...); err != nil {
			errs = append(errs, err)
		}
	}
	if m := s.cfg.Metrics; m != nil {
		m.applied(kind, len(ch.announce), len(ch.withdraw), len(s.st.desired), time.Since(start))
	}
	if len(errs) > 0 {
		s.log.Error("failed to update BGP announcements; retrying", "error", errors.Join(errs...))
		s.scheduleRetry()
	}
	s.kickStatus()
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
