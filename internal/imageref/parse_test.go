package imageref

import (
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/distroscope/distroscope/internal/imageref/imagereftest"
)

func TestParse(t *testing.T) {
	tmp := t.TempDir()
	rootfsTar := filepath.Join(tmp, "rootfs.tar")
	if err := os.WriteFile(rootfsTar, imagereftest.TarBytes(t, []imagereftest.File{{Name: "etc/hostname", Body: "box\n"}}), 0o644); err != nil {
		t.Fatal(err)
	}
	gzTar := filepath.Join(tmp, "rootfs.tar.gz")
	f, err := os.Create(gzTar)
	if err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(f)
	zw.Write(imagereftest.TarBytes(t, []imagereftest.File{{Name: "etc/hostname", Body: "box\n"}}))
	zw.Close()
	f.Close()
	notTar := filepath.Join(tmp, "notes.txt")
	if err := os.WriteFile(notTar, []byte(strings.Repeat("not a tar archive\n", 40)), 0o644); err != nil {
		t.Fatal(err)
	}
	img := testImage(t, "linux/amd64")
	ociTar := tarDir(t, writeLayout(t, mutate.AppendManifests(empty.Index, mutate.IndexAddendum{Add: img})))
	dockerTar := writeDockerArchive(t, img)
	ggcrTar := writeGgcrArchive(t, img)
	docker25Tar := writeTar(t, [][2]string{{"blobs/sha256/x", "{}"}, {"index.json", "{}"}, {"manifest.json", "[]"}, {"oci-layout", "{}"}})

	for _, c := range []struct {
		in     string
		scheme Scheme
		value  string
		err    string
	}{
		{in: "dir:/some/root", scheme: SchemeDir, value: "/some/root"},
		{in: "file:/images/rootfs.tar", scheme: SchemeFile, value: "/images/rootfs.tar"},
		{in: "oci-dir:./layout", scheme: SchemeOCIDir, value: "./layout"},
		{in: "oci-archive:img.tar", scheme: SchemeOCIArchive, value: "img.tar"},
		{in: "docker-archive:save.tar", scheme: SchemeDockerArchive, value: "save.tar"},
		{in: "registry:debian:bookworm", scheme: SchemeRegistry, value: "debian:bookworm"},
		{in: "registry:127.0.0.1:5000/app@sha256:" + strings.Repeat("ab", 32), scheme: SchemeRegistry, value: "127.0.0.1:5000/app@sha256:" + strings.Repeat("ab", 32)},
		{in: "debian:bookworm", scheme: SchemeRegistry, value: "debian:bookworm"},
		{in: "localhost:5000/app", scheme: SchemeRegistry, value: "localhost:5000/app"},
		{in: tmp, scheme: SchemeDir, value: tmp},
		{in: rootfsTar, scheme: SchemeFile, value: rootfsTar},
		{in: gzTar, scheme: SchemeFile, value: gzTar},
		{in: ociTar, scheme: SchemeOCIArchive, value: ociTar},
		{in: dockerTar, scheme: SchemeDockerArchive, value: dockerTar},
		{in: ggcrTar, scheme: SchemeDockerArchive, value: ggcrTar},
		// docker 25 and later save an OCI layout beside manifest.json.
		{in: docker25Tar, scheme: SchemeDockerArchive, value: docker25Tar},
		{in: "", err: "empty image reference"},
		{in: "dir:", err: `nothing after "dir:"`},
		{in: "registry:Not/Valid::ref", err: "not a registry reference"},
		{in: "docker:debian", err: "the docker: scheme reads from a container daemon"},
		{in: "podman:debian", err: "the podman: scheme reads from a container daemon"},
		{in: "/no/such/file.tar", err: "no such file or directory"},
		{in: "Not/Valid::ref", err: "neither an existing file or directory nor a registry reference"},
		{in: notTar, err: "neither a directory nor a tar archive"},
	} {
		r, err := Parse(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("Parse(%q) = %+v, %v; want error %q", c.in, r, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("Parse(%q): %v", c.in, err)
			continue
		}
		if r.Scheme != c.scheme || r.Value != c.value || r.Raw != c.in {
			t.Errorf("Parse(%q) = %+v, want %s:%s", c.in, r, c.scheme, c.value)
		}
	}
}
