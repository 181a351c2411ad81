package lab

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/lblab/lblab/internal/status"
	"github.com/lblab/lblab/internal/topology"
)

// fakeBackend records calls and fails where told.
type fakeBackend struct {
	calls         []string
	failProvision error
}

func (f *fakeBackend) Name() string { return "fake" }
func (f *fakeBackend) Check(context.Context, *Lab) error {
	f.calls = append(f.calls, "check")
	return nil
}
func (f *fakeBackend) Deploy(context.Context, *Lab) error {
	f.calls = append(f.calls, "deploy")
	return nil
}
func (f *fakeBackend) Provision(_ context.Context, l *Lab) error {
	f.calls = append(f.calls, "provision")
	if f.failProvision != nil {
		return f.failProvision
	}
	return SaveTopology(l.Topology)
}
func (f *fakeBackend) Delete(_ context.Context, name string) error {
	f.calls = append(f.calls, "delete "+name)
	return nil
}
func (f *fakeBackend) List(context.Context) ([]Summary, error)       { return nil, nil }
func (f *fakeBackend) Nodes(context.Context, string) ([]Node, error) { return nil, nil }
func (f *fakeBackend) Logs(context.Context, string, string) error    { return nil }

func newLab(t *testing.T, topo string, o Options) *Lab {
	t.Helper()
	tp, err := topology.Load(topo)
	if err != nil {
		t.Fatal(err)
	}
	return New(tp, o, status.New(io.Discard, status.Options{}))
}

func TestUpRunsActionsInOrder(t *testing.T) {
	t.Setenv(EnvStateDir, t.TempDir())
	b := &fakeBackend{}
	var order []string
	act := func(name string) Action {
		return Action{Name: name, Run: func(context.Context, *Lab) error { order = append(order, name); return nil }}
	}
	res, err := Up(context.Background(), b, newLab(t, "bgp-ecmp", Options{}), act("controller"), act("workloads"))
	if err != nil {
		t.Fatal(err)
	}
	if res.Existed || strings.Join(b.calls, ",") != "check,provision" || strings.Join(order, ",") != "controller,workloads" {
		t.Errorf("existed=%v calls=%v actions=%v", res.Existed, b.calls, order)
	}
	st, err := LoadState("bgp-ecmp")
	if err != nil || st.Phase != PhaseReady || st.Backend != "fake" {
		t.Errorf("state = %+v, %v", st, err)
	}
	// A second up converges.
	res, err = Up(context.Background(), b, newLab(t, "bgp-ecmp", Options{}))
	if err != nil || !res.Existed {
		t.Errorf("second up: existed=%v err=%v", res.Existed, err)
	}
}

func TestUpCleansUpAFailedNewLab(t *testing.T) {
	for _, retain := range []bool{false, true} {
		t.Run(map[bool]string{false: "cleanup", true: "retain"}[retain], func(t *testing.T) {
			t.Setenv(EnvStateDir, t.TempDir())
			b := &fakeBackend{failProvision: errors.New("boom")}
			_, err := Up(context.Background(), b, newLab(t, "bgp-ecmp", Options{Retain: retain}))
			if err == nil || err.Error() != "boom" {
				t.Fatalf("err = %v", err)
			}
			deleted := strings.Contains(strings.Join(b.calls, ","), "delete bgp-ecmp")
			_, statErr := os.Stat(StateDir("bgp-ecmp"))
			if deleted == retain || (statErr == nil) == !retain {
				t.Errorf("retain=%v: calls=%v state dir exists=%v", retain, b.calls, statErr == nil)
			}
		})
	}
}

// OnFailure runs after a failed provision and before the cleanup, while
// the lab's state is still there, with a live context even when up was
// interrupted; a lab that comes up does not run it.
func TestUpOnFailureRunsBeforeCleanup(t *testing.T) {
	t.Setenv(EnvStateDir, t.TempDir())
	b := &fakeBackend{failProvision: errors.New("boom")}
	var got []string
	hook := func(ctx context.Context, l *Lab, err error) {
		_, statErr := os.Stat(l.StateDir())
		got = append(got, fmt.Sprintf("hook err=%v ctx=%v state=%v after=%s", err, ctx.Err(), statErr == nil, strings.Join(b.calls, ",")))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Up(ctx, b, newLab(t, "bgp-ecmp", Options{OnFailure: hook})); err == nil {
		t.Fatal("up succeeded")
	}
	want := "hook err=boom ctx=<nil> state=true after=check,provision"
	if len(got) != 1 || got[0] != want || b.calls[len(b.calls)-1] != "delete bgp-ecmp" {
		t.Errorf("hook calls %q, backend calls %v; want %q, then the delete", got, b.calls, want)
	}
	got = nil
	if _, err := Up(context.Background(), &fakeBackend{}, newLab(t, "bgp-ecmp", Options{OnFailure: hook})); err != nil || got != nil {
		t.Errorf("a successful up: err %v, hook calls %q", err, got)
	}
}

func TestUpRefusesReshapingARunningLab(t *testing.T) {
	none := func(l *Lab) { l.Topology.Controller.Type = topology.ControllerNone }
	onUML := func(l *Lab) { l.Topology.NodeKernel = topology.NodeKernelUML }
	onHost := func(l *Lab) { l.Topology.NodeKernel = topology.NodeKernelHost }
	dual := func(l *Lab) {
		d, err := topology.Load("bgp-ecmp-dual")
		if err != nil {
			t.Fatal(err)
		}
		d.Name = l.Name
		l.Topology = d
	}
	for _, tc := range []struct {
		name          string
		first, second func(*Lab) // nil: bgp-ecmp as bundled
		fabricOnly    bool       // the first up
		want          string     // "" converges
	}{
		{name: "same topology", want: ""},
		{name: "ipv4 to dual", second: dual, want: `lab "bgp-ecmp" is ipv4 and cannot become dual`},
		{name: "lblab to none", second: none,
			want: `lab "bgp-ecmp" runs with --controller lblab and cannot switch to --controller none while it runs; pass --controller lblab`},
		{name: "none to lblab", first: none,
			want: `lab "bgp-ecmp" runs with --controller none and cannot switch to --controller lblab while it runs; pass --controller none`},
		{name: "fabric-only lab gets a controller type", second: none, fabricOnly: true, want: ""},
		{name: "host to uml", second: onUML,
			want: `lab "bgp-ecmp" runs its workers on nodeKernel host and cannot move them to uml while it runs`},
		{name: "uml to host", first: onUML, second: onHost,
			want: `lab "bgp-ecmp" runs its workers on nodeKernel uml and cannot move them to host`},
		{name: "an empty kernel is the host's", second: onHost, want: ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(EnvStateDir, t.TempDir())
			b := &fakeBackend{}
			for i, shape := range []func(*Lab){tc.first, tc.second} {
				l := newLab(t, "bgp-ecmp", Options{FabricOnly: i == 0 && tc.fabricOnly})
				if shape != nil {
					shape(l)
				}
				_, err := Up(context.Background(), b, l)
				switch {
				case i == 0 && err != nil:
					t.Fatal(err)
				case i == 1 && tc.want == "" && err != nil:
					t.Errorf("converging: %v", err)
				case i == 1 && tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
					t.Errorf("err = %v, want %q", err, tc.want)
				}
			}
		})
	}
}

func TestUpRefusesALabOfAnotherBackend(t *testing.T) {
	t.Setenv(EnvStateDir, t.TempDir())
	if _, err := Up(context.Background(), &fakeBackend{}, newLab(t, "bgp-ecmp", Options{})); err != nil {
		t.Fatal(err)
	}
	_, err := Up(context.Background(), &otherName{&fakeBackend{}}, newLab(t, "bgp-ecmp", Options{}))
	if err == nil || !strings.Contains(err.Error(), "exists on the fake backend") {
		t.Errorf("err = %v", err)
	}
}

type otherName struct{ *fakeBackend }

func (otherName) Name() string { return "other" }
