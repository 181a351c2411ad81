package cpvip

import (
	"slices"
	"strings"
	"testing"
)

// TestL2State feeds rounds of probes to control-plane<self>'s L2 state,
// each round the digits of the members whose /readyz answers 200, and
// checks what it asks after each: '.' not answering, 'a' answering, 'R'
// answering and announcing again. With these VIPs control-plane3 owns them
// when it is ready, and control-plane2 while it is not.
func TestL2State(t *testing.T) {
	tests := []struct {
		name    string
		members string
		self    string
		rounds  []string
		want    string
		log     string // in a line of the log
	}{
		{"the owner answers after rise probes", "123", "3", []string{"123", "123", "123"}, ".aa",
			"VIP owner: control-plane3 (ready: control-plane1, control-plane2, control-plane3): answering ARP/NDP for 10.89.0.216, fd00:89::d8"},
		{"the others do not", "123", "1", []string{"123", "123"}, "..",
			"VIP owner: control-plane3 (ready: control-plane1, control-plane2, control-plane3): not answering"},
		{"one failure of the owner is below fall", "123", "3", []string{"123", "123", "12", "123"}, ".aaa", "kube-apiserver probe"},
		{"the owner's kube-apiserver fails: another takes over", "123", "2", []string{"123", "123", "12", "12"}, "...a",
			"control-plane3's kube-apiserver not ready (HTTP 500)"},
		{"the owner's kube-apiserver fails: the owner lets go", "123", "3", []string{"123", "123", "12", "12"}, ".aa.",
			"VIP owner: control-plane2 (ready: control-plane1, control-plane2): not answering"},
		{"the owner is back: it takes over again", "123", "3", []string{"12", "12", "123", "123"}, "...a",
			"control-plane3's kube-apiserver ready"},
		{"the owner is back: the interim owner lets go", "123", "2", []string{"12", "12", "123", "123"}, ".aa.",
			"VIP owner: control-plane3 (ready: control-plane1, control-plane2, control-plane3): not answering"},
		{"cut off and back: the owner announces again", "123", "3", []string{"3", "3", "3", "123", "123", "123"}, ".aaaRa",
			"VIP owner: control-plane3 (ready: control-plane1, control-plane2, control-plane3): still answering ARP/NDP for 10.89.0.216, fd00:89::d8; announcing them again"},
		{"another member leaves: the owner announces again", "123", "3", []string{"123", "123", "23", "23", "23"}, ".aaRa",
			"VIP owner: control-plane3 (ready: control-plane2, control-plane3): still answering"},
		{"a member that does not own changes: the others stay quiet", "123", "1", []string{"123", "123", "13", "13"}, "....",
			"VIP owner: control-plane3 (ready: control-plane1, control-plane3): not answering"},
		{"nothing ready", "123", "3", []string{"", "", ""}, "...", "control-plane3's kube-apiserver not ready (HTTP 500)"},
		{"all fail", "123", "3", []string{"123", "123", "", ""}, ".aa.",
			"VIP owner: none (no kube-apiserver ready): not answering ARP/NDP for 10.89.0.216, fd00:89::d8"},
		{"alone", "1", "1", []string{"1", "1", "", ""}, ".aa.", "VIP owner: control-plane1 (ready: control-plane1): answering"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var members []string
			for _, d := range tt.members {
				members = append(members, "control-plane"+string(d))
			}
			s := newL2State("control-plane"+tt.self, members, vips("10.89.0.216", "fd00:89::d8"), 2, 2)
			var got []byte
			var logs []string
			for _, round := range tt.rounds {
				results := map[string]Result{}
				for _, m := range members {
					if strings.Contains(round, m[len(m)-1:]) {
						results[m] = Result{Ready: true, Reason: "HTTP 200"}
					} else {
						results[m] = Result{Reason: "HTTP 500"}
					}
				}
				step := s.observe(results)
				switch {
				case step.reannounce && step.want != nil:
					got = append(got, 'R')
				case step.reannounce:
					t.Fatalf("round %q: announcing again without answering", round)
				case slices.Equal(step.want, s.vips):
					got = append(got, 'a')
				case step.want == nil:
					got = append(got, '.')
				default:
					t.Fatalf("round %q: answering for %v, want all the VIPs or none", round, step.want)
				}
				for _, l := range step.logs {
					logs = append(logs, l.msg)
				}
			}
			if string(got) != tt.want {
				t.Errorf("rounds %q: %s, want %s", tt.rounds, got, tt.want)
			}
			if !slices.ContainsFunc(logs, func(l string) bool { return strings.Contains(l, tt.log) }) {
				t.Errorf("the log %q has no %q", logs, tt.log)
			}
		})
	}
}
