// Package imagereftest builds container images in memory and serves them
// from go-containerregistry's in-memory registry on 127.0.0.1, for tests of
// imageref and of the image analysis: real registry protocol, real tar
// layers, no daemon.
package imagereftest

import (
	"archive/tar"
	"bytes"
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// File is one tar member of a layer. Type defaults to a regular file (a
// directory when Name ends in "/"); Mode to 0644 for files and 0755 for
// directories. A whiteout is a File named ".wh.NAME" (or ".wh..wh..opq").
type File struct {
	Name     string
	Body     string
	Mode     int64
	Type     byte
	Linkname string
}

// ModTime is the time every member gets, so layers built twice are equal.
var ModTime = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// TarBytes writes files as an uncompressed tar.
func TarBytes(t testing.TB, files []File) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		h := &tar.Header{Name: f.Name, Mode: f.Mode, Typeflag: f.Type, Linkname: f.Linkname, ModTime: ModTime, Format: tar.FormatPAX}
		if h.Typeflag == 0 {
			h.Typeflag = tar.TypeReg
			if strings.HasSuffix(f.Name, "/") {
				h.Typeflag = tar.TypeDir
			}
		}
		if h.Mode == 0 {
			h.Mode = 0o644
			if h.Typeflag == tar.TypeDir {
				h.Mode = 0o755
			}
		}
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(f.Body))
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatalf("imagereftest: tar header %s: %v", f.Name, err)
		}
		if h.Size > 0 {
			if _, err := tw.Write([]byte(f.Body)); err != nil {
				t.Fatalf("imagereftest: tar body %s: %v", f.Name, err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatalf("imagereftest: closing tar: %v", err)
	}
	return buf.Bytes()
}

// LayerFromFiles is a gzip-compressed tar layer of files.
func LayerFromFiles(t testing.TB, files []File) v1.Layer {
	t.Helper()
	b := TarBytes(t, files)
	l, err := tarball.LayerFromReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("imagereftest: layer: %v", err)
	}
	return l
}

// Image stacks layers (first applied first) into an image for platform
// ("linux/arm64/v8"), created at ModTime.
func Image(t testing.TB, platform string, layers ...v1.Layer) v1.Image {
	t.Helper()
	p, err := v1.ParsePlatform(platform)
	if err != nil {
		t.Fatalf("imagereftest: platform %q: %v", platform, err)
	}
	img, err := mutate.AppendLayers(empty.Image, layers...)
	if err != nil {
		t.Fatalf("imagereftest: appending layers: %v", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatalf("imagereftest: config: %v", err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant = p.OS, p.Architecture, p.Variant
	cf.Created = v1.Time{Time: ModTime}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatalf("imagereftest: setting config: %v", err)
	}
	return img
}

// Serve starts an in-memory registry on 127.0.0.1 holding imgs, keyed by
// reference without the host ("library/app:1"), and returns its host:port.
// It stops when the test ends.
func Serve(t testing.TB, imgs map[string]v1.Image) (host string) {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	host = strings.TrimPrefix(srv.URL, "http://")
	for ref, img := range imgs {
		Push(t, host, ref, img)
	}
	return host
}

// Push writes an image or an index (a v1.ImageIndex) to host's registry
// under ref ("library/app:1"), with the docker config's credentials if it
// has any for host.
func Push(t testing.TB, host, ref string, artifact any) {
	t.Helper()
	r, err := name.ParseReference(host+"/"+ref, name.Insecure)
	if err != nil {
		t.Fatalf("imagereftest: reference %q: %v", ref, err)
	}
	switch a := artifact.(type) {
	case v1.Image:
		err = remote.Write(r, a, remote.WithAuthFromKeychain(authn.DefaultKeychain))
	case v1.ImageIndex:
		err = remote.WriteIndex(r, a, remote.WithAuthFromKeychain(authn.DefaultKeychain))
	default:
		t.Fatalf("imagereftest: push %s: %T is neither an image nor an index", ref, artifact)
	}
	if err != nil {
		t.Fatalf("imagereftest: push %s: %v", ref, err)
	}
}
