//go:build !linux

package bfd

import (
	"errors"
	"syscall"
)

// bindToDevice: binding to an interface is only implemented on Linux.
func bindToDevice(ifname string) func(network, address string, c syscall.RawConn) error {
	if ifname == "" {
		return nil
	}
	return func(string, string, syscall.RawConn) error {
		return errors.New("bfd: binding to an interface needs Linux")
	}
}
