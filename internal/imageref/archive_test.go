package imageref

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/distroscope/distroscope/internal/imageref/imagereftest"
)

// writeTar writes members (name → body; a body starting with "->" is a
// symlink to the rest) in order.
func writeTar(t *testing.T, members [][2]string) string {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, m := range members {
		h := &tar.Header{Name: m[0], Mode: 0o644, Typeflag: tar.TypeReg, Size: int64(len(m[1]))}
		if target, ok := strings.CutPrefix(m[1], "->"); ok {
			h = &tar.Header{Name: m[0], Typeflag: tar.TypeSymlink, Linkname: target}
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			tw.Write([]byte(m[1]))
		}
	}
	tw.Close()
	p := filepath.Join(t.TempDir(), "archive.tar")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestBrokenArchives(t *testing.T) {
	manifest := func(m tarball.Manifest) string {
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	for _, c := range []struct {
		name, ref string
		members   [][2]string
		want      string
	}{
		{"two images", "docker-archive:", [][2]string{{"manifest.json", manifest(tarball.Manifest{{Config: "a.json", RepoTags: []string{"a:1"}}, {Config: "b.json", RepoTags: []string{"b:1"}}})}}, "holds 2 images (a:1; b:1)"},
		{"no manifest", "docker-archive:", [][2]string{{"other.json", "{}"}}, "not a docker save archive (no manifest.json)"},
		{"config escapes", "docker-archive:", [][2]string{{"manifest.json", manifest(tarball.Manifest{{Config: "c.json"}})}, {"c.json", "->../../etc/passwd"}}, "member c.json links outside the archive"},
		{"link loop", "docker-archive:", [][2]string{{"manifest.json", manifest(tarball.Manifest{{Config: "c.json"}})}, {"c.json", "->d.json"}, {"d.json", "->c.json"}}, "more than 16 links in a chain"},
		{"huge manifest", "docker-archive:", [][2]string{{"manifest.json", "[" + strings.Repeat(" ", DefaultMaxManifestBytes) + "]"}}, "manifest.json is over the 4194304-byte limit"},
		{"no oci-layout", "oci-archive:", [][2]string{{"index.json", "{}"}}, "not an OCI image layout (no oci-layout file)"},
		{"empty index", "oci-archive:", [][2]string{{"oci-layout", `{"imageLayoutVersion":"1.0.0"}`}, {"index.json", `{"schemaVersion":2,"manifests":[]}`}}, "index.json names no image manifest"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := open(t, c.ref+writeTar(t, c.members), Options{})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
		})
	}
}

// TestRegistryTamperedBlob: a registry that serves other bytes for a layer
// than its digest says is refused at the end of the layer's read.
func TestRegistryTamperedBlob(t *testing.T) {
	img := testImage(t, "linux/amd64")
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	bad, _ := layers[2].Digest()
	reg := registry.New()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || !strings.HasSuffix(r.URL.Path, "/blobs/"+bad.String()) {
			reg.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		reg.ServeHTTP(rec, r)
		b := rec.Body.Bytes()
		b[len(b)/2] ^= 0xff
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		io.Copy(w, bytes.NewReader(b))
	}))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	imagereftest.Push(t, host, "tampered/app:1", img)
	got, err := open(t, "registry:"+host+"/tampered/app:1", Options{Insecure: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := readLayer(t, got.Layers[1]); err != nil {
		t.Fatalf("untouched layer 1: %v", err)
	}
	if _, err := readLayer(t, got.Layers[2]); err == nil || !strings.Contains(err.Error(), bad.Hex) {
		t.Fatalf("err = %v, want the layer's digest mismatch", err)
	}
}

// An index with only attestations names no platform to pick.
func TestAttestationsAreNotPlatforms(t *testing.T) {
	idx, _ := testIndex(t, "linux/arm64")
	att := testImage(t, "unknown/unknown")
	idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: att, Descriptor: mustPlatformDesc(t, "unknown/unknown")})
	_, err := open(t, "oci-dir:"+writeLayout(t, idx), Options{Platform: "linux/amd64"})
	if err == nil || !strings.Contains(err.Error(), "the index has linux/arm64 (choose") {
		t.Fatalf("err = %v, want only linux/arm64 listed", err)
	}
}

// TestDockerArchiveGzipDiffID: a gzip layer not named by its digest is
// checked against the config's DiffID by decompressing a copy as it is read.
func TestDockerArchiveGzipDiffID(t *testing.T) {
	files := []imagereftest.File{{Name: "etc/os-release", Body: "ID=test\n"}}
	img := imagereftest.Image(t, "linux/amd64", imagereftest.LayerFromFiles(t, files))
	cfgName, err := img.ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	cb, err := img.RawConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	gz := func(files []imagereftest.File) string {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(imagereftest.TarBytes(t, files))
		zw.Close()
		return buf.String()
	}
	m, err := json.Marshal(tarball.Manifest{{Config: cfgName.Hex + ".json", Layers: []string{"0/layer.tar"}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		layer string
		want  string
	}{
		{"matching", gz(files), ""},
		{"other content", gz([]imagereftest.File{{Name: "etc/os-release", Body: "ID=evil\n"}}), "uncompressed content has digest"},
		{"broken gzip", gz(files)[:40], "decompressing to check its DiffID"},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := writeTar(t, [][2]string{{cfgName.Hex + ".json", string(cb)}, {"0/layer.tar", c.layer}, {"manifest.json", string(m)}})
			got, err := open(t, "docker-archive:"+path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if got.Layers[0].MediaType != "application/vnd.docker.image.rootfs.diff.tar.gzip" {
				t.Errorf("MediaType %s, want gzip sniffed", got.Layers[0].MediaType)
			}
			b, err := readLayer(t, got.Layers[0])
			if c.want == "" {
				if err != nil || string(b) != c.layer {
					t.Fatalf("read %d bytes, %v; want the gzip as stored", len(b), err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
		})
	}
}
