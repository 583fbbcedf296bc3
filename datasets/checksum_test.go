package datasets_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/datasets/datasetstest"
	"github.com/distroscope/distroscope/store"
	"github.com/distroscope/distroscope/store/storetest"
)

// streamingStore hands out objects as plain streams, as an S3 store does,
// so that readers spool them instead of reading a local file in place.
type streamingStore struct{ store.Store }

func (s streamingStore) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	rc, err := s.Store.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	return struct{ io.ReadCloser }{rc}, nil
}

func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// stageHashed stages rows as a part whose stager recorded its SHA-256.
func stageHashed(t *testing.T, st store.Store, key string, rows []datasets.PackageRow) (datasets.StagedPart, []byte) {
	t.Helper()
	data := writeRows(t, rows, 700)
	storetest.Put(t, st, key, data)
	return datasets.StagedPart{Key: key, Rows: int64(len(rows)), SHA256: sha256Hex(data)}, data
}

// flips are bytes of a Parquet file of size bytes to flip a bit of: in
// page headers and data pages, and in the footer, which no page CRC
// covers.
func flips(data []byte) map[string]int {
	size := len(data)
	footerLen := int(binary.LittleEndian.Uint32(data[size-8:]))
	footer := size - 8 - footerLen
	return map[string]int{
		"first page header": 6, "first page data": 40, "data at 1/4": size / 4, "data at 1/2": size / 2,
		"data at 3/4": 3 * size / 4, "footer start": footer + 3, "footer middle": footer + footerLen/2, "footer end": size - 9,
	}
}

// TestPublishRecordsSHA256: the manifest records the SHA-256 and size of
// the data object exactly as stored, whether it was copied from one
// staged part, merged from several, or staged without a hash.
func TestPublishRecordsSHA256(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		parts  int
		hashed bool
	}{{"one part", 1, true}, {"three parts", 3, true}, {"one part staged without a hash", 1, false}, {"three parts staged without a hash", 3, false}} {
		t.Run(tc.name, func(t *testing.T) {
			st := newStore(t)
			var parts []datasets.StagedPart
			for i := range tc.parts {
				p, _ := stageHashed(t, st, datasets.StagingKey(datasets.Packages, part, fmt.Sprint("main_", i)), randomRows(1000, uint64(i), "amd64"))
				if !tc.hashed {
					p.SHA256 = ""
				}
				parts = append(parts, p)
			}
			m, err := datasets.Publish(ctx, st, datasets.PublishInput{Table: datasets.Packages, Partition: part, Parts: parts})
			if err != nil {
				t.Fatal(err)
			}
			data := storetest.Get(t, st, m.Files[0].Key)
			if f := m.Files[0]; f.SHA256 != sha256Hex(data) || f.Bytes != int64(len(data)) || !f.Verified() {
				t.Errorf("manifest file %+v; the object has %d bytes, SHA-256 %s", f, len(data), sha256Hex(data))
			}
			back, _, err := datasets.Committed(ctx, st, datasets.Packages, part)
			if err != nil || back.Files[0].SHA256 != m.Files[0].SHA256 {
				t.Errorf("manifest read back = %+v, %v", back.Files, err)
			}
		})
	}
}

// TestPublishRefusesFlippedStagedParts flips one bit of a staged part
// whose stager recorded its hash and checks that Publish — by copy or by
// merge, which carries pages over without decoding them — fails as
// corrupt naming the part, commits nothing, and deletes the part so that
// it is staged again.
func TestPublishRefusesFlippedStagedParts(t *testing.T) {
	ctx := context.Background()
	_, clean := stageHashed(t, newStore(t), "x", randomRows(3000, 9, "arm64"))
	for _, parts := range []int{1, 3} {
		for name, off := range flips(clean) {
			t.Run(fmt.Sprintf("%d parts, %s", parts, name), func(t *testing.T) {
				st := newStore(t)
				var staged []datasets.StagedPart
				for i := range parts - 1 {
					p, _ := stageHashed(t, st, datasets.StagingKey(datasets.Packages, part, fmt.Sprint("main_", i)), randomRows(1000, uint64(i), "amd64"))
					staged = append(staged, p)
				}
				bad, _ := stageHashed(t, st, datasets.StagingKey(datasets.Packages, part, "main_arm64"), randomRows(3000, 9, "arm64"))
				flipped := bytes.Clone(clean)
				flipped[off] ^= 1 << 3
				storetest.Put(t, st, bad.Key, flipped)
				staged = append(staged, bad)
				_, err := datasets.Publish(ctx, st, datasets.PublishInput{Table: datasets.Packages, Partition: part, Parts: staged})
				if !errors.Is(err, datasets.ErrCorrupt) || !strings.Contains(err.Error(), bad.Key) {
					t.Fatalf("Publish = %v; want an error wrapping ErrCorrupt naming %s", err, bad.Key)
				}
				if objs, _ := st.List(ctx, datasets.Packages.Prefix()); len(objs) != 0 {
					t.Errorf("a refused publish left %v", objs)
				}
				if _, err := st.Stat(ctx, bad.Key); !errors.Is(err, store.ErrNotFound) {
					t.Errorf("the corrupt staged part is still there (%v)", err)
				}
			})
		}
	}
}

// TestOpenFile reads a committed object back through OpenFile and
// ReadFile, in place and spooled: as committed it reads; a flipped bit
// anywhere, a byte more or less, or a missing object is ErrCorrupt naming
// it; a manifest from before hashes were recorded reads unverified.
func TestOpenFile(t *testing.T) {
	ctx := context.Background()
	local := newStore(t)
	m := datasetstest.CommitPackages(t, local, part, randomRows(2000, 4, "amd64"))
	f := m.Files[0]
	clean := storetest.Get(t, local, f.Key)
	damaged := map[string][]byte{"a byte short": clean[:len(clean)-1], "a byte more": append(bytes.Clone(clean), 0)}
	for name, off := range flips(clean) {
		b := bytes.Clone(clean)
		b[off] ^= 1
		damaged["a bit flipped in the "+name] = b
	}
	old := f
	old.SHA256 = ""
	for _, spooled := range []bool{false, true} {
		var st store.Store = local
		if spooled {
			st = streamingStore{local}
		}
		open := func(f datasets.ManifestFile) ([]byte, error) {
			file, err := datasets.OpenFile(ctx, st, f, t.TempDir())
			if err != nil {
				return nil, err
			}
			defer file.Close()
			data := make([]byte, file.Size())
			_, err = file.ReadAt(data, 0)
			return data, err
		}
		read := func(f datasets.ManifestFile) ([]byte, error) { return datasets.ReadFile(ctx, st, f, 1<<30) }
		for _, reader := range []struct {
			name string
			read func(datasets.ManifestFile) ([]byte, error)
		}{{"OpenFile", open}, {"ReadFile", read}} {
			where := fmt.Sprintf("%s (spooled=%v)", reader.name, spooled)
			storetest.Put(t, local, f.Key, clean)
			if got, err := reader.read(f); err != nil || !bytes.Equal(got, clean) {
				t.Errorf("%s of the object as committed: %v", where, err)
			}
			if got, err := reader.read(old); err != nil || !bytes.Equal(got, clean) || old.Verified() {
				t.Errorf("%s of an object whose manifest has no hash: %v", where, err)
			}
			for name, data := range damaged {
				storetest.Put(t, local, f.Key, data)
				if _, err := reader.read(f); !errors.Is(err, datasets.ErrCorrupt) || !strings.Contains(err.Error(), f.Key) {
					t.Errorf("%s, %s: %v; want ErrCorrupt naming %s", where, name, err, f.Key)
				}
			}
			if err := local.Delete(ctx, f.Key); err != nil {
				t.Fatal(err)
			}
			if _, err := reader.read(f); !errors.Is(err, datasets.ErrCorrupt) || !strings.Contains(err.Error(), f.Key) {
				t.Errorf("%s of a missing object: %v; want ErrCorrupt naming %s", where, err, f.Key)
			}
		}
	}
	storetest.Put(t, local, f.Key, clean)
	if _, err := datasets.ReadFile(ctx, local, f, f.Bytes-1); err == nil {
		t.Errorf("ReadFile read an object over its limit")
	}
}

// TestCorruptManifest: a manifest that no longer decodes is corrupt, not
// merely unreadable.
func TestCorruptManifest(t *testing.T) {
	st := newStore(t)
	datasetstest.CommitPackages(t, st, part, randomRows(10, 1, "amd64"))
	key := datasets.Packages.ManifestKey(part)
	data := storetest.Get(t, st, key)
	data[0] ^= 1 // '{' becomes 'z'
	storetest.Put(t, st, key, data)
	if _, _, err := datasets.Committed(context.Background(), st, datasets.Packages, part); !errors.Is(err, datasets.ErrCorrupt) || !strings.Contains(err.Error(), key) {
		t.Errorf("Committed = %v; want ErrCorrupt naming %s", err, key)
	}
}
