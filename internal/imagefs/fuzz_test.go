package imagefs

import (
	"bytes"
	"context"
	"errors"
	"os"
	"testing"
)

// FuzzApply applies arbitrary bytes as two layers: each either is refused
// with an *Error or leaves a consistent tree (checkTree), and nothing
// panics. Limits are small so that one input costs milliseconds.
func FuzzApply(f *testing.F) {
	for _, p := range hostileFiles(f) {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add(layer(f, dir("etc/"), reg("etc/a", "a"), hard("etc/b", "etc/a"), sym("etc/c", "/etc/a"), reg("opq/.wh..wh..opq", ""), whiteout("etc", "a")))
	f.Add(gzipped(f, layer(f, reg("f", "x"), dir("f/"), reg("f/g", "y"))))
	lim := Limits{MaxEntries: 2000, MaxLayerBytes: 4 << 20, MaxFileBytes: 1 << 20, MaxCaptureBytes: 1 << 20, MaxLinkDepth: 8, MaxPathBytes: 512}
	f.Fuzz(func(t *testing.T, data []byte) {
		tree := New(lim)
		for i := range 2 {
			_, err := tree.Apply(context.Background(), bytes.NewReader(data), ApplyOptions{Layer: i, Digests: []Algo{"sha256"}, Capture: func(p string) bool { return len(p)%2 == 0 }})
			if err != nil {
				var e *Error
				if !errors.As(err, &e) && i == 0 {
					t.Fatalf("an error that is no *Error: %v", err)
				}
				return
			}
			checkTree(t, tree)
			tree.Walk("/", func(n *Node) error {
				if n.Type == Symlink {
					tree.Resolve(n.Path)
				}
				return nil
			})
		}
	})
}
