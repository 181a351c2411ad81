package kind

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/lblab/lblab/internal/lab"
	"github.com/lblab/lblab/internal/run"
	"github.com/lblab/lblab/internal/topology"
)

func TestDecodeManifests(t *testing.T) {
	objs, err := decodeManifests([]byte("---\n# only a comment\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: a\n---\n\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 2 || objs[0].GetKind() != "ServiceAccount" || objs[1].GetName() != "b" {
		t.Errorf("objects = %v", objs)
	}
	if _, err := decodeManifests([]byte("kind: [unclosed")); err == nil {
		t.Error("bad YAML decoded")
	}
}

// The runner passes the environment through env(1), streams to the
// caller's writers, and feeds stdin.
func TestExecRunnerEnvAndStreams(t *testing.T) {
	d := newFakeDocker()
	d.addKindNode("l", "l-worker", "worker")
	d.execs["l-worker env A=1 sh -c"] = execResult{Stdout: []byte("out\n"), Stderr: []byte("err\n")}
	r := execRunner{docker: d, container: "l-worker"}
	var stdout, stderr bytes.Buffer
	got, err := r.Run(context.Background(), run.Cmd{Name: "sh", Args: []string{"-c", "cat"}, Env: []string{"A=1"},
		Stdin: strings.NewReader("in"), Stdout: &stdout, Stderr: &stderr})
	if err != nil || len(got) != 0 || stdout.String() != "out\n" || stderr.String() != "err\n" {
		t.Errorf("Run = %q, %v; stdout %q stderr %q", got, err, stdout.String(), stderr.String())
	}
	if string(d.stdin["l-worker env"]) != "in" {
		t.Errorf("stdin = %q", d.stdin["l-worker env"])
	}
	if _, err := (execRunner{docker: d, container: "gone"}).Run(context.Background(), run.Cmd{Name: "true"}); err == nil {
		t.Error("exec in a missing container succeeded")
	}
}

// node-failover freezes the speaker inside the kind node and thaws it.
func TestStopSpeaker(t *testing.T) {
	d := newFakeDocker()
	d.addKindNode("l", "l-worker", "worker")
	b := New(Options{Docker: d}).(*backend)
	ctl := b.Speakers("l")
	restore, err := ctl.StopSpeaker(context.Background(), "l-worker")
	if err != nil {
		t.Fatal(err)
	}
	if err := restore(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := []string{"exec l-worker pkill -STOP -f " + speakerPattern, "exec l-worker pkill -CONT -f " + speakerPattern}
	if got := d.Calls(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("calls = %q", got)
	}
	d.execs["l-worker pkill"] = execResult{ExitCode: 1}
	if _, err := ctl.StopSpeaker(context.Background(), "l-worker"); err == nil || !strings.Contains(err.Error(), "no speaker process") {
		t.Errorf("no speaker: %v", err)
	}
	if _, err := ctl.StopSpeaker(context.Background(), "other-worker"); err == nil {
		t.Error("stopped a speaker of another lab")
	}
	if b.ProbePath() != "/usr/local/bin/lblab" {
		t.Errorf("ProbePath = %s", b.ProbePath())
	}
}

// In a lab of another controller, node-failover freezes that controller's
// speaker.
func TestStopUpstreamSpeaker(t *testing.T) {
	t.Setenv(lab.EnvStateDir, t.TempDir())
	top, err := topology.Load("bgp-ecmp")
	if err != nil {
		t.Fatal(err)
	}
	top.Name, top.Controller.Type = "l", topology.ControllerKubeVIP
	if err := lab.SaveTopology(top); err != nil {
		t.Fatal(err)
	}
	d := newFakeDocker()
	d.addKindNode("l", "l-worker", "worker")
	b := New(Options{Docker: d}).(*backend)
	if _, err := b.Speakers("l").StopSpeaker(context.Background(), "l-worker"); err != nil {
		t.Fatal(err)
	}
	if got := d.Calls(); len(got) != 1 || got[0] != "exec l-worker pkill -STOP -f ^/kube-vip manager( |$)" {
		t.Errorf("calls = %q", got)
	}
}
