package l2probe

import (
	"fmt"

	"github.com/vishvananda/netns"

	"github.com/lblab/lblab/internal/netnsexec"
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
	ran := false
	err = netnsexec.Run(ns, func() error { ran = true; return fn() })
	if err != nil && !ran {
		return fmt.Errorf("l2probe: network namespace %s: %w", path, err)
	}
	return err
}
