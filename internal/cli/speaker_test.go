package cli

import (
	"strings"
	"testing"
)

func TestSpeakerRejectsBadFlags(t *testing.T) {
	t.Setenv("NODE_NAME", "")
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"speaker", "--kubeconfig", "x"}, "no node name: pass --node NAME"},
		{[]string{"speaker", "--node", "node1", "--kubeconfig", "/nonexistent/kubeconfig"}, "failed to load kubeconfig /nonexistent/kubeconfig"},
		{[]string{"speaker", "extra"}, "unknown command"},
	}
	for _, tt := range tests {
		_, _, err := runCLI(t, tt.args...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("lblab %s: error %v, want %q", strings.Join(tt.args, " "), err, tt.want)
		}
	}
}
