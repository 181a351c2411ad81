package topology

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecode feeds arbitrary bytes to the decoder. It must never panic, and
// whatever it accepts must validate and survive a marshal round trip.
func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.yaml")
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		topo, err := Decode(data)
		if err != nil {
			return
		}
		if err := Validate(topo); err != nil {
			t.Fatalf("Decode accepted a topology that Validate rejects: %v", err)
		}
		out, err := Marshal(topo)
		if err != nil {
			t.Fatalf("Marshal: %v", err)
		}
		if _, err := Decode(out); err != nil {
			t.Fatalf("re-decoding %q: %v", out, err)
		}
	})
}
