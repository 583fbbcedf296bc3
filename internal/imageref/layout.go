package imageref

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// maxIndexDepth bounds indexes nested in indexes, which a hostile layout
// could chain without end.
const maxIndexDepth = 4

// blobSource is where an OCI layout's files are: a directory or a tar.
type blobSource interface {
	open(name string) (io.ReadCloser, int64, error)
}

type dirSource string

func (d dirSource) open(name string) (io.ReadCloser, int64, error) {
	f, err := os.Open(filepath.Join(string(d), filepath.FromSlash(name)))
	if err != nil {
		return nil, 0, fmt.Errorf("imageref: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("imageref: %w", err)
	}
	return f, st.Size(), nil
}

var (
	_ blobSource = dirSource("")
	_ blobSource = (*tarIndex)(nil)
)

func openOCIDir(ctx context.Context, r Ref, o Options) (*Image, error) {
	st, err := os.Stat(r.Value)
	if err != nil {
		return nil, fmt.Errorf("imageref: oci-dir:%s: %w", r.Value, err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("imageref: oci-dir:%s: not a directory", r.Value)
	}
	return readLayout(ctx, dirSource(r.Value), "oci-dir:"+r.Value, o)
}

// openOCIArchive reads a tar of an OCI layout in place: its members are
// indexed once and served from the file, nothing is extracted.
func openOCIArchive(ctx context.Context, r Ref, o Options) (*Image, error) {
	ti, err := openTarIndex(r.Value)
	if err != nil {
		return nil, err
	}
	img, err := readLayout(ctx, ti, "oci-archive:"+r.Value, o)
	if err != nil {
		ti.Close()
		return nil, err
	}
	img.Close = ti.Close
	return img, nil
}

// layoutReader reads one OCI image layout, checking every blob it reads
// against its digest.
type layoutReader struct {
	src  blobSource
	what string
	max  int64
}

// readDoc reads a small JSON blob (index, manifest, config), bounded and
// checked against its descriptor.
func (l *layoutReader) readDoc(d v1.Descriptor, kind string) ([]byte, error) {
	what := fmt.Sprintf("%s: %s %s", l.what, kind, d.Digest)
	if d.Size > l.max {
		return nil, fmt.Errorf("imageref: %s is %d bytes, over the %d-byte limit for manifests and configs", what, d.Size, l.max)
	}
	rc, _, err := l.src.open(blobPath(d.Digest))
	if err != nil {
		return nil, fmt.Errorf("imageref: %s: %w", what, err)
	}
	defer rc.Close()
	b, err := readAllLimit(rc, l.max, what)
	if err != nil {
		return nil, err
	}
	if err := checkDigest(b, d.Digest, what); err != nil {
		return nil, err
	}
	if int64(len(b)) != d.Size {
		return nil, fmt.Errorf("imageref: %s: %d bytes, want %d", what, len(b), d.Size)
	}
	return b, nil
}

func blobPath(h v1.Hash) string { return "blobs/" + h.Algorithm + "/" + h.Hex }

func readLayout(ctx context.Context, src blobSource, what string, o Options) (*Image, error) {
	l := &layoutReader{src: src, what: what, max: o.MaxManifestBytes}
	rc, _, err := src.open("oci-layout")
	if err != nil {
		return nil, fmt.Errorf("imageref: %s: not an OCI image layout (no oci-layout file): %w", what, err)
	}
	rc.Close()
	rc, _, err = src.open("index.json")
	if err != nil {
		return nil, fmt.Errorf("imageref: %s: no index.json: %w", what, err)
	}
	b, err := readAllLimit(rc, l.max, what+": index.json")
	rc.Close()
	if err != nil {
		return nil, err
	}
	top, err := v1.ParseIndexManifest(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("imageref: %s: index.json: %w", what, err)
	}
	want, asked, err := o.platform()
	if err != nil {
		return nil, err
	}
	var candidates []v1.Descriptor
	if err := l.collect(top, 0, &candidates); err != nil {
		return nil, err
	}
	if len(candidates) == 0 {
		return nil, fmt.Errorf("imageref: %s: index.json names no image manifest", what)
	}
	desc := candidates[0]
	if len(candidates) > 1 || candidates[0].Platform != nil && asked {
		if desc, err = choosePlatform(&v1.IndexManifest{Manifests: candidates}, want, what); err != nil {
			return nil, err
		}
	}
	mb, err := l.readDoc(desc, "manifest")
	if err != nil {
		return nil, err
	}
	m, err := v1.ParseManifest(bytes.NewReader(mb))
	if err != nil {
		return nil, fmt.Errorf("imageref: %s: manifest %s: %w", what, desc.Digest, err)
	}
	mwhat := fmt.Sprintf("%s: manifest %s", what, desc.Digest)
	mt := desc.MediaType
	if m.MediaType != "" {
		mt = m.MediaType
	}
	if err := checkManifest(m, mt, mwhat, l.max); err != nil {
		return nil, err
	}
	cb, err := l.readDoc(m.Config, "config")
	if err != nil {
		return nil, err
	}
	cf, err := v1.ParseConfigFile(bytes.NewReader(cb))
	if err != nil {
		return nil, fmt.Errorf("imageref: %s: config %s: %w", what, m.Config.Digest, err)
	}
	if err := checkPlatform(cf, want, asked, mwhat); err != nil {
		return nil, err
	}
	img := &Image{Identity: desc.Digest.String()}
	img.setConfig(cf)
	img.Layers = layoutLayers(src, what, m, cf)
	return img, nil
}

// collect lists the image manifests an index names, following nested
// indexes. Attestation manifests are kept out by choosePlatform, as they
// carry the platform unknown/unknown.
func (l *layoutReader) collect(im *v1.IndexManifest, depth int, out *[]v1.Descriptor) error {
	if depth > maxIndexDepth {
		return fmt.Errorf("imageref: %s: indexes nested more than %d deep", l.what, maxIndexDepth)
	}
	for _, d := range im.Manifests {
		switch {
		case d.MediaType.IsIndex():
			b, err := l.readDoc(d, "index")
			if err != nil {
				return err
			}
			child, err := v1.ParseIndexManifest(bytes.NewReader(b))
			if err != nil {
				return fmt.Errorf("imageref: %s: index %s: %w", l.what, d.Digest, err)
			}
			if err := l.collect(child, depth+1, out); err != nil {
				return err
			}
		case d.MediaType.IsImage() || d.MediaType == "":
			*out = append(*out, d)
		}
	}
	return nil
}

func layoutLayers(src blobSource, what string, m *v1.Manifest, cf *v1.ConfigFile) []Layer {
	layers := make([]Layer, len(m.Layers))
	for i, d := range m.Layers {
		layers[i] = Layer{
			Index:     i,
			Digest:    d.Digest.String(),
			DiffID:    diffIDAt(cf, i),
			Size:      d.Size,
			MediaType: string(d.MediaType),
			Open: func(ctx context.Context) (io.ReadCloser, error) {
				lwhat := fmt.Sprintf("%s: layer %d (%s)", what, i, d.Digest)
				rc, _, err := src.open(blobPath(d.Digest))
				if err != nil {
					return nil, fmt.Errorf("imageref: %s: %w", lwhat, err)
				}
				return newVerifyingReader(ctxReader{ctx, rc}, d.Digest, d.Size, lwhat)
			},
		}
	}
	return layers
}

// diffIDAt is the config's DiffID for layer i, "" when the config does not
// list one per layer.
func diffIDAt(cf *v1.ConfigFile, i int) string {
	if i < len(cf.RootFS.DiffIDs) {
		return cf.RootFS.DiffIDs[i].String()
	}
	return ""
}
