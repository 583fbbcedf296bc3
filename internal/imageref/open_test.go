package imageref

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/distroscope/distroscope/internal/imageref/imagereftest"
)

var machinePlatform = "linux/" + runtime.GOARCH

// checkImage is the conformance check every scheme that yields layers
// passes: the identity, the platform and creation time from the config, and
// each layer in order, as stored, with the bytes the image was built from.
func checkImage(t *testing.T, got *Image, want v1.Image, identity v1.Hash, storedUncompressed bool) {
	t.Helper()
	if got.Identity != identity.String() {
		t.Errorf("Identity = %s, want %s", got.Identity, identity)
	}
	cf, err := want.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if wantPlatform := platformString(cf.OS, cf.Architecture, cf.Variant); got.Platform != wantPlatform || got.OS != cf.OS || got.Architecture != cf.Architecture || got.Variant != cf.Variant {
		t.Errorf("platform = %s (%s %s %s), want %s", got.Platform, got.OS, got.Architecture, got.Variant, wantPlatform)
	}
	if !got.Created.Equal(imagereftest.ModTime) {
		t.Errorf("Created = %v, want %v", got.Created, imagereftest.ModTime)
	}
	layers, err := want.Layers()
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Layers) != len(layers) {
		t.Fatalf("%d layers, want %d", len(got.Layers), len(layers))
	}
	for i, wl := range layers {
		gl := got.Layers[i]
		diffID, _ := wl.DiffID()
		if gl.Index != i || gl.DiffID != diffID.String() {
			t.Errorf("layer %d: Index %d DiffID %s, want DiffID %s", i, gl.Index, gl.DiffID, diffID)
		}
		b, err := readLayer(t, gl)
		if err != nil {
			t.Fatalf("layer %d: %v", i, err)
		}
		rc, err := wl.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		wantTar := new(bytes.Buffer)
		wantTar.ReadFrom(rc)
		rc.Close()
		if storedUncompressed {
			if !bytes.Equal(b, wantTar.Bytes()) {
				t.Errorf("layer %d: Open gave %d bytes, not the %d-byte tar as stored", i, len(b), wantTar.Len())
			}
			continue
		}
		digest, _ := wl.Digest()
		mt, _ := wl.MediaType()
		if gl.Digest != digest.String() || gl.MediaType != string(mt) {
			t.Errorf("layer %d: Digest %s MediaType %s, want %s %s", i, gl.Digest, gl.MediaType, digest, mt)
		}
		sum := sha256.Sum256(b)
		if "sha256:"+hex.EncodeToString(sum[:]) != digest.String() {
			t.Errorf("layer %d: Open did not give the compressed blob %s", i, digest)
		}
		if !bytes.Equal(uncompress(t, b), wantTar.Bytes()) {
			t.Errorf("layer %d: its content is not the tar the layer was built from", i)
		}
	}
}

func open(t *testing.T, ref string, o Options) (*Image, error) {
	t.Helper()
	r, err := Parse(ref)
	if err != nil {
		t.Fatal(err)
	}
	img, err := Open(context.Background(), r, o)
	if err == nil {
		t.Cleanup(func() { img.Close() })
	}
	return img, err
}

func mustDigest(t *testing.T, img v1.Image) v1.Hash {
	t.Helper()
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestOpenImageSchemes opens one multi-platform index through each scheme
// that holds an index, for the machine's platform by default and for each
// platform asked for.
func TestOpenImageSchemes(t *testing.T) {
	idx, imgs := testIndex(t, "linux/amd64", "linux/arm64/v8")
	host := imagereftest.Serve(t, nil)
	imagereftest.Push(t, host, "multi/app:1", idx)
	dir := writeLayout(t, idx)
	nested := writeLayout(t, mutate.AppendManifests(empty.Index, mutate.IndexAddendum{Add: idx}))
	refs := map[string]string{
		"registry":    "registry:" + host + "/multi/app:1",
		"oci-dir":     "oci-dir:" + dir,
		"oci-archive": "oci-archive:" + tarDir(t, dir),
		"nested":      "oci-dir:" + nested,
		"sniffed":     tarDir(t, dir),
	}
	for scheme, ref := range refs {
		for _, platform := range []string{"", "linux/amd64", "linux/arm64", "linux/arm64/v8"} {
			t.Run(scheme+"/"+platform, func(t *testing.T) {
				wantPlatform := platform
				if wantPlatform == "" {
					wantPlatform = machinePlatform
				}
				if wantPlatform == "linux/arm64" {
					wantPlatform = "linux/arm64/v8"
				}
				img, err := open(t, ref, Options{Platform: platform, Insecure: true})
				want := imgs[wantPlatform]
				if want == nil {
					// A machine that is neither amd64 nor arm64 has no default here.
					if err == nil || !strings.Contains(err.Error(), "no manifest for "+wantPlatform) {
						t.Fatalf("err = %v, want no manifest for %s", err, wantPlatform)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				checkImage(t, img, want, mustDigest(t, want), false)
			})
		}
	}
}

func TestOpenDockerArchive(t *testing.T) {
	img := testImage(t, "linux/arm64/v8")
	first, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	// A repeated layer: docker saves it once and links to it.
	img, err = mutate.AppendLayers(img, first[0])
	if err != nil {
		t.Fatal(err)
	}
	id, err := img.ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	t.Run("docker save", func(t *testing.T) {
		path := writeDockerArchive(t, img)
		for _, ref := range []string{"docker-archive:" + path, path} {
			got, err := open(t, ref, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if got.Ref.Scheme != SchemeDockerArchive {
				t.Errorf("%s: scheme %s", ref, got.Ref.Scheme)
			}
			checkImage(t, got, img, id, true)
			for _, l := range got.Layers {
				if l.MediaType != string(types.DockerUncompressedLayer) || l.Digest != l.DiffID {
					t.Errorf("layer %d: MediaType %s Digest %s, want a plain tar named by its DiffID %s", l.Index, l.MediaType, l.Digest, l.DiffID)
				}
			}
		}
	})
	t.Run("tarball.Write", func(t *testing.T) {
		got, err := open(t, "docker-archive:"+writeGgcrArchive(t, img), Options{})
		if err != nil {
			t.Fatal(err)
		}
		checkImage(t, got, img, id, false)
	})
	t.Run("oversized config", func(t *testing.T) {
		// docker-archive has no manifest to bound but its small manifest.json.
		raw, _ := img.RawConfigFile()
		_, err := open(t, "docker-archive:"+writeDockerArchive(t, img), Options{MaxManifestBytes: int64(len(raw)) - 1})
		if want := fmt.Sprintf("config %s.json is over the %d-byte limit", id.Hex, len(raw)-1); err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("err = %v, want %q", err, want)
		}
	})
	t.Run("wrong platform", func(t *testing.T) {
		_, err := open(t, "docker-archive:"+writeDockerArchive(t, img), Options{Platform: "linux/amd64"})
		if err == nil || !strings.Contains(err.Error(), "is for linux/arm64/v8, not the requested linux/amd64") {
			t.Fatalf("err = %v, want the archive's platform named", err)
		}
	})
}

func TestOpenSingleImage(t *testing.T) {
	img := testImage(t, "linux/arm64")
	host := imagereftest.Serve(t, map[string]v1.Image{"single/app:1": img})
	dir := writeLayout(t, empty.Index)
	if err := layout.Path(dir).AppendImage(img); err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{"registry:" + host + "/single/app:1", host + "/single/app@" + mustDigest(t, img).String(), "oci-dir:" + dir} {
		t.Run(ref, func(t *testing.T) {
			// Without --platform a single image is taken whatever its platform.
			got, err := open(t, ref, Options{Insecure: true})
			if err != nil {
				t.Fatal(err)
			}
			checkImage(t, got, img, mustDigest(t, img), false)
			_, err = open(t, ref, Options{Insecure: true, Platform: "linux/s390x"})
			if err == nil || !strings.Contains(err.Error(), "linux/arm64") || !strings.Contains(err.Error(), "linux/s390x") {
				t.Fatalf("err = %v, want the image's and the requested platform named", err)
			}
		})
	}
}

func TestMissingPlatform(t *testing.T) {
	idx, _ := testIndex(t, "linux/amd64", "linux/arm64/v8")
	host := imagereftest.Serve(t, nil)
	imagereftest.Push(t, host, "multi/app:1", idx)
	for _, ref := range []string{"registry:" + host + "/multi/app:1", "oci-dir:" + writeLayout(t, idx)} {
		_, err := open(t, ref, Options{Platform: "linux/s390x", Insecure: true})
		if err == nil || !strings.Contains(err.Error(), "no manifest for linux/s390x; the index has linux/amd64, linux/arm64/v8") {
			t.Errorf("%s: err = %v, want the available platforms listed", ref, err)
		}
	}
}

// TestRegistryAuth puts basic auth in front of the registry and gives the
// credentials the way users do: a docker config.json.
func TestRegistryAuth(t *testing.T) {
	img := testImage(t, "linux/amd64")
	reg := registry.New()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "reader" || p != "s3cret" {
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		reg.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", home)
	t.Setenv("XDG_RUNTIME_DIR", home)
	t.Setenv("REGISTRY_AUTH_FILE", "")
	writeDockerConfig := func(user, pass string) {
		dir := filepath.Join(t.TempDir(), "docker")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		auth := base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
		cfg := fmt.Sprintf(`{"auths": {%q: {"auth": %q}}}`, host, auth)
		if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		t.Setenv("DOCKER_CONFIG", dir)
	}
	writeDockerConfig("reader", "s3cret")
	// Pushing through the same keychain proves the credentials work both ways.
	imagereftest.Push(t, host, "private/app:1", img)
	got, err := open(t, "registry:"+host+"/private/app:1", Options{Insecure: true})
	if err != nil {
		t.Fatal(err)
	}
	checkImage(t, got, img, mustDigest(t, img), false)

	writeDockerConfig("reader", "wrong")
	if _, err := open(t, "registry:"+host+"/private/app:1", Options{Insecure: true}); err == nil || !strings.Contains(err.Error(), "UNAUTHORIZED") && !strings.Contains(err.Error(), "401") {
		t.Fatalf("err = %v, want the registry's refusal", err)
	}
}

// TestRefused: what must not be read is refused by name before any layer is.
func TestRefused(t *testing.T) {
	base := imagereftest.LayerFromFiles(t, []imagereftest.File{{Name: "etc/os-release", Body: "ID=test\n"}})
	foreign, err := mutate.Append(empty.Image, mutate.Addendum{
		Layer:     base,
		MediaType: types.DockerForeignLayer,
		URLs:      []string{"http://127.0.0.1:9/foreign-layer"},
	})
	if err != nil {
		t.Fatal(err)
	}
	withURLs, err := mutate.Append(empty.Image, mutate.Addendum{Layer: base, URLs: []string{"http://127.0.0.1:9/elsewhere"}})
	if err != nil {
		t.Fatal(err)
	}
	odd, err := mutate.Append(empty.Image, mutate.Addendum{Layer: base, MediaType: "application/vnd.example.squashfs"})
	if err != nil {
		t.Fatal(err)
	}
	big := testImage(t, "linux/amd64")
	artifact := mutate.ConfigMediaType(big, "application/vnd.cncf.helm.config.v1+json")
	rawConfig, _ := big.RawConfigFile()
	rawManifest, _ := big.RawManifest()
	bigConfig, bigManifest := int64(len(rawConfig)), len(rawManifest)
	if int64(bigManifest) <= bigConfig+1 {
		t.Fatalf("the test image's manifest (%d bytes) must be bigger than its config (%d)", bigManifest, bigConfig)
	}
	host := imagereftest.Serve(t, nil)
	for _, c := range []struct {
		name string
		img  v1.Image
		o    Options
		want string
	}{
		{"foreign", foreign, Options{}, "is non-distributable (application/vnd.docker.image.rootfs.foreign.diff.tar.gzip)"},
		{"urls", withURLs, Options{}, "is non-distributable"},
		{"media type", odd, Options{}, `has media type "application/vnd.example.squashfs", not a tar, tar+gzip or tar+zstd layer`},
		{"artifact", artifact, Options{}, `config media type "application/vnd.cncf.helm.config.v1+json" is not an image config`},
		// Bigger than the config, smaller than the manifest: the manifest's own bound.
		{"oversized", big, Options{MaxManifestBytes: bigConfig + 1}, fmt.Sprintf("manifest %s is %d bytes, over the %d-byte limit", mustDigest(t, big), bigManifest, bigConfig+1)},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.o.Insecure = true
			imagereftest.Push(t, host, "refused/"+strings.ReplaceAll(c.name, " ", "-")+":1", c.img)
			dir := writeLayout(t, mutate.AppendManifests(empty.Index, mutate.IndexAddendum{Add: c.img}))
			for _, ref := range []string{"registry:" + host + "/refused/" + strings.ReplaceAll(c.name, " ", "-") + ":1", "oci-dir:" + dir} {
				_, err := open(t, ref, c.o)
				if err == nil || !strings.Contains(err.Error(), c.want) {
					t.Errorf("%s: err = %v, want %q", ref, err, c.want)
				}
			}
		})
	}
}

// TestTamperedBlobs: a blob changed on disk is refused — a layer at the end
// of its read, naming the layer; a manifest or config when opening.
func TestTamperedBlobs(t *testing.T) {
	img := testImage(t, "linux/amd64")
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	layerDigest, _ := layers[1].Digest()
	cfgDigest, _ := img.ConfigName()
	flip := func(t *testing.T, p string) {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		b[len(b)/2] ^= 0xff
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	newLayout := func(t *testing.T) string {
		return writeLayout(t, mutate.AppendManifests(empty.Index, mutate.IndexAddendum{Add: img}))
	}
	t.Run("oci-dir layer", func(t *testing.T) {
		dir := newLayout(t)
		flip(t, filepath.Join(dir, "blobs", "sha256", layerDigest.Hex))
		got, err := open(t, "oci-dir:"+dir, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := readLayer(t, got.Layers[0]); err != nil {
			t.Fatalf("untouched layer 0: %v", err)
		}
		_, err = readLayer(t, got.Layers[1])
		want := fmt.Sprintf("layer 1 (%s): content has digest", layerDigest)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("err = %v, want %q", err, want)
		}
	})
	t.Run("oci-archive layer", func(t *testing.T) {
		dir := newLayout(t)
		flip(t, filepath.Join(dir, "blobs", "sha256", layerDigest.Hex))
		got, err := open(t, "oci-archive:"+tarDir(t, dir), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err = readLayer(t, got.Layers[1]); err == nil || !strings.Contains(err.Error(), "layer 1") {
			t.Fatalf("err = %v, want layer 1 refused", err)
		}
	})
	t.Run("oci-dir config", func(t *testing.T) {
		dir := newLayout(t)
		flip(t, filepath.Join(dir, "blobs", "sha256", cfgDigest.Hex))
		if _, err := open(t, "oci-dir:"+dir, Options{}); err == nil || !strings.Contains(err.Error(), "config "+cfgDigest.String()+": content has digest") {
			t.Fatalf("err = %v, want the config refused", err)
		}
	})
	t.Run("docker-archive layer", func(t *testing.T) {
		path := writeDockerArchive(t, img)
		flipInArchive(t, path, "blayerid/layer.tar")
		got, err := open(t, "docker-archive:"+path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err = readLayer(t, got.Layers[1]); err == nil || !strings.Contains(err.Error(), "layer 1 (blayerid/layer.tar): content has digest") {
			t.Fatalf("err = %v, want layer 1 refused", err)
		}
	})
	t.Run("docker-archive gzip layer", func(t *testing.T) {
		path := writeGgcrArchive(t, img)
		flipInArchive(t, path, layerDigest.Hex+".tar.gz")
		got, err := open(t, "docker-archive:"+path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err = readLayer(t, got.Layers[1]); err == nil || !strings.Contains(err.Error(), "layer 1 ("+layerDigest.Hex+".tar.gz)") {
			t.Fatalf("err = %v, want layer 1 refused", err)
		}
	})
}

// flipInArchive changes a byte in the middle of a member of a tar file.
func flipInArchive(t *testing.T, path, member string) {
	t.Helper()
	ti, err := openTarIndex(path)
	if err != nil {
		t.Fatal(err)
	}
	m, ok := ti.members[member]
	ti.Close()
	if !ok {
		t.Fatalf("%s has no member %s", path, member)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 1)
	off := m.offset + m.size/2
	if _, err := f.ReadAt(b, off); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0xff
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

func TestOpenRootfs(t *testing.T) {
	dir := t.TempDir()
	got, err := open(t, "dir:"+dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Path != dir || got.Identity != "" || got.Layers != nil {
		t.Errorf("dir: Path %q Identity %q Layers %v, want %q, no identity, no layers", got.Path, got.Identity, got.Layers, dir)
	}
	tarball := filepath.Join(dir, "rootfs.tar")
	body := imagereftest.TarBytes(t, []imagereftest.File{{Name: "etc/"}, {Name: "etc/hostname", Body: "box\n"}})
	if err := os.WriteFile(tarball, body, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(body)
	for _, ref := range []string{"file:" + tarball, tarball} {
		got, err := open(t, ref, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got.Ref.Scheme != SchemeFile || got.Path != tarball || got.Identity != "sha256:"+hex.EncodeToString(sum[:]) || got.Layers != nil {
			t.Errorf("%s: scheme %s Path %q Identity %q, want file: %q sha256:%x", ref, got.Ref.Scheme, got.Path, got.Identity, tarball, sum)
		}
	}
	if _, err := open(t, "dir:"+tarball, Options{}); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("dir: of a file: err = %v", err)
	}
	if _, err := open(t, "file:"+filepath.Join(dir, "missing.tar"), Options{}); err == nil || !strings.Contains(err.Error(), "missing.tar") {
		t.Errorf("file: of a missing file: err = %v", err)
	}
}

// TestLocalReadStopsWithContext: a layer read from a file ends when its
// context does, as a registry read would.
func TestLocalReadStopsWithContext(t *testing.T) {
	img := testImage(t, "linux/amd64")
	got, err := open(t, "oci-dir:"+writeLayout(t, mutate.AppendManifests(empty.Index, mutate.IndexAddendum{Add: img})), Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	rc, err := got.Layers[0].Open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	cancel()
	if _, err := rc.Read(make([]byte, 16)); !errors.Is(err, context.Canceled) {
		t.Fatalf("read after cancel: %v, want context.Canceled", err)
	}
}
