// Package storetest is the conformance suite every store.Store
// implementation runs, in the manner of go-containerregistry's validate
// package: one definition of the contract, checked against the local folder,
// MinIO and Ceph RGW alike, so the dataset code above can rely on the same
// behaviour from all of them.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/distroscope/distroscope/store"
)

const mib = 1 << 20

// LargeSize is the size of the suite's large objects: more than two parts at
// the 16 MiB part size the S3 tests use, so multipart uploads (and their
// failure half-way) are exercised.
const LargeSize = 40 * mib

// Run checks s against the store.Store contract. newStore must return an
// empty store, fresh for each call, and arrange its own cleanup with
// t.Cleanup; Run calls it once per subtest.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Run("RoundTrip", func(t *testing.T) { testRoundTrip(t, newStore(t)) })
	t.Run("UnknownSize", func(t *testing.T) { testUnknownSize(t, newStore(t)) })
	t.Run("Large", func(t *testing.T) { testLarge(t, newStore(t)) })
	t.Run("Overwrite", func(t *testing.T) { testOverwrite(t, newStore(t)) })
	t.Run("NotFound", func(t *testing.T) { testNotFound(t, newStore(t)) })
	t.Run("List", func(t *testing.T) { testList(t, newStore(t)) })
	t.Run("Copy", func(t *testing.T) { testCopy(t, newStore(t)) })
	t.Run("Delete", func(t *testing.T) { testDelete(t, newStore(t)) })
	t.Run("InvalidKeys", func(t *testing.T) { testInvalidKeys(t, newStore(t)) })
	t.Run("Canceled", func(t *testing.T) { testCanceled(t, newStore(t)) })
	t.Run("Concurrent", func(t *testing.T) { testConcurrent(t, newStore(t)) })
	t.Run("FailedPutLeavesNothing", func(t *testing.T) { testFailedPut(t, newStore(t)) })
	t.Run("String", func(t *testing.T) { testString(t, newStore(t)) })
}

// content returns n pseudo-random (incompressible) bytes determined by seed,
// so two objects with different seeds differ everywhere.
func content(seed string, n int) []byte {
	var s [32]byte
	copy(s[:], seed)
	b := make([]byte, n)
	rand.NewChaCha8(s).Read(b)
	return b
}

// plainReader hides io.ReaderAt, io.Seeker and io.WriterTo, forcing the
// streaming code paths (minio-go picks its upload strategy by type).
type plainReader struct{ r io.Reader }

func (p plainReader) Read(b []byte) (int, error) { return p.r.Read(b) }

var errBrokenReader = errors.New("storetest: reader broke on purpose")

// failingReader yields the first n bytes of data, then fails.
type failingReader struct {
	data []byte
	n    int
	off  int
}

func (f *failingReader) Read(p []byte) (int, error) {
	if f.off >= f.n {
		return 0, errBrokenReader
	}
	k := copy(p, f.data[f.off:f.n])
	f.off += k
	return k, nil
}

// Put stores data under key, failing t if it cannot: for tests that set a
// store up, or change an object behind the code under test's back.
func Put(t testing.TB, s store.Store, key string, data []byte) {
	t.Helper()
	if err := s.Put(t.Context(), key, bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatalf("Put(%q, %d bytes): %v", key, len(data), err)
	}
}

// Get reads the whole object at key, failing t if it cannot.
func Get(t testing.TB, s store.Store, key string) []byte {
	t.Helper()
	rc, err := s.Get(t.Context(), key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("Get(%q): read: %v", key, err)
	}
	if err := rc.Close(); err != nil {
		t.Errorf("Get(%q): close: %v", key, err)
	}
	return b
}

func checkContent(t *testing.T, s store.Store, key string, want []byte) {
	t.Helper()
	got := Get(t, s, key)
	if !bytes.Equal(got, want) {
		t.Errorf("Get(%q) = %d bytes (%.16x...), want %d bytes (%.16x...)", key, len(got), got, len(want), want)
	}
	info, err := s.Stat(t.Context(), key)
	if err != nil {
		t.Fatalf("Stat(%q): %v", key, err)
	}
	if info.Key != key || info.Size != int64(len(want)) {
		t.Errorf("Stat(%q) = key %q size %d, want key %q size %d", key, info.Key, info.Size, key, len(want))
	}
}

func checkAbsent(t *testing.T, s store.Store, key string) {
	t.Helper()
	if _, err := s.Stat(t.Context(), key); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Stat(%q) error = %v, want store.ErrNotFound", key, err)
	}
	rc, err := s.Get(t.Context(), key)
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get(%q) error = %v, want store.ErrNotFound", key, err)
	}
	if rc != nil {
		rc.Close()
		t.Errorf("Get(%q) returned a reader along with error %v", key, err)
	}
}

func listKeys(t *testing.T, s store.Store, prefix string) []string {
	t.Helper()
	infos, err := s.List(t.Context(), prefix)
	if err != nil {
		t.Fatalf("List(%q): %v", prefix, err)
	}
	keys := make([]string, len(infos))
	for i, info := range infos {
		keys[i] = info.Key
	}
	return keys
}

func testRoundTrip(t *testing.T, s store.Store) {
	before := time.Now()
	for _, tc := range []struct {
		key  string
		size int
	}{
		{"empty", 0},
		{"one-byte", 1},
		{"dir/small.txt", 1000},
		{"deep/er/and/deeper/one-mib.bin", mib},
		{"odd chars/ünïcode (1) + [x] ~=@,;&$!'.parquet", 777},
	} {
		t.Run(tc.key, func(t *testing.T) {
			data := content(tc.key, tc.size)
			Put(t, s, tc.key, data)
			checkContent(t, s, tc.key, data)
			info, err := s.Stat(t.Context(), tc.key)
			if err != nil {
				t.Fatal(err)
			}
			// Generous: S3 servers keep second precision and their own clock.
			if info.Modified.Before(before.Add(-5*time.Minute)) || info.Modified.After(time.Now().Add(5*time.Minute)) {
				t.Errorf("Stat(%q).Modified = %v, not near the time of the Put (%v)", tc.key, info.Modified, before)
			}
		})
	}
}

func testUnknownSize(t *testing.T, s store.Store) {
	for _, n := range []int{0, 10, 100_000} {
		key := fmt.Sprintf("unknown/%d", n)
		data := content(key, n)
		if err := s.Put(t.Context(), key, plainReader{bytes.NewReader(data)}, -1); err != nil {
			t.Fatalf("Put(%q, size -1): %v", key, err)
		}
		checkContent(t, s, key, data)
	}
}

func testLarge(t *testing.T, s store.Store) {
	data := content("large", LargeSize)
	start := time.Now()
	// Known size from an io.ReaderAt (minio-go uploads parts in parallel).
	Put(t, s, "large/known", data)
	// Unknown size from a plain stream (buffered part by part).
	if err := s.Put(t.Context(), "large/unknown", plainReader{bytes.NewReader(data)}, -1); err != nil {
		t.Fatalf("Put(large/unknown, size -1): %v", err)
	}
	// Known size from a plain stream.
	if err := s.Put(t.Context(), "large/stream", plainReader{bytes.NewReader(data)}, int64(len(data))); err != nil {
		t.Fatalf("Put(large/stream): %v", err)
	}
	t.Logf("3 puts of %d MiB in %v", LargeSize/mib, time.Since(start))
	for _, key := range []string{"large/known", "large/unknown", "large/stream"} {
		checkContent(t, s, key, data)
	}
	if err := s.Copy(t.Context(), "large/known", "large/copy"); err != nil {
		t.Fatalf("Copy(large/known, large/copy): %v", err)
	}
	checkContent(t, s, "large/copy", data)
}

func testOverwrite(t *testing.T, s store.Store) {
	first, second := content("first", 5000), content("second", 300)
	Put(t, s, "over/write", first)
	Put(t, s, "over/write", second)
	checkContent(t, s, "over/write", second)
	if keys := listKeys(t, s, "over/"); !slices.Equal(keys, []string{"over/write"}) {
		t.Errorf("List(over/) after overwrite = %q, want the one key", keys)
	}
}

func testNotFound(t *testing.T, s store.Store) {
	Put(t, s, "present/x", []byte("x"))
	for _, key := range []string{"missing", "present/missing", "present/x/below", "present"} {
		checkAbsent(t, s, key)
		if err := s.Copy(t.Context(), key, "copy-target"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Copy(%q, copy-target) error = %v, want store.ErrNotFound", key, err)
		}
	}
	checkAbsent(t, s, "copy-target")
	checkContent(t, s, "present/x", []byte("x"))
}

func testList(t *testing.T, s store.Store) {
	keys := []string{
		"ls/a/b/c", "ls/a/b/d", "ls/a/bc", "ls/a.b", "ls/ab", "ls/z",
		"ls/a/b/e/f/g", "ls-sibling", "other/x",
	}
	sizes := map[string]int{}
	for i, k := range keys {
		sizes[k] = 10 * i
		Put(t, s, k, content(k, sizes[k]))
	}
	for _, tc := range []struct {
		prefix string
		want   []string
	}{
		{"", []string{"ls-sibling", "ls/a.b", "ls/a/b/c", "ls/a/b/d", "ls/a/b/e/f/g", "ls/a/bc", "ls/ab", "ls/z", "other/x"}},
		{"ls/", []string{"ls/a.b", "ls/a/b/c", "ls/a/b/d", "ls/a/b/e/f/g", "ls/a/bc", "ls/ab", "ls/z"}},
		{"ls", []string{"ls-sibling", "ls/a.b", "ls/a/b/c", "ls/a/b/d", "ls/a/b/e/f/g", "ls/a/bc", "ls/ab", "ls/z"}},
		{"ls/a", []string{"ls/a.b", "ls/a/b/c", "ls/a/b/d", "ls/a/b/e/f/g", "ls/a/bc", "ls/ab"}},
		{"ls/a/b", []string{"ls/a/b/c", "ls/a/b/d", "ls/a/b/e/f/g", "ls/a/bc"}},
		{"ls/a/b/", []string{"ls/a/b/c", "ls/a/b/d", "ls/a/b/e/f/g"}},
		{"ls/a/b/e/f/g", []string{"ls/a/b/e/f/g"}},
		{"ls/a/b/c/", nil},
		{"ls/q", nil},
		{"nothing/here/", nil},
	} {
		infos, err := s.List(t.Context(), tc.prefix)
		if err != nil {
			t.Fatalf("List(%q): %v", tc.prefix, err)
		}
		var got []string
		for _, info := range infos {
			got = append(got, info.Key)
			if info.Size != int64(sizes[info.Key]) {
				t.Errorf("List(%q): %q has size %d, want %d", tc.prefix, info.Key, info.Size, sizes[info.Key])
			}
			if info.Modified.IsZero() {
				t.Errorf("List(%q): %q has no modification time", tc.prefix, info.Key)
			}
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("List(%q) = %q, want %q", tc.prefix, got, tc.want)
		}
	}
	for _, bad := range []string{"/ls", "ls//", "../", "ls/../", "ls/./a"} {
		if _, err := s.List(t.Context(), bad); err == nil {
			t.Errorf("List(%q) accepted an invalid prefix", bad)
		}
	}
}

func testCopy(t *testing.T, s store.Store) {
	src, old := content("src", 70_000), content("old", 10)
	Put(t, s, "copy/src", src)
	Put(t, s, "elsewhere/dst", old)
	for _, dst := range []string{"copy/dst", "elsewhere/dst", "copy/empty-dst"} {
		if err := s.Copy(t.Context(), "copy/src", dst); err != nil {
			t.Fatalf("Copy(copy/src, %q): %v", dst, err)
		}
		checkContent(t, s, dst, src)
	}
	checkContent(t, s, "copy/src", src)
	Put(t, s, "copy/empty", nil)
	if err := s.Copy(t.Context(), "copy/empty", "copy/empty-dst"); err != nil {
		t.Fatalf("Copy of an empty object: %v", err)
	}
	checkContent(t, s, "copy/empty-dst", nil)
	if err := s.Copy(t.Context(), "copy/src", "copy/src"); err != nil {
		t.Errorf("Copy onto itself: %v", err)
	}
	checkContent(t, s, "copy/src", src)
}

func testDelete(t *testing.T, s store.Store) {
	Put(t, s, "del/a/b/c", []byte("c"))
	Put(t, s, "del/a/b/d", []byte("d"))
	Put(t, s, "del/e", []byte("e"))
	if err := s.Delete(t.Context(), "del/a/b/c"); err != nil {
		t.Fatalf("Delete(del/a/b/c): %v", err)
	}
	checkAbsent(t, s, "del/a/b/c")
	if err := s.Delete(t.Context(), "del/a/b/c"); err != nil {
		t.Errorf("second Delete(del/a/b/c) = %v, want nil", err)
	}
	for _, key := range []string{"never/was", "del/a", "del/a/b", "del/e/below"} {
		if err := s.Delete(t.Context(), key); err != nil {
			t.Errorf("Delete(%q) of a missing key = %v, want nil", key, err)
		}
	}
	checkContent(t, s, "del/a/b/d", []byte("d"))
	checkContent(t, s, "del/e", []byte("e"))
	if keys := listKeys(t, s, "del/"); !slices.Equal(keys, []string{"del/a/b/d", "del/e"}) {
		t.Errorf("List(del/) after deletes = %q", keys)
	}
	for _, key := range []string{"del/a/b/d", "del/e"} {
		if err := s.Delete(t.Context(), key); err != nil {
			t.Fatalf("Delete(%q): %v", key, err)
		}
	}
	if keys := listKeys(t, s, ""); len(keys) != 0 {
		t.Errorf("List after deleting everything = %q", keys)
	}
	// A key whose folder was pruned by the deletes can be written again.
	Put(t, s, "del/a/b/c", []byte("again"))
	checkContent(t, s, "del/a/b/c", []byte("again"))
}

// InvalidKeys are keys every store must reject.
var InvalidKeys = []string{
	"", "/", "/abs", "//x", "a//b", "a/", "..", ".", "../x", "x/..", "a/../b",
	"./a", "a/./b", "a\\b", "..\\x", "a\x00b", "a\nb", "\xff\xfe",
	strings.Repeat("k", store.MaxKeyLen+1),
}

func testInvalidKeys(t *testing.T, s store.Store) {
	ctx := t.Context()
	Put(t, s, "valid", []byte("v"))
	for _, key := range InvalidKeys {
		if err := s.Put(ctx, key, strings.NewReader("x"), 1); err == nil {
			t.Errorf("Put(%q) accepted an invalid key", key)
		}
		if rc, err := s.Get(ctx, key); err == nil {
			rc.Close()
			t.Errorf("Get(%q) accepted an invalid key", key)
		} else if errors.Is(err, store.ErrNotFound) {
			t.Errorf("Get(%q) = ErrNotFound, want an invalid-key error", key)
		}
		if _, err := s.Stat(ctx, key); err == nil || errors.Is(err, store.ErrNotFound) {
			t.Errorf("Stat(%q) = %v, want an invalid-key error", key, err)
		}
		if err := s.Copy(ctx, "valid", key); err == nil {
			t.Errorf("Copy(valid, %q) accepted an invalid key", key)
		}
		if err := s.Copy(ctx, key, "copied"); err == nil || errors.Is(err, store.ErrNotFound) {
			t.Errorf("Copy(%q, copied) = %v, want an invalid-key error", key, err)
		}
		if err := s.Delete(ctx, key); err == nil {
			t.Errorf("Delete(%q) accepted an invalid key", key)
		}
	}
	if keys := listKeys(t, s, ""); !slices.Equal(keys, []string{"valid"}) {
		t.Errorf("List after invalid-key calls = %q, want only valid", keys)
	}
	checkContent(t, s, "valid", []byte("v"))
}

// cancelingReader cancels its context after the first read, then keeps
// serving data: the store must notice and give up.
type cancelingReader struct {
	r      io.Reader
	cancel context.CancelFunc
	reads  int
}

func (c *cancelingReader) Read(p []byte) (int, error) {
	c.reads++
	if c.reads == 2 {
		c.cancel()
	}
	return c.r.Read(p)
}

func testCanceled(t *testing.T, s store.Store) {
	Put(t, s, "kept", []byte("kept"))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	checkCanceled := func(op string, err error) {
		t.Helper()
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a canceled context: error = %v, want context.Canceled", op, err)
		}
	}
	checkCanceled("Put", s.Put(ctx, "new", strings.NewReader("x"), 1))
	rc, err := s.Get(ctx, "kept")
	if rc != nil {
		rc.Close()
	}
	checkCanceled("Get", err)
	_, err = s.Stat(ctx, "kept")
	checkCanceled("Stat", err)
	_, err = s.List(ctx, "")
	checkCanceled("List", err)
	checkCanceled("Copy", s.Copy(ctx, "kept", "copied"))
	checkCanceled("Delete", s.Delete(ctx, "kept"))

	// Canceled in the middle of a streaming Put.
	ctx, cancel = context.WithCancel(t.Context())
	defer cancel()
	data := content("mid", 8*mib)
	cr := &cancelingReader{r: plainReader{bytes.NewReader(data)}, cancel: cancel}
	if err := s.Put(ctx, "mid", cr, -1); err == nil {
		t.Errorf("Put whose context was canceled half-way succeeded")
	}

	checkContent(t, s, "kept", []byte("kept"))
	for _, key := range []string{"new", "copied", "mid"} {
		checkAbsent(t, s, key)
	}
}

func testConcurrent(t *testing.T, s store.Store) {
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			key := fmt.Sprintf("conc/%d/obj", i)
			data := content(key, 50_000+i)
			errs[i] = s.Put(t.Context(), key, bytes.NewReader(data), int64(len(data)))
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("concurrent Put %d: %v", i, err)
		}
	}
	for i := range n {
		key := fmt.Sprintf("conc/%d/obj", i)
		checkContent(t, s, key, content(key, 50_000+i))
	}
	if keys := listKeys(t, s, "conc/"); len(keys) != n {
		t.Errorf("List(conc/) = %d keys, want %d", len(keys), n)
	}
}

func testFailedPut(t *testing.T, s store.Store) {
	failing := func(n int) func([]byte) io.Reader {
		return func(data []byte) io.Reader { return &failingReader{data: data, n: n} }
	}
	stream := func(data []byte) io.Reader { return plainReader{bytes.NewReader(data)} }
	seekable := func(data []byte) io.Reader { return bytes.NewReader(data) }
	for _, tc := range []struct {
		name   string
		total  int   // bytes the reader could yield
		size   int64 // announced size, -1 for unknown
		reader func([]byte) io.Reader
	}{
		{"small-known", 1000, 1000, failing(500)},
		{"small-unknown", 1000, -1, failing(500)},
		{"large-known", LargeSize, LargeSize, failing(20 * mib)},
		{"large-unknown", LargeSize, -1, failing(20 * mib)},
		// Readers whose length is not the announced size.
		{"short-stream", 1000, 2000, stream},
		{"long-stream", 2000, 1000, stream},
		{"short-seekable", 1000, 2000, seekable},
		{"long-seekable", 2000, 1000, seekable},
		{"long-empty", 10, 0, stream},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := content(tc.name, tc.total)
			key := "fail/" + tc.name
			if err := s.Put(t.Context(), key, tc.reader(data), tc.size); err == nil {
				t.Fatalf("Put(%q) from a failing or mis-sized reader succeeded", key)
			}
			checkAbsent(t, s, key)
			if keys := listKeys(t, s, key); len(keys) != 0 {
				t.Errorf("List(%q) after a failed Put = %q", key, keys)
			}

			// A failed overwrite keeps the previous object whole.
			old := content("old "+tc.name, 1234)
			Put(t, s, key, old)
			if err := s.Put(t.Context(), key, tc.reader(data), tc.size); err == nil {
				t.Fatalf("overwriting Put(%q) from a failing or mis-sized reader succeeded", key)
			}
			checkContent(t, s, key, old)
		})
	}
}

func testString(t *testing.T, s store.Store) {
	if s.String() == "" {
		t.Error("String() is empty")
	}
}

// BenchPut measures Put throughput for a few object sizes, each on a fresh
// store from newStore.
func BenchPut(b *testing.B, newStore func(b *testing.B) store.Store) {
	for _, size := range []int{64 << 10, 4 * mib, 32 * mib} {
		b.Run(fmt.Sprintf("%dKiB", size>>10), func(b *testing.B) {
			s := newStore(b)
			data := content("bench", size)
			b.SetBytes(int64(size))
			for i := 0; b.Loop(); i++ {
				key := fmt.Sprintf("bench/%d", i%4)
				if err := s.Put(b.Context(), key, bytes.NewReader(data), int64(size)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// SilentEndpoint is a TCP listener on 127.0.0.1 that accepts connections,
// reads what it is sent and never answers: a hung S3 endpoint, for the
// tests of deadlines.
func SilentEndpoint(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns sync.WaitGroup
	done := make(chan struct{})
	t.Cleanup(func() {
		close(done)
		ln.Close()
		conns.Wait()
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			go func() {
				defer conns.Done()
				go func() { <-done; c.Close() }()
				io.Copy(io.Discard, c)
			}()
		}
	}()
	return ln.Addr().String()
}
