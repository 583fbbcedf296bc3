package initsys

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"testing"
	"testing/fstest"
)

// TestResolveLinkLimit: a chain of 40 links resolves, 41 do not — the
// kernel's limit, so that a hostile image cannot keep Detect busy.
func TestResolveLinkLimit(t *testing.T) {
	chain := func(n int) fstest.MapFS {
		fsys := fstest.MapFS{"end": {Data: []byte("x")}}
		for i := range n {
			target := fmt.Sprintf("l%d", i+1)
			if i == n-1 {
				target = "/end"
			}
			fsys[fmt.Sprintf("l%d", i)] = &fstest.MapFile{Data: []byte(target), Mode: os.ModeSymlink | 0o777}
		}
		return fsys
	}
	if got, err := resolve(chain(40), "l0"); err != nil || got != "end" {
		t.Errorf("40 links: %q, %v; want end", got, err)
	}
	if _, err := resolve(chain(41), "l0"); !errors.Is(err, errLoop) {
		t.Errorf("41 links: %v, want %v", err, errLoop)
	}
	if _, err := resolve(chain(3), "l0/x"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a file as a directory: %v, want not exist", err)
	}
}

// TestResolveFileAsDirectory: on a real tree, a file where a directory
// should be (/sbin a regular file) is "not there", not a failure.
func TestResolveFileAsDirectory(t *testing.T) {
	root := t.TempDir()
	if err := os.WriteFile(root+"/sbin", []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := Detect(os.DirFS(root))
	if err != nil || got.Name != None {
		t.Errorf("Detect = %+v, %v; want none", got, err)
	}
}
