package imageref

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// DefaultMaxManifestBytes bounds manifests, indexes and configs: real ones
// are a few KiB; 4 MiB leaves room for images with thousands of layers.
const DefaultMaxManifestBytes = 4 << 20

// Layer is one layer of an image, in application order.
type Layer struct {
	Index     int
	Digest    string // compressed blob digest ("sha256:..."), "" when not known
	DiffID    string // uncompressed digest, when known
	Size      int64  // size as stored, when known (0 otherwise)
	MediaType string
	// Open returns the layer as stored: gzip, zstd or a plain tar; the
	// consumer sniffs it. The stream is checked against its digest as it is
	// read, and its last Read fails if they differ: read it to the end
	// before trusting it.
	Open func(ctx context.Context) (io.ReadCloser, error)
}

// Image is what the analyzer opens.
type Image struct {
	Ref Ref
	// Identity names the content: for registry:, oci-dir: and oci-archive:
	// the manifest digest of the chosen platform; for docker-archive: the
	// config digest (the image ID); for file: "sha256:" and the tarball's
	// SHA-256; for dir: "", as only the analyzer knows what it read.
	Identity                  string
	Platform                  string // "linux/amd64", "linux/arm64/v8": from the config
	Created                   time.Time
	OS, Architecture, Variant string
	Layers                    []Layer // nil for dir: and file:
	Path                      string  // dir: the directory; file: the tarball
	Close                     func() error
}

// Options for Open; the zero value is usable.
type Options struct {
	// Platform picks an index's manifest, "os/arch[/variant]"; default
	// linux/ and the machine's architecture. When set, a single image of
	// another platform is refused too.
	Platform string
	// Keychain gives registry credentials; default authn.DefaultKeychain,
	// the docker config ($DOCKER_CONFIG/config.json and credential helpers).
	Keychain authn.Keychain
	// Insecure allows registries over plain http.
	Insecure bool
	// Transport for registry requests; default remote's.
	Transport http.RoundTripper
	// MaxManifestBytes bounds manifests, indexes and configs; default
	// DefaultMaxManifestBytes.
	MaxManifestBytes int64
}

func (o Options) withDefaults() Options {
	if o.Keychain == nil {
		o.Keychain = authn.DefaultKeychain
	}
	if o.MaxManifestBytes <= 0 {
		o.MaxManifestBytes = DefaultMaxManifestBytes
	}
	return o
}

// platform is the requested platform, and whether the user asked for it.
func (o Options) platform() (v1.Platform, bool, error) {
	if o.Platform == "" {
		return v1.Platform{OS: "linux", Architecture: runtime.GOARCH}, false, nil
	}
	p, err := v1.ParsePlatform(o.Platform)
	if err != nil {
		return v1.Platform{}, false, fmt.Errorf("imageref: platform %q: %w", o.Platform, err)
	}
	return *p, true, nil
}

// Open resolves a reference to what the analyzer reads. Close the result.
func Open(ctx context.Context, r Ref, o Options) (*Image, error) {
	o = o.withDefaults()
	var (
		img *Image
		err error
	)
	switch r.Scheme {
	case SchemeDir:
		img, err = openDir(r)
	case SchemeFile:
		img, err = openFile(ctx, r)
	case SchemeOCIDir:
		img, err = openOCIDir(ctx, r, o)
	case SchemeOCIArchive:
		img, err = openOCIArchive(ctx, r, o)
	case SchemeDockerArchive:
		img, err = openDockerArchive(r, o)
	case SchemeRegistry:
		img, err = openRegistry(ctx, r, o)
	default:
		return nil, fmt.Errorf("imageref: %q: unknown scheme %q; known: %s", r.Raw, r.Scheme, schemeList())
	}
	if err != nil {
		return nil, err
	}
	img.Ref = r
	if img.Close == nil {
		img.Close = func() error { return nil }
	}
	return img, nil
}

func openDir(r Ref) (*Image, error) {
	p, err := filepath.Abs(r.Value)
	if err != nil {
		return nil, fmt.Errorf("imageref: dir:%s: %w", r.Value, err)
	}
	st, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("imageref: dir:%s: %w", r.Value, err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("imageref: dir:%s: not a directory", r.Value)
	}
	return &Image{Path: p}, nil
}

// openFile names a root filesystem tarball by its SHA-256, read in one
// streaming pass; the analyzer reads the tarball itself.
func openFile(ctx context.Context, r Ref) (*Image, error) {
	p, err := filepath.Abs(r.Value)
	if err != nil {
		return nil, fmt.Errorf("imageref: file:%s: %w", r.Value, err)
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("imageref: file:%s: %w", r.Value, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("imageref: file:%s: %w", r.Value, err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("imageref: file:%s: not a regular file", r.Value)
	}
	h := sha256.New()
	if _, err := io.Copy(h, ctxReader{ctx, f}); err != nil {
		return nil, fmt.Errorf("imageref: file:%s: hashing: %w", r.Value, err)
	}
	return &Image{Path: p, Identity: "sha256:" + hex.EncodeToString(h.Sum(nil))}, nil
}

// setConfig fills the platform and creation time from an image config.
func (img *Image) setConfig(cf *v1.ConfigFile) {
	img.OS, img.Architecture, img.Variant = cf.OS, cf.Architecture, cf.Variant
	img.Platform = platformString(cf.OS, cf.Architecture, cf.Variant)
	img.Created = cf.Created.Time
}

func platformString(os, arch, variant string) string {
	s := os + "/" + arch
	if variant != "" {
		s += "/" + variant
	}
	return s
}

// checkPlatform refuses a single image of another platform than the one the
// user asked for; without --platform any single image is taken, as there is
// nothing to choose from.
func checkPlatform(cf *v1.ConfigFile, want v1.Platform, asked bool, what string) error {
	if !asked {
		return nil
	}
	have := v1.Platform{OS: cf.OS, Architecture: cf.Architecture, Variant: cf.Variant, OSVersion: cf.OSVersion}
	if !have.Satisfies(want) {
		return fmt.Errorf("imageref: %s is for %s, not the requested %s", what, have.String(), want.String())
	}
	return nil
}

// choosePlatform picks the manifest for a platform from an index; a missing
// platform is an error listing those the index has. Attestation manifests
// (platform unknown/unknown) are not platforms.
func choosePlatform(im *v1.IndexManifest, want v1.Platform, what string) (v1.Descriptor, error) {
	var available []string
	for _, d := range im.Manifests {
		if d.Platform == nil || d.Platform.OS == "unknown" {
			continue
		}
		if d.Platform.Satisfies(want) && (d.MediaType.IsImage() || d.MediaType == "") {
			return d, nil
		}
		available = append(available, d.Platform.String())
	}
	slices.Sort(available)
	available = slices.Compact(available)
	if len(available) == 0 {
		return v1.Descriptor{}, fmt.Errorf("imageref: %s: the index has no manifest for %s, and names no platforms", what, want.String())
	}
	return v1.Descriptor{}, fmt.Errorf("imageref: %s: no manifest for %s; the index has %s (choose one with --platform)", what, want.String(), strings.Join(available, ", "))
}

// layerMediaTypes are the layers the analyzer can read. Non-distributable
// ("foreign") layers are refused: their blobs live at URLs outside the
// image, which we do not fetch.
var layerMediaTypes = []types.MediaType{
	types.OCILayer, types.OCILayerZStd, types.OCIUncompressedLayer,
	types.DockerLayer, types.DockerUncompressedLayer,
}

// checkLayers refuses a manifest whose layers we cannot or must not read.
func checkLayers(m *v1.Manifest, what string) error {
	for i, l := range m.Layers {
		if !l.MediaType.IsDistributable() || len(l.URLs) > 0 {
			return fmt.Errorf("imageref: %s: layer %d (%s) is non-distributable (%s): its content lives at foreign URLs, which are not fetched", what, i, l.Digest, l.MediaType)
		}
		if !slices.Contains(layerMediaTypes, l.MediaType) {
			return fmt.Errorf("imageref: %s: layer %d (%s) has media type %q, not a tar, tar+gzip or tar+zstd layer", what, i, l.Digest, l.MediaType)
		}
	}
	return nil
}

// checkManifest refuses manifests that are not an image's.
func checkManifest(m *v1.Manifest, mt types.MediaType, what string, maxBytes int64) error {
	if mt.IsSchema1() {
		return fmt.Errorf("imageref: %s: a docker schema 1 manifest, which is not supported (deprecated since 2017)", what)
	}
	if mt != "" && !mt.IsImage() {
		return fmt.Errorf("imageref: %s: media type %q is not an image manifest", what, mt)
	}
	if !m.Config.MediaType.IsConfig() {
		return fmt.Errorf("imageref: %s: config media type %q is not an image config: an artifact, not a container image", what, m.Config.MediaType)
	}
	if m.Config.Size > maxBytes {
		return fmt.Errorf("imageref: %s: config %s is %d bytes, over the %d-byte limit for manifests and configs", what, m.Config.Digest, m.Config.Size, maxBytes)
	}
	return checkLayers(m, what)
}
