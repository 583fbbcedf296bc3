package compare

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/datasets/datasetstest"
	"github.com/distroscope/distroscope/store"
	"github.com/distroscope/distroscope/store/storetest"
)

// flipOffsets are the bytes of a Parquet file of size bytes whose footer
// is footerLen bytes long that TestLoadRefusesFlippedBits flips a bit of:
// spread over the data pages, and in the footer, its length and its magic.
func flipOffsets(size, footerLen int) map[string]int {
	footer := size - 8 - footerLen
	return map[string]int{
		"first page header": 6,
		"first page data":   40,
		"data at 1/8":       size / 8,
		"data at 1/4":       size / 4,
		"data at 3/8":       3 * size / 8,
		"data at 1/2":       size / 2,
		"data at 5/8":       5 * size / 8,
		"data at 3/4":       3 * size / 4,
		"last page":         footer - 10,
		"footer start":      footer + 3,
		"footer middle":     footer + footerLen/2,
		"footer end":        size - 9,
		"footer length":     size - 8,
		"trailing magic":    size - 2,
	}
}

// TestLoadRefusesFlippedBits flips one bit at a time in a committed
// packages file — in its data pages and in its footer — and checks that
// loading it, alone or with the other side, fails as corrupt naming the
// file, whether it is read in place (local folder) or spooled (S3). Arrow
// checks no page checksum, so most of these flips used to read as other
// values: haskell-monad-loops became haskell-monad-lomps.
func TestLoadRefusesFlippedBits(t *testing.T) {
	for _, spool := range []bool{false, true} {
		t.Run(fmt.Sprintf("spooled=%v", spool), func(t *testing.T) {
			local := localStore(t)
			committedSides(t, local)
			var st store.Store = local
			if spool {
				st = streamingStore{local}
			}
			s := storageOf(t, st)
			ctx := context.Background()
			key := datasets.Packages.DataKey(newPart)
			clean := storetest.Get(t, local, key)
			footerLen := int(binary.LittleEndian.Uint32(clean[len(clean)-8:]))
			for name, off := range flipOffsets(len(clean), footerLen) {
				for _, bit := range []uint{0, 5} {
					flipped := bytes.Clone(clean)
					flipped[off] ^= 1 << bit
					storetest.Put(t, local, key, flipped)
					snap, err := s.Load(ctx, newPart)
					if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), key) {
						rows := -1
						if snap != nil {
							rows = snap.Len()
						}
						t.Errorf("%s (byte %d, bit %d): Load = %d rows, %v; want an error wrapping ErrCorrupt naming %s", name, off, bit, rows, err, key)
						continue
					}
					if _, _, err := s.LoadBoth(ctx, oldPart, newPart); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), key) {
						t.Errorf("%s (byte %d, bit %d): LoadBoth = %v; want an error wrapping ErrCorrupt naming %s", name, off, bit, err, key)
					}
				}
			}
			storetest.Put(t, local, key, clean)
			if _, _, err := s.LoadBoth(ctx, oldPart, newPart); err != nil {
				t.Errorf("the file as committed: %v", err)
			}
		})
	}
}

// TestLoadReadsOldManifests: a packages file committed before manifests
// recorded a SHA-256 is still read, unverified but for its size.
func TestLoadReadsOldManifests(t *testing.T) {
	st := localStore(t)
	rows := parseFile(t, mainFixture)
	m := datasetstest.CommitPackages(t, st, newPart, rows)
	m.Files[0].SHA256 = ""
	datasetstest.RewriteManifest(t, st, datasets.Packages, m)
	s := storageOf(t, st)
	if snap, err := s.Load(context.Background(), newPart); err != nil || snap.Len() != len(rows) {
		t.Fatalf("Load of a file without a recorded hash = %v, %v", snap, err)
	}
	key := datasets.Packages.DataKey(newPart)
	data := storetest.Get(t, st, key)
	storetest.Put(t, st, key, data[:len(data)-1])
	if _, err := s.Load(context.Background(), newPart); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), key) {
		t.Errorf("Load of a truncated file without a recorded hash = %v; want ErrCorrupt naming %s", err, key)
	}
}

// TestCommitRecordsHashes: a comparison's datasets are committed with the
// SHA-256 of each data object in their manifests, and a comparison whose
// summary no longer matches its manifest, or one of whose manifests no
// longer decodes, is not taken as committed but refused as corrupt,
// naming the object.
func TestCommitRecordsHashes(t *testing.T) {
	st := localStore(t)
	committedSides(t, st)
	s := storageOf(t, st)
	ctx := context.Background()
	pub, err := s.Commit(ctx, Run{Old: oldPart, New: newPart}, compared(t, s))
	if err != nil {
		t.Fatal(err)
	}
	for _, tb := range []datasets.Table{datasets.PackageChanges, datasets.SourceChanges, datasets.CompareSummaries} {
		m, ok, err := datasets.Committed(ctx, st, tb, pub.Partition)
		if err != nil || !ok {
			t.Fatalf("%s: %v, %v", tb.Name, ok, err)
		}
		d := datasets.NewDigest()
		d.Write(storetest.Get(t, st, m.Files[0].Key))
		if err := m.Files[0].Check(d); err != nil || !m.Files[0].Verified() {
			t.Errorf("%s: %v (manifest %+v)", tb.Name, err, m.Files[0])
		}
	}
	for _, key := range []string{datasets.CompareSummaries.DataKey(pub.Partition), datasets.PackageChanges.ManifestKey(pub.Partition)} {
		clean := storetest.Get(t, st, key)
		data := bytes.Clone(clean)
		data[0] ^= 1 // a Parquet file's magic; a manifest's opening brace
		storetest.Put(t, st, key, data)
		if _, ok, err := s.Committed(ctx, pub.Partition); ok || !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), key) {
			t.Errorf("Committed with a bit flipped in %s = %v, %v; want ErrCorrupt naming it", key, ok, err)
		}
		storetest.Put(t, st, key, clean)
	}
	if _, ok, err := s.Committed(ctx, pub.Partition); !ok || err != nil {
		t.Errorf("Committed as committed = %v, %v", ok, err)
	}
}
