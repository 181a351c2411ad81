package table

import (
	"bytes"
	"strings"
	"testing"
)

func TestWrite(t *testing.T) {
	var b bytes.Buffer
	err := Write(&b, []string{"HOST", "ROLE", "IPV4"}, [][]string{
		{"tor", "tor", "10.89.0.1"},
		{"control-plane", "control-plane", "10.89.0.10"},
	})
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("want a header and 2 rows, got:\n%s", b.String())
	}
	if !strings.HasPrefix(lines[0], "HOST") || !strings.Contains(lines[1], "10.89.0.1") {
		t.Errorf("unexpected table:\n%s", b.String())
	}
	// Columns line up: IPV4 starts at the same offset in every line.
	col := strings.Index(lines[0], "IPV4")
	for _, l := range lines[1:] {
		if !strings.HasPrefix(l[col:], "10.89.0.") {
			t.Errorf("column not aligned in %q", l)
		}
	}
}
