package proc

import (
	"os"
	"os/exec"
	"slices"
	"testing"
)

func TestOwnedPIDs(t *testing.T) {
	tests := []struct {
		name  string
		env   string
		owned bool
	}{
		{"marked", OwnerEnv + "=lab1", true},
		{"another lab", OwnerEnv + "=lab10", false},
		{"value elsewhere", "OTHER=" + OwnerEnv + "=lab1x", false},
		{"unmarked", "OTHER=lab1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command("sleep", "30")
			cmd.Env = append(os.Environ(), tt.env)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
			pids, err := OwnedPIDs("lab1")
			if err != nil {
				t.Fatal(err)
			}
			if got := slices.Contains(pids, cmd.Process.Pid); got != tt.owned {
				t.Errorf("owned = %v, want %v (pids %v)", got, tt.owned, pids)
			}
		})
	}
}
