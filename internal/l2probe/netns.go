package l2probe

import (
	"fmt"
	"runtime"

	"github.com/vishvananda/netns"
)

// inNetns runs fn on an OS thread inside the namespace at path ("" = run fn
// here, in the caller's namespace). Sockets fn opens stay in that
// namespace after it returns.
func inNetns(path string, fn func() error) error {
	if path == "" {
		return fn()
	}
	ns, err := netns.GetFromPath(path)
	if err != nil {
		return fmt.Errorf("l2probe: opening network namespace %s: %w", path, err)
	}
	defer ns.Close()
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("l2probe: opening the current network namespace: %w", err)
			return
		}
		defer orig.Close()
		if err := netns.Set(ns); err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("l2probe: entering network namespace %s: %w", path, err)
			return
		}
		err = fn()
		// If the thread cannot go back it stays locked: the runtime then
		// ends it with this goroutine instead of reusing it.
		if netns.Set(orig) == nil {
			runtime.UnlockOSThread()
		}
		errc <- err
	}()
	return <-errc
}
