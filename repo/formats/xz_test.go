package formats_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"

	"github.com/distroscope/distroscope/repo"
)

// TestXZStructures: the guard that follows an xz file's structure, to
// refuse a dictionary over repo.MaxXZDictionary before the decoder sets it
// aside, passes every structure xz writes — one block or many, sizes in
// the block headers or not, every check, concatenated streams with padding
// — and refuses a dictionary over 64 MiB (xz -9's) in any block. A bomb
// whose header asked for 2 GiB took a worker to 1.1 GB. preset9-sha256.xz
// asks for 64 MiB, and is decoded with 32 MiB (TestXZDictionaryLowered).
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

// TestXZDictionaryLowered: a block that asks for more than
// repo.XZDecodeDictionary (xz -9 asks for 64 MiB) is decoded with that
// much — a bomb made with xz -9 took a worker past its 150 MB target. A
// file whose matches stay within it decodes exactly, setting aside no more
// (the decoder's allocations show it); one whose matches reach back
// further fails as corrupt, saying why.
func TestXZDictionaryLowered(t *testing.T) {
	t.Run("preset9 decodes with less", func(t *testing.T) {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		if _, err := unxz(t, "preset9-sha256.xz"); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		if got := after.TotalAlloc - before.TotalAlloc; got > repo.XZDecodeDictionary+8<<20 {
			t.Errorf("decoding a file whose header asks for 64 MiB allocated %d MiB", got>>20)
		}
	})
	t.Run("a match past it", func(t *testing.T) {
		far := make([]byte, 64<<10)
		rand.New(rand.NewSource(1)).Read(far)
		plain := append(append(bytes.Clone(far), make([]byte, repo.XZDecodeDictionary+1<<20)...), far...)
		var file bytes.Buffer
		zw, err := xz.WriterConfig{DictCap: repo.MaxXZDictionary}.NewWriter(&file)
		if err != nil {
			t.Fatal(err)
		}
		zw.Write(plain)
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		r, closeDec, err := repo.Decompressor("xz", bytes.NewReader(file.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		defer closeDec()
		got, err := io.ReadAll(r)
		want := fmt.Sprintf("a block asks for a dictionary of %d bytes and is decoded with %d", repo.MaxXZDictionary, repo.XZDecodeDictionary)
		if !errors.Is(err, repo.ErrCorrupt) || !strings.Contains(err.Error(), want) {
			t.Errorf("decoded %d of %d bytes: %v; want corrupt, saying %q", len(got), len(plain), err, want)
		}
	})
}

// FuzzXZ: the guard in front of the xz decoder follows hostile structure —
// block headers, chunk sizes, indexes, padding — and rewrites block
// headers; whatever the bytes, decoding ends in data or an error, never a
// panic, and a file the seeds hold intact decodes to the same bytes with
// the guard as the decoder alone would give.
func FuzzXZ(f *testing.F) {
	// The seeds whose dictionaries are small: a decoder sets its whole
	// dictionary aside on every run, and 32 MiB of it made ten runs a
	// second. dict-2GiB.xz's header is here to be mutated around.
	for _, name := range []string{"preset0-crc32.xz", "preset6.xz", "blocks-none.xz", "threads-sized-blocks.xz", "concatenated-padded.xz", "dict-2GiB.xz"} {
		data, err := os.ReadFile(filepath.Join("testdata", "xz", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, closeDec, err := repo.Decompressor("xz", bytes.NewReader(data))
		if err != nil {
			return
		}
		defer closeDec()
		got, err := io.ReadAll(io.LimitReader(r, 256<<10))
		if err != nil {
			return
		}
		plain, perr := xz.NewReader(bytes.NewReader(data))
		if perr != nil {
			t.Fatalf("the guarded decoder read %d bytes of what the decoder refuses: %v", len(got), perr)
		}
		want, _ := io.ReadAll(io.LimitReader(plain, 256<<10))
		if !bytes.Equal(got, want) {
			t.Fatalf("guarded: %d bytes, unguarded: %d bytes, not the same", len(got), len(want))
		}
	})
}
