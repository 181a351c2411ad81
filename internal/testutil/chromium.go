package testutil

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// chromiumNames are the names Chromium's binary goes by.
var chromiumNames = []string{"chromium", "chromium-browser", "chromium-headless-shell"}

// Chromium returns the path of a Chromium binary for a test that opens a
// page in it. Without one the test skips, or fails under
// LBLAB_INTEGRATION=1 (make setup installs Debian's chromium).
func Chromium(t testing.TB) string {
	t.Helper()
	for _, name := range chromiumNames {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv(EnvIntegration) == "1" {
		t.Fatalf("none of %s is installed, and LBLAB_INTEGRATION=1 says this test must run (make setup)", strings.Join(chromiumNames, ", "))
	}
	t.Skipf("none of %s is installed (apt-get install chromium)", strings.Join(chromiumNames, ", "))
	return ""
}

// Headless runs Chromium headless on url with args, in a 1200×900 window,
// and returns its stdout (the DOM with --dump-dom).
func Headless(t testing.TB, bin, url string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	args = append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--user-data-dir=" + t.TempDir(), "--window-size=1200,900"}, args...)
	cmd := exec.CommandContext(ctx, bin, append(args, url)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", bin, strings.Join(args, " "), err, stderr.String())
	}
	return stdout.Bytes()
}

// Screenshot opens url in headless Chromium and returns what it drew.
func Screenshot(t testing.TB, bin, url string) image.Image {
	t.Helper()
	shot := filepath.Join(t.TempDir(), "shot.png")
	Headless(t, bin, url, "--screenshot="+shot)
	f, err := os.Open(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("the screenshot is not a PNG: %v", err)
	}
	return img
}

// Inked returns how many distinct colours img has and the share of its
// pixels that are not white: a rendered page has many colours and ink.
func Inked(img image.Image) (colours int, share float64) {
	seen := map[[3]uint32]bool{}
	var pixels, white int
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			seen[[3]uint32{r >> 8, g >> 8, bl >> 8}] = true
			pixels++
			if r>>8 == 255 && g>>8 == 255 && bl>>8 == 255 {
				white++
			}
		}
	}
	if pixels == 0 {
		return 0, 0
	}
	return len(seen), float64(pixels-white) / float64(pixels)
}
