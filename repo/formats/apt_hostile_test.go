package formats_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/distroscope/distroscope/repo"
	"github.com/distroscope/distroscope/repo/formats"
	"github.com/distroscope/distroscope/repo/formats/formatstest"
)

// noLength serves like http.FileServer but without Content-Length, so the
// body is chunked and only the stream itself shows its size, as with a
// proxy that recompresses or a mirror that streams.
type noLength struct{ http.ResponseWriter }

func (w noLength) WriteHeader(code int) {
	w.Header().Del("Content-Length")
	w.ResponseWriter.WriteHeader(code)
}

func serveChunked(t *testing.T, root string) string {
	t.Helper()
	fs := http.FileServer(http.Dir(root))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fs.ServeHTTP(noLength{w}, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func flipMiddleByte(b []byte) []byte {
	b = bytes.Clone(b)
	b[len(b)/2] ^= 0x20
	return b
}

// TestIngestIndexTampered serves the fixture with its index files damaged
// after the Release was signed: every case must fail as corrupt input and
// name the file, whether or not the mirror announces a length.
func TestIngestIndexTampered(t *testing.T) {
	_, keyring := formatstest.Repo(t)
	damages := []struct {
		name string
		edit func([]byte) []byte
	}{
		{name: "byte changed", edit: flipMiddleByte},
		{name: "truncated", edit: func(b []byte) []byte { return b[:len(b)/2] }},
		{name: "empty", edit: func(b []byte) []byte { return nil }},
		{name: "longer", edit: func(b []byte) []byte {
			return append(bytes.Clone(b), "\nPackage: smuggled\nVersion: 1\nArchitecture: amd64\n"...)
		}},
	}
	for _, d := range damages {
		for _, c := range []repo.Compression{"", "gz", "xz"} {
			for _, chunked := range []bool{false, true} {
				name := d.name + "/" + c.String()
				if chunked {
					name += "/no-length"
				}
				t.Run(name, func(t *testing.T) {
					root := formatstest.CopyRepo(t)
					serve := formatstest.Serve
					if chunked {
						serve = func(_ testing.TB, root string) string { return serveChunked(t, root) }
					}
					mirror := serve(t, root)
					ix := only(t, resolveFixture(t, mirror, keyring, "main/amd64"), c)
					p := filepath.Join(formatstest.IndexDir(root, "main/amd64"), "by-hash", "SHA256", ix.Candidates[0].SHA256)
					data, err := os.ReadFile(p)
					if err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(p, d.edit(data), 0o644); err != nil {
						t.Fatal(err)
					}
					rows, _, err := ingest(t, testContext(t), ix, repo.IngestOptions{})
					wantCorrupt(t, err, ix.Candidates[0].URL)
					if rows != nil {
						t.Errorf("rows returned with the error")
					}
				})
			}
		}
	}
}

// TestIngestIndexTamperedMessages pins down what the plain-file cases say,
// where the verdict can only come from the size and hash checks: what was
// wrong, what was expected and what came.
func TestIngestIndexTamperedMessages(t *testing.T) {
	_, keyring := formatstest.Repo(t)
	tests := []struct {
		name    string
		edit    func([]byte) []byte
		chunked bool
		words   []string
		size    bool // the message gives the Release's size and the size served
		hash    bool // the message gives the Release's hash and the hash served
	}{
		{name: "byte changed", edit: flipMiddleByte, words: []string{"SHA256", "does not match"}, hash: true},
		{name: "shorter", edit: func(b []byte) []byte { return b[:len(b)-100] }, words: []string{"mirror sends"}, size: true},
		{name: "longer", edit: func(b []byte) []byte { return append(bytes.Clone(b), '\n') }, words: []string{"mirror sends"}, size: true},
		{name: "shorter, no length", chunked: true, edit: func(b []byte) []byte { return b[:len(b)-100] }, words: []string{"got", "expected"}, size: true},
		{name: "longer, no length", chunked: true, edit: func(b []byte) []byte { return append(bytes.Clone(b), '\n') }, words: []string{"got", "expected"}, size: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := formatstest.CopyRepo(t)
			mirror := formatstest.Serve(t, root)
			if tt.chunked {
				mirror = serveChunked(t, root)
			}
			ix := only(t, resolveFixture(t, mirror, keyring, "main/amd64"), "")
			c := ix.Candidates[0]
			p := filepath.Join(formatstest.IndexDir(root, "main/amd64"), "by-hash", "SHA256", c.SHA256)
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			edited := tt.edit(data)
			if err := os.WriteFile(p, edited, 0o644); err != nil {
				t.Fatal(err)
			}
			_, _, err = ingest(t, testContext(t), ix, repo.IngestOptions{})
			words := tt.words
			if tt.size {
				words = append(words, strconv.FormatInt(c.Size, 10), strconv.Itoa(len(edited)))
			}
			if tt.hash {
				words = append(words, c.SHA256, hashOf(edited))
			}
			wantCorrupt(t, err, c.URL, words...)
		})
	}
}

// handmade serves the given files from a temporary folder and returns an
// Index for main/amd64 whose only candidate is name, with the size and hash
// of its bytes: the Release would vouch for it, so only the content can be
// wrong.
func handmade(t testing.TB, files map[string][]byte, name string, c repo.Compression) repo.Index {
	t.Helper()
	dir := t.TempDir()
	for n, b := range files {
		if err := os.WriteFile(filepath.Join(dir, n), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	base := formatstest.Serve(t, dir)
	data := files[name]
	sum := sha256.Sum256(data)
	return repo.Index{
		Component: "main", Architecture: "amd64",
		Candidates: []repo.Candidate{{
			URL: base + "/" + name, Path: "main/binary-amd64/" + name, Compression: c,
			Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:]),
		}},
	}
}

func gzipped(t *testing.T, plain []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw, err := gzip.NewWriterLevel(&b, gzip.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := zw.Write(plain); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func hashOf(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// fixturePlain is the fixture's main/amd64 Packages file.
func fixturePlain(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(formatstest.IndexDir(formatstest.Path(t, "repo"), "main/amd64"), "Packages"))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestIngestIndexHostileContent: files whose compressed size and hash match
// what the Index promises, but whose content is hostile.
func TestIngestIndexHostileContent(t *testing.T) {
	plain := fixturePlain(t)
	first, _, _ := strings.Cut(string(plain), "\n\n")
	first += "\n\n"

	// A gzip bomb of real stanzas: ~16 MiB of text in well under 1 MiB,
	// hundreds of times the real index.
	bombPlain := bytes.Repeat([]byte(first), (16<<20)/len(first))
	bomb := gzipped(t, bombPlain)
	if len(bomb) > 1<<20 {
		t.Fatalf("bomb is %d bytes compressed, want a small file", len(bomb))
	}

	// A stanza that does not parse; both hashes vouch for it.
	bad := strings.Replace(string(plain), "\nInstalled-Size: ", "\nInstalled-Size: 12 KiB", 1)
	if bad == string(plain) {
		t.Fatal("no Installed-Size field to break")
	}
	badGz := gzipped(t, []byte(bad))
	// A stanza without Version.
	noVersion := strings.Replace(string(plain), "\nVersion: ", "\nX-Version: ", 1)

	tests := []struct {
		name  string
		index func(t *testing.T) repo.Index
		opts  repo.IngestOptions
		words []string
	}{
		{
			name: "gzip bomb past the Release's uncompressed size",
			index: func(t *testing.T) repo.Index {
				ix := handmade(t, map[string][]byte{"Packages.gz": bomb}, "Packages.gz", "gz")
				ix.UncompressedSize, ix.UncompressedSHA256 = int64(len(plain)), hashOf(plain)
				return ix
			},
			words: []string{"decompresses to more than", strconv.Itoa(len(plain))},
		},
		{
			name: "gzip bomb past MaxUncompressed, no size in the Release",
			index: func(t *testing.T) repo.Index {
				return handmade(t, map[string][]byte{"Packages.gz": bomb}, "Packages.gz", "gz")
			},
			opts:  repo.IngestOptions{MaxUncompressed: 1 << 20},
			words: []string{"decompresses to more than", strconv.Itoa(1 << 20)},
		},
		{
			name: "corrupt stanza, compressed",
			index: func(t *testing.T) repo.Index {
				ix := handmade(t, map[string][]byte{"Packages.gz": badGz}, "Packages.gz", "gz")
				ix.UncompressedSize, ix.UncompressedSHA256 = int64(len(bad)), hashOf([]byte(bad))
				return ix
			},
			words: []string{"Installed-Size"},
		},
		{
			name: "corrupt stanza, plain",
			index: func(t *testing.T) repo.Index {
				return handmade(t, map[string][]byte{"Packages": []byte(bad)}, "Packages", "")
			},
			words: []string{"Installed-Size"},
		},
		{
			name: "stanza without Version",
			index: func(t *testing.T) repo.Index {
				return handmade(t, map[string][]byte{"Packages": []byte(noVersion)}, "Packages", "")
			},
			words: []string{"Version"},
		},
		{
			name: "decompressed size differs from the Release",
			index: func(t *testing.T) repo.Index {
				ix := handmade(t, map[string][]byte{"Packages.gz": gzipped(t, plain)}, "Packages.gz", "gz")
				ix.UncompressedSize, ix.UncompressedSHA256 = int64(len(plain))+1, hashOf(plain)
				return ix
			},
			words: []string{"decompresses to", strconv.Itoa(len(plain) + 1)},
		},
		{
			name: "not gzip at all",
			index: func(t *testing.T) repo.Index {
				return handmade(t, map[string][]byte{"Packages.gz": plain}, "Packages.gz", "gz")
			},
			words: []string{"gzip"},
		},
		{
			name: "not xz at all",
			index: func(t *testing.T) repo.Index {
				return handmade(t, map[string][]byte{"Packages.xz": gzipped(t, plain)}, "Packages.xz", "xz")
			},
			words: []string{"xz"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ix := tt.index(t)
			start := time.Now()
			_, _, err := ingest(t, testContext(t), ix, tt.opts)
			wantCorrupt(t, err, ix.Candidates[0].URL, tt.words...)
			t.Logf("%v after %v", err, time.Since(start).Round(time.Millisecond))
		})
	}
}

// TestIngestIndexHangingMirror: a mirror that stops sending mid-body must
// not hang the ingest past its context.
func TestIngestIndexHangingMirror(t *testing.T) {
	err := ingestFromHangingMirror(t)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v, want one wrapping context.DeadlineExceeded", err)
	}
}

// TestIngestIndexHangingMirrorRetryable: a stalled mirror is worth retrying,
// so its error must not be reported as corrupt metadata, which callers
// (activities.classify) never retry.
func TestIngestIndexHangingMirrorRetryable(t *testing.T) {
	if err := ingestFromHangingMirror(t); errors.Is(err, repo.ErrCorrupt) {
		t.Errorf("error %q wraps ErrCorrupt: a timeout would not be retried", err)
	}
}

// ingestFromHangingMirror ingests from a server that sends half of the
// index and then stalls, under a 500ms context, and returns the error.
func ingestFromHangingMirror(t *testing.T) error {
	t.Helper()
	plain := fixturePlain(t)
	gz := gzipped(t, plain)
	stop := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(gz)))
		w.WriteHeader(http.StatusOK)
		w.Write(gz[:len(gz)/2])
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-stop:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(stop) })

	ix := repo.Index{
		Component: "main", Architecture: "amd64",
		Candidates: []repo.Candidate{{
			URL: srv.URL + "/Packages.gz", Path: "main/binary-amd64/Packages.gz", Compression: "gz",
			Size: int64(len(gz)), SHA256: hashOf(gz),
		}},
		UncompressedSize: int64(len(plain)), UncompressedSHA256: hashOf(plain),
	}
	ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := repo.Ingest(ctx, repo.DefaultFetcher(), ix, formats.Apt{}.Parse, new(bytes.Buffer), repo.IngestOptions{})
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(30 * time.Second):
		t.Fatal("IngestIndex still running 30s after its 500ms context expired")
		return nil
	}
}

// TestResolveHangingMirror: the same for the Release.
func TestResolveHangingMirror(t *testing.T) {
	stop := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100000")
		w.WriteHeader(http.StatusOK)
		w.Write([]byte("-----BEGIN PGP SIGNED MESSAGE-----\n"))
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-stop:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(stop) })
	ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := formats.Apt{}.Resolve(ctx, repo.DefaultFetcher(), fixtureSource(srv.URL, formatstest.Path(t, "keyring.gpg")), time.Now())
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, repo.ErrCorrupt) {
			t.Errorf("error %v, want one wrapping context.DeadlineExceeded and not ErrCorrupt", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Resolve still running 30s after its 500ms context expired")
	}
}
