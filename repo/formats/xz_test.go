package formats_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distroscope/distroscope/repo"
)

// TestXZStructures: the guard that follows an xz file's structure, to
// refuse a dictionary over repo.MaxXZDictionary before the decoder sets it
// aside, passes every structure xz writes — one block or many, sizes in
// the block headers or not, every check, concatenated streams with padding
// — and refuses a 2 GiB dictionary in any block. A bomb whose header asked
// for 2 GiB took a worker to 1.1 GB.
func TestXZStructures(t *testing.T) {
	const plainSHA256 = "fa57b72e5456c6650f28b46725c714bd603082a23f90cd90fa593a34455598fd"
	for _, name := range []string{"preset6.xz", "preset0-crc32.xz", "preset9-sha256.xz", "blocks-none.xz", "threads-sized-blocks.xz", "concatenated-padded.xz"} {
		t.Run(name, func(t *testing.T) {
			plain, err := unxz(t, name)
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprintf("%x", sha256.Sum256(plain)); got != plainSHA256 {
				t.Errorf("decompressed to %d bytes with SHA256 %s, want %s", len(plain), got, plainSHA256)
			}
		})
	}
	for _, name := range []string{"dict-2GiB.xz", "dict-2GiB-second-block.xz"} {
		t.Run(name, func(t *testing.T) {
			_, err := unxz(t, name)
			if !errors.Is(err, repo.ErrCorrupt) || !strings.Contains(err.Error(), fmt.Sprintf("a dictionary of 2147483648 bytes, more than the %d allowed", repo.MaxXZDictionary)) {
				t.Errorf("got %v, want the dictionary refused as corrupt", err)
			}
		})
	}
}

func unxz(t *testing.T, name string) ([]byte, error) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "xz", name))
	if err != nil {
		t.Fatal(err)
	}
	r, closeDec, err := repo.Decompressor("xz", bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	defer closeDec()
	return io.ReadAll(r)
}
