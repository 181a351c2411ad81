package bench

import (
	"context"
	"net/netip"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

func runIn(ns string, argv ...string) (string, error) {
	out, err := exec.Command("ip", append([]string{"netns", "exec", ns}, argv...)...).CombinedOutput()
	return string(out), err
}

// waitFor polls cond every millisecond until it holds, d passes or ctx
// ends.
func waitFor(ctx context.Context, d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) || ctx.Err() != nil {
			return false
		}
		time.Sleep(time.Millisecond)
	}
	return true
}

// ipFor is the bench's address for Service i of a phase (self mode).
func ipFor(phase, i int) netip.Addr {
	n := uint32(phase)<<14 + uint32(i) + 1
	return netip.AddrFrom4([4]byte{100, 64 + byte(n>>16), byte(n >> 8), byte(n)})
}

func host(a netip.Addr) netip.Prefix { return netip.PrefixFrom(a, a.BitLen()) }

// parallel runs fn(0..n-1) on k workers and returns when the last call
// finished; done, when not nil, counts the calls that returned.
func parallel(n, k int, done *atomic.Int64, fn func(i int) error) (time.Time, error) {
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
		last     time.Time
		next     = make(chan int)
	)
	for range k {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				err := fn(i)
				if done != nil {
					done.Add(1)
				}
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				if t := time.Now(); t.After(last) {
					last = t
				}
				mu.Unlock()
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	return last, firstErr
}

// msString formats d in milliseconds with prec decimals.
func msString(d time.Duration, prec int) string {
	return strconv.FormatFloat(float64(d)/1e6, 'f', prec, 64)
}
