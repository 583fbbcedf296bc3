package integration

import (
	"os"
	"path/filepath"
	"testing"
)

// tamperIndex flips a byte in every file of an index, by-hash copies
// too, keeping their sizes: only the Release's hashes can tell.
func tamperIndex(t *testing.T, dir string) {
	t.Helper()
	tampered := 0
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		data[len(data)/2] ^= 0x55
		tampered++
		return os.WriteFile(p, data, 0o644)
	})
	if err != nil || tampered == 0 {
		t.Fatalf("tamper %s: %v (%d files)", dir, err, tampered)
	}
}
