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

	"github.com/klauspost/compress/zstd"

	"github.com/distroscope/distroscope/repo"
)

// TestXZStructures: the guard that follows an xz file's structure, to
// refuse a dictionary over repo.MaxXZDictionary before the decoder sets it
// aside, passes every structure xz writes — one block or many, sizes in
// the block headers or not, every check, concatenated streams with padding
// — and refuses a dictionary over 64 MiB (xz -9's) in any block. A bomb
// whose header asked for 2 GiB took a worker to 1.1 GB.
func TestXZStructures(t *testing.T) {
	const plainSHA256 = "fa57b72e5456c6650f28b46725c714bd603082a23f90cd90fa593a34455598fd"
	for _, name := range []string{"preset6.xz", "preset0-crc32.xz", "preset8-sha256.xz", "preset9-sha256.xz", "blocks-none.xz", "threads-sized-blocks.xz", "concatenated-padded.xz"} {
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
	for name, dict := range map[string]int{"dict-2GiB.xz": 2 << 30, "dict-2GiB-second-block.xz": 2 << 30} {
		t.Run(name, func(t *testing.T) {
			_, err := unxz(t, name)
			if !errors.Is(err, repo.ErrCorrupt) || !strings.Contains(err.Error(), fmt.Sprintf("a dictionary of %d bytes, more than the %d allowed", dict, repo.MaxXZDictionary)) {
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

// TestZstdWindow: a zstd frame may ask for a window of at most
// repo.MaxZstdWindow, which the decoder fills as it decodes — a bomb made
// with a 128 MiB window took a worker to 222 MB, one of 64 MiB to 161 MB.
func TestZstdWindow(t *testing.T) {
	plain := bytes.Repeat([]byte("Package: a0\nVersion: 1\nArchitecture: all\n\n"), 1000)
	var frame bytes.Buffer
	zw, err := zstd.NewWriter(&frame, zstd.WithWindowSize(1<<20), zstd.WithSingleSegment(false))
	if err != nil {
		t.Fatal(err)
	}
	zw.Write(plain)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if fhd := frame.Bytes()[4]; fhd&0x20 != 0 {
		t.Fatalf("frame header %#x is single-segment: no window descriptor to change", fhd)
	}
	for _, tt := range []struct {
		log int // the window is 2^log bytes
		ok  bool
	}{{20, true}, {25, true}, {26, false}, {27, false}} {
		t.Run(fmt.Sprint(1<<(tt.log-20), "MiB"), func(t *testing.T) {
			data := bytes.Clone(frame.Bytes())
			data[5] = byte(tt.log-10) << 3 // the window descriptor: exponent, no mantissa
			r, closeDec, err := repo.Decompressor("zst", bytes.NewReader(data))
			if err == nil {
				defer closeDec()
				var got []byte
				got, err = io.ReadAll(r)
				if err == nil && !bytes.Equal(got, plain) {
					t.Fatalf("decompressed %d bytes, want %d", len(got), len(plain))
				}
			}
			if tt.ok && err != nil {
				t.Errorf("a window of 2^%d bytes: %v", tt.log, err)
			}
			if !tt.ok && (err == nil || !strings.Contains(err.Error(), "window size")) {
				t.Errorf("a window of 2^%d bytes: got %v, want it refused", tt.log, err)
			}
		})
	}
}
