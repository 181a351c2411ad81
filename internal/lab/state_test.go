package lab

import (
	"reflect"
	"testing"
)

func TestSummaries(t *testing.T) {
	t.Setenv(EnvStateDir, t.TempDir())
	for _, s := range []*State{
		{Name: "b", Backend: "netns", Phase: PhaseReady},
		{Name: "a", Backend: "netns", Phase: PhaseFailed},
		{Name: "k", Backend: "kind", Phase: PhaseReady},
	} {
		if err := SaveState(s); err != nil {
			t.Fatal(err)
		}
	}
	got, err := Summaries("netns", []string{"c", "b", "", "c"})
	if err != nil {
		t.Fatal(err)
	}
	want := []Summary{
		{Name: "a", Backend: "netns", Partial: true},
		{Name: "b", Backend: "netns"},
		{Name: "c", Backend: "netns", Partial: true},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Summaries = %+v\nwant %+v", got, want)
	}
}
