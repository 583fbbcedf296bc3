package formats_test

import (
	"archive/tar"
	"bytes"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/distroscope/distroscope/repo"
	"github.com/distroscope/distroscope/repo/formats"
)

// TestWholeFileResolveStreams: a pacman database (or an APKINDEX) is
// fetched at resolve to pin its hash and scan its dates; it may be hundreds
// of MB (up to 512 MiB), and was read into memory whole, which took a
// worker far past its 150 MB. It is spooled to a file instead: resolving a
// 64 MiB database allocates a fraction of it.
func TestWholeFileResolveStreams(t *testing.T) {
	const junk = 64 << 20
	var db bytes.Buffer
	tw := tar.NewWriter(&db)
	desc := "%NAME%\njunk\n\n%VERSION%\n1.0-1\n\n%ARCH%\nx86_64\n\n%BUILDDATE%\n1764547200\n\n"
	for _, f := range []struct {
		name string
		size int64
		r    io.Reader
	}{{"junk-1.0-1/desc", int64(len(desc)), bytes.NewReader([]byte(desc))}, {"junk-1.0-1/mtree", junk, rand.NewChaCha8([32]byte{1})}} {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o644, Size: f.size, Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := io.CopyN(tw, f.r, f.size); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	data := db.Bytes()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.ServeContent(w, r, "core.db", time.Time{}, bytes.NewReader(data))
	}))
	t.Cleanup(srv.Close)
	spec := repo.Spec{Format: repo.FormatALPM, Distro: "arch", Mirror: srv.URL, Suite: "rolling", Components: []string{"core"}, Architectures: []string{"x86_64"}}

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	res, err := formats.ALPM{}.Resolve(testContext(t), repo.DefaultFetcher(), spec, time.Now())
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if c := res.Indexes[0].Candidates[0]; c.Size != int64(len(data)) || c.SHA256 != hashOf(data) {
		t.Errorf("pinned %d bytes, SHA256 %s; want %d bytes", c.Size, c.SHA256, len(data))
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > junk/4 {
		t.Errorf("resolving a %d MiB database allocated %d MiB", len(data)>>20, alloc>>20)
	}
}

// TestWholeFileResolveSpoolsAndFails: the spool goes to the fetcher's
// TempDir (the worker's DISTROSCOPE_TEMP_DIR), and a database the mirror
// stops sending fails naming its URL and the reason once.
func TestWholeFileResolveSpoolsAndFails(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100000")
		w.Write([]byte("%NAME%\n"))
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close)
	spec := repo.Spec{Format: repo.FormatALPM, Distro: "arch", Mirror: srv.URL, Suite: "rolling", Components: []string{"core"}, Architectures: []string{"x86_64"}}

	f := repo.DefaultFetcher()
	f.TempDir = filepath.Join(t.TempDir(), "no-such-folder")
	if _, err := (formats.ALPM{}).Resolve(testContext(t), f, spec, time.Now()); err == nil || !strings.Contains(err.Error(), "no-such-folder") {
		t.Errorf("with a TempDir that does not exist: %v, want an error naming it", err)
	}

	f = repo.DefaultFetcher()
	f.TempDir, f.IdleTimeout = t.TempDir(), 300*time.Millisecond
	_, err := (formats.ALPM{}).Resolve(testContext(t), f, spec, time.Now())
	if err == nil || strings.Count(err.Error(), "/core.db") != 1 || !strings.Contains(err.Error(), "no data for") {
		t.Errorf("a stalled database: %v, want the URL once and the reason", err)
	}
	if left, _ := os.ReadDir(f.TempDir); len(left) != 0 {
		t.Errorf("the spool stayed: %v", left)
	}
}
