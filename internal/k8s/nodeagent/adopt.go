package nodeagent

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// adopt takes over what an earlier agent left: it loads the saved pod
// states (their processes keep running and are checked by pid and command
// line on the next sync), tears down pod networks on this node that no
// state explains (in CNI mode: the attachments in libcni's cache, with DEL),
// and frees IPs whose owner is gone. Pods that no longer exist in the API
// are stopped and cleaned up by the first sync of their key.
func (a *Agent) adopt() error {
	dir := filepath.Join(a.cfg.RunDir, "pods")
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("failed to read %s: %w", dir, err)
	}
	var errs []error
	knownVeths, knownNetns := map[string]bool{}, map[string]bool{}
	owners := map[string]bool{}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		st, err := loadPodState(filepath.Join(dir, e.Name()))
		if err != nil {
			a.log.Error("removing a pod directory without a readable state", "dir", e.Name(), "err", err)
			errs = append(errs, os.RemoveAll(filepath.Join(dir, e.Name())))
			continue
		}
		knownVeths[st.HostVeth] = true
		knownNetns[st.Netns] = true
		owners[string(st.UID)] = true
		key := podKey(st.Namespace, st.Name)
		a.setState(key, st)
		a.queue.Add(key)
		a.log.Info("adopting pod", "pod", key, "netns", st.Netns)
	}
	nets, err := a.net.PodNetworks()
	if err != nil {
		errs = append(errs, err)
	}
	for _, p := range nets {
		// Networks listed without a host veth (a plugin chose it) are told
		// apart by namespace.
		if p.HostVeth != "" && knownVeths[p.HostVeth] || p.HostVeth == "" && knownNetns[p.Netns] {
			continue
		}
		a.log.Info("removing an orphaned pod network", "netns", p.Netns)
		errs = append(errs, a.rt.KillNetns(p.Netns), a.net.Teardown(p))
	}
	errs = append(errs, a.wiring.releaseOrphans(owners))
	a.enqueueAll()
	return errors.Join(errs...)
}
