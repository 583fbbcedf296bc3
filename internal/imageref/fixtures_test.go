package imageref

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/compression"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/klauspost/compress/zstd"

	"github.com/distroscope/distroscope/internal/imageref/imagereftest"
)

// testImage builds a three-layer image for a platform: a base, a layer that
// deletes a file and adds one (a whiteout), and a zstd layer that makes a
// directory opaque. The platform is in a file, so each platform's layers differ.
func testImage(t *testing.T, platform string) v1.Image {
	t.Helper()
	base := imagereftest.LayerFromFiles(t, []imagereftest.File{
		{Name: "etc/"},
		{Name: "etc/os-release", Body: "ID=test\n"},
		{Name: "etc/platform", Body: platform + "\n"},
		{Name: "usr/lib/app/", Mode: 0o755},
		{Name: "usr/lib/app/old", Body: "old"},
		{Name: "usr/bin/tool", Body: "#!/bin/sh\n", Mode: 0o755},
	})
	second := imagereftest.LayerFromFiles(t, []imagereftest.File{
		{Name: "etc/.wh.os-release"},
		{Name: "etc/app.conf", Body: "key=value\n"},
	})
	zl, err := tarball.LayerFromReader(bytes.NewReader(imagereftest.TarBytes(t, []imagereftest.File{
		{Name: "usr/lib/app/"},
		{Name: "usr/lib/app/.wh..wh..opq"},
		{Name: "usr/lib/app/new", Body: "new"},
	})), tarball.WithCompression(compression.ZStd), tarball.WithMediaType(types.OCILayerZStd))
	if err != nil {
		t.Fatal(err)
	}
	return imagereftest.Image(t, platform, base, second, zl)
}

// testIndex holds one image per platform, with the platforms in its descriptors.
func testIndex(t *testing.T, platforms ...string) (v1.ImageIndex, map[string]v1.Image) {
	t.Helper()
	idx := v1.ImageIndex(empty.Index)
	imgs := map[string]v1.Image{}
	for _, p := range platforms {
		img := testImage(t, p)
		pl, err := v1.ParsePlatform(p)
		if err != nil {
			t.Fatal(err)
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: pl}})
		imgs[p] = img
	}
	return idx, imgs
}

// writeLayout writes idx as an OCI layout directory.
func writeLayout(t *testing.T, idx v1.ImageIndex) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "layout")
	if _, err := layout.Write(dir, idx); err != nil {
		t.Fatal(err)
	}
	return dir
}

// tarDir writes a directory as a tar, as `tar -C dir -cf out .` would.
func tarDir(t *testing.T, dir string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "image.tar")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	tw := tar.NewWriter(f)
	err = filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil || rel == "." {
			return err
		}
		h, err := tar.FileInfoHeader(fi, "")
		if err != nil {
			return err
		}
		h.Name = "./" + filepath.ToSlash(rel)
		if fi.IsDir() {
			h.Name += "/"
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if fi.Mode().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			_, err = tw.Write(b)
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return out
}

// writeDockerArchive writes img as `docker save` of docker 24 does: plain
// tar layers as <id>/layer.tar, the config as <image id>.json; the last
// layer, if it repeats an earlier one, as a symlink to it, as docker does.
func writeDockerArchive(t *testing.T, img v1.Image) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "docker.tar")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	tw := tar.NewWriter(f)
	add := func(name string, b []byte) {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(b)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	cfgName, err := img.ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	cb, err := img.RawConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	add(cfgName.Hex+".json", cb)
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	seen := map[v1.Hash]string{}
	for i, l := range layers {
		diffID, err := l.DiffID()
		if err != nil {
			t.Fatal(err)
		}
		member := filepath.Join(string(rune('a'+i))+"layerid", "layer.tar")
		names = append(names, member)
		if prev, ok := seen[diffID]; ok {
			if err := tw.WriteHeader(&tar.Header{Name: member, Typeflag: tar.TypeSymlink, Linkname: "../" + prev}); err != nil {
				t.Fatal(err)
			}
			continue
		}
		seen[diffID] = member
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		add(member, b)
	}
	mb, err := json.Marshal(tarball.Manifest{{Config: cfgName.Hex + ".json", RepoTags: []string{"example/app:1"}, Layers: names}})
	if err != nil {
		t.Fatal(err)
	}
	add("manifest.json", mb)
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return out
}

// writeGgcrArchive writes img with go-containerregistry's tarball.Write:
// gzip layers named by their digests.
func writeGgcrArchive(t *testing.T, img v1.Image) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "ggcr.tar")
	tag, err := name.NewTag("example/app:1")
	if err != nil {
		t.Fatal(err)
	}
	if err := tarball.WriteToFile(out, tag, img); err != nil {
		t.Fatal(err)
	}
	return out
}

// readLayer reads a layer to its end, as the analyzer does.
func readLayer(t *testing.T, l Layer) ([]byte, error) {
	t.Helper()
	rc, err := l.Open(context.Background())
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// uncompress undoes a layer's compression, sniffed like the analyzer does.
func uncompress(t *testing.T, b []byte) []byte {
	t.Helper()
	var r io.Reader = bytes.NewReader(b)
	switch sniffCompression(b) {
	case "gzip":
		zr, err := gzip.NewReader(r)
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	case "zstd":
		zr, err := zstd.NewReader(r)
		if err != nil {
			t.Fatal(err)
		}
		defer zr.Close()
		r = zr
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func mustPlatformDesc(t *testing.T, platform string) v1.Descriptor {
	t.Helper()
	p, err := v1.ParsePlatform(platform)
	if err != nil {
		t.Fatal(err)
	}
	return v1.Descriptor{Platform: p}
}
