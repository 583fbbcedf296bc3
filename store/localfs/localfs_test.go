package localfs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/distroscope/distroscope/store"
	"github.com/distroscope/distroscope/store/storetest"
)

func newStore(t testing.TB, dir string) *Store {
	t.Helper()
	s, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s := newStore(t, t.TempDir())
		// Nothing the suite does may leave a temporary file behind.
		t.Cleanup(func() {
			if names := tempFiles(t, s.dir); len(names) != 0 {
				t.Errorf("temporary files left behind: %q", names)
			}
		})
		return s
	})
}

func BenchmarkPut(b *testing.B) {
	storetest.BenchPut(b, func(b *testing.B) store.Store { return newStore(b, b.TempDir()) })
}

func tempFiles(t testing.TB, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dir, TempDir))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// TestSymlinksStayInside plants symbolic links leading out of the root and
// checks that no operation reads, writes or deletes through them.
func TestSymlinksStayInside(t *testing.T) {
	outside := t.TempDir()
	secret := filepath.Join(outside, "secret")
	if err := os.WriteFile(secret, []byte("outside secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(dir, "escape")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(secret, filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../"+filepath.Base(outside), filepath.Join(dir, "relative")); err != nil {
		t.Fatal(err)
	}
	s := newStore(t, dir)
	ctx := t.Context()
	if err := s.Put(ctx, "x", strings.NewReader("x"), 1); err != nil {
		t.Fatal(err)
	}

	for _, key := range []string{"escape/secret", "link", "relative/secret"} {
		if rc, err := s.Get(ctx, key); err == nil {
			b, _ := io.ReadAll(rc)
			rc.Close()
			t.Errorf("Get(%q) read %q through a symlink out of the root", key, b)
		}
		if info, err := s.Stat(ctx, key); err == nil {
			t.Errorf("Stat(%q) = %+v through a symlink out of the root", key, info)
		}
		if err := s.Copy(ctx, key, "stolen"); err == nil {
			t.Errorf("Copy(%q, stolen) read through a symlink out of the root", key)
		}
	}
	for _, key := range []string{"escape/planted", "relative/planted", "escape/sub/planted"} {
		if err := s.Put(ctx, key, strings.NewReader("x"), 1); err == nil {
			t.Errorf("Put(%q) wrote through a symlink out of the root", key)
		}
		if err := s.Copy(ctx, "x", key); err == nil {
			t.Errorf("Copy(x, %q) wrote through a symlink out of the root", key)
		}
	}
	s.Delete(ctx, "escape/secret")
	s.Delete(ctx, "relative/secret")

	infos, err := s.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) != 1 || infos[0].Key != "x" {
		t.Errorf("List listed through or at symlinks: %+v", infos)
	}
	// Replacing the file symlink replaces the link, not its target.
	if err := s.Put(ctx, "link", strings.NewReader("new"), 3); err != nil {
		t.Fatalf("Put(link): %v", err)
	}
	if err := s.Delete(ctx, "link"); err != nil {
		t.Fatalf("Delete(link): %v", err)
	}

	entries, err := os.ReadDir(outside)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "secret" {
		t.Errorf("folder outside the root now holds %v, want only secret", entries)
	}
	if b, err := os.ReadFile(secret); err != nil || string(b) != "outside secret" {
		t.Errorf("file outside the root = %q, %v; want it untouched", b, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "stolen")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stolen exists in the root: %v", err)
	}
}

func TestTempDirReserved(t *testing.T) {
	s := newStore(t, t.TempDir())
	for _, key := range []string{TempDir, TempDir + "/x"} {
		if err := s.Put(t.Context(), key, strings.NewReader("x"), 1); err == nil {
			t.Errorf("Put(%q) accepted a key in the temporary folder", key)
		}
	}
	// Neighbours of the reserved name are ordinary keys.
	for _, key := range []string{TempDir + "x", "a/" + TempDir + "/x"} {
		if err := s.Put(t.Context(), key, strings.NewReader("x"), 1); err != nil {
			t.Errorf("Put(%q): %v", key, err)
		}
	}
}

func TestSweepsStaleTemporaryFiles(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, TempDir), 0o755); err != nil {
		t.Fatal(err)
	}
	stale, fresh := filepath.Join(dir, TempDir, "stale"), filepath.Join(dir, TempDir, "fresh")
	for _, p := range []string{stale, fresh} {
		if err := os.WriteFile(p, []byte("partial"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-staleTemp - time.Hour)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	newStore(t, dir)
	if names := tempFiles(t, dir); len(names) != 1 || names[0] != "fresh" {
		t.Errorf("temporary files after New = %q, want only the fresh one", names)
	}
}

// TestFileFolderConflict covers what a folder cannot do and S3 can: hold an
// object "a" and an object "a/b" at once. Both orders fail cleanly.
func TestFileFolderConflict(t *testing.T) {
	s := newStore(t, t.TempDir())
	ctx := t.Context()
	put := func(key, data string) error {
		return s.Put(ctx, key, strings.NewReader(data), int64(len(data)))
	}
	if err := put("a", "file a"); err != nil {
		t.Fatal(err)
	}
	if err := put("a/b", "under a"); err == nil {
		t.Error("Put(a/b) over the object a succeeded")
	}
	if err := put("x/y", "under x"); err != nil {
		t.Fatal(err)
	}
	if err := put("x", "file x"); err == nil {
		t.Error("Put(x) over the folder x succeeded")
	}
	if err := s.Copy(ctx, "a", "x"); err == nil {
		t.Error("Copy(a, x) over the folder x succeeded")
	}
	for key, want := range map[string]string{"a": "file a", "x/y": "under x"} {
		rc, err := s.Get(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		if string(b) != want {
			t.Errorf("Get(%q) = %q, want %q", key, b, want)
		}
	}
	if names := tempFiles(t, s.dir); len(names) != 0 {
		t.Errorf("temporary files left behind: %q", names)
	}
}

// TestReadersSeeWholeObjects overwrites one key over and over while readers
// read it: every read must be one complete version, never a mix or a prefix.
func TestReadersSeeWholeObjects(t *testing.T) {
	s := newStore(t, t.TempDir())
	ctx := t.Context()
	versions := [][]byte{
		bytes.Repeat([]byte("a"), 300_000),
		bytes.Repeat([]byte("b"), 200_000),
		bytes.Repeat([]byte("c"), 100_000),
	}
	if err := s.Put(ctx, "hot", bytes.NewReader(versions[0]), -1); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			v := versions[i%len(versions)]
			if err := s.Put(ctx, "hot", bytes.NewReader(v), int64(len(v))); err != nil {
				t.Error(err)
				return
			}
		}
	})
	reads := 0
	for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); reads++ {
		rc, err := s.Get(ctx, "hot")
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		ok := false
		for _, v := range versions {
			ok = ok || bytes.Equal(b, v)
		}
		if !ok {
			t.Fatalf("read %d: got %d bytes that are no complete version", reads, len(b))
		}
	}
	close(stop)
	wg.Wait()
	t.Logf("%d whole reads during overwrites", reads)
}

func TestString(t *testing.T) {
	dir := t.TempDir()
	if got, want := newStore(t, dir).String(), "file://"+dir; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

// TestFolderRemovedUnderALiveStore: a store whose folder was removed while
// it was open — by hand, by a cleanup script — recreates what it needs on
// the next operation instead of failing every write until the process
// restarts (`openat .distroscope-tmp/…: no such file or directory`, for a
// minute, once); the same for the temporary folder alone, and for a folder
// replaced by another. A folder whose parent is gone too is not recreated
// — that is a mount that went away, and writing onto what lies beneath
// would hide it — and the error names the missing folder at once.
func TestFolderRemovedUnderALiveStore(t *testing.T) {
	data := []byte("after the folder was removed")
	for _, tc := range []struct {
		name   string
		remove func(t *testing.T, dir string)
	}{
		{"the whole folder", func(t *testing.T, dir string) { os.RemoveAll(dir) }},
		{"the temporary folder", func(t *testing.T, dir string) { os.RemoveAll(filepath.Join(dir, TempDir)) }},
		{"the folder replaced", func(t *testing.T, dir string) {
			if err := os.Rename(dir, dir+".old"); err != nil {
				t.Fatal(err)
			}
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "store")
			s := newStore(t, dir)
			put(t, s, "a/before", []byte("before"))
			tc.remove(t, dir)
			put(t, s, "a/after", data)
			if got, err := os.ReadFile(filepath.Join(dir, "a", "after")); err != nil || !bytes.Equal(got, data) {
				t.Errorf("the object is not in %s: %q, %v", dir, got, err)
			}
			if err := s.Copy(t.Context(), "a/after", "b/copy"); err != nil {
				t.Errorf("Copy: %v", err)
			}
			infos, err := s.List(t.Context(), "")
			if err != nil {
				t.Fatal(err)
			}
			var keys []string
			for _, i := range infos {
				keys = append(keys, i.Key)
			}
			if tc.name == "the temporary folder" {
				keys = slices.DeleteFunc(keys, func(k string) bool { return k == "a/before" })
			}
			if !slices.Equal(keys, []string{"a/after", "b/copy"}) {
				t.Errorf("List = %v, want what the folder at %s holds", keys, dir)
			}
		})
	}
	t.Run("the folder's parent too", func(t *testing.T) {
		parent := filepath.Join(t.TempDir(), "mount")
		dir := filepath.Join(parent, "store")
		s := newStore(t, dir)
		os.RemoveAll(parent)
		start := time.Now()
		err := s.Put(t.Context(), "k", bytes.NewReader(data), int64(len(data)))
		if err == nil || !strings.Contains(err.Error(), dir) || time.Since(start) > time.Second {
			t.Errorf("Put = %v, want an error at once naming %s", err, dir)
		}
		if _, err := os.Stat(parent); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s was recreated: %v", parent, err)
		}
	})
}

func put(t *testing.T, s store.Store, key string, data []byte) {
	t.Helper()
	if err := s.Put(t.Context(), key, bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatalf("Put(%q): %v", key, err)
	}
}

// TestPutBesideADeleteThatPrunesItsFolder: a Delete removes the folders it
// empties, so a Put into the same folder at the same moment finds its
// parent gone between making it and renaming into it, or while making it
// (MkdirAll's ENOENT). Both are retried; neither fails the Put.
func TestPutBesideADeleteThatPrunesItsFolder(t *testing.T) {
	st := newStore(t, t.TempDir())
	ctx := context.Background()
	const rounds = 400
	var wg sync.WaitGroup
	errs := make(chan error, 2*rounds)
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range rounds {
				key := fmt.Sprintf("_staging/a/b/c/%d-%d", w, i)
				if err := st.Put(ctx, key, strings.NewReader("x"), 1); err != nil {
					errs <- fmt.Errorf("put %s: %w", key, err)
					continue
				}
				if err := st.Delete(ctx, key); err != nil {
					errs <- fmt.Errorf("delete %s: %w", key, err)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
