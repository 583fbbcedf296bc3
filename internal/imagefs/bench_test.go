package imagefs

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// benchRoot writes a tree shaped like a minbase root filesystem: 30,000
// small files in 1,500 directories, a symlink per 10 files.
func benchRoot(b *testing.B) string {
	b.Helper()
	root := b.TempDir()
	for d := range 1500 {
		dir := filepath.Join(root, "usr", fmt.Sprintf("d%02d", d%40), fmt.Sprintf("sub%04d", d))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			b.Fatal(err)
		}
		for f := range 20 {
			p := filepath.Join(dir, fmt.Sprintf("file%02d", f))
			if err := os.WriteFile(p, []byte(p), 0o644); err != nil {
				b.Fatal(err)
			}
			if f%10 == 0 {
				if err := os.Symlink(filepath.Base(p), p+".link"); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	return root
}

func BenchmarkFromDir(b *testing.B) {
	root := benchRoot(b)
	b.ResetTimer()
	for b.Loop() {
		tree, err := FromDir(context.Background(), root, Limits{}, ApplyOptions{})
		if err != nil {
			b.Fatal(err)
		}
		tree.Close()
	}
}

func BenchmarkFromTarFile(b *testing.B) {
	root := benchRoot(b)
	p := filepath.Join(b.TempDir(), "root.tar")
	f, err := os.Create(p)
	if err != nil {
		b.Fatal(err)
	}
	writeTar(b, root, f, true)
	f.Close()
	b.ResetTimer()
	for b.Loop() {
		tree, err := FromTarFile(context.Background(), p, Limits{}, ApplyOptions{})
		if err != nil {
			b.Fatal(err)
		}
		tree.Close()
	}
}
