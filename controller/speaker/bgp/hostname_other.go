//go:build !linux

package bgp

import "errors"

func reexecNamed(string, string) error {
	return errors.New("a host name of the speaker's own needs Linux UTS namespaces")
}
