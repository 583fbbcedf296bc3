package imageref

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// openDockerArchive reads a docker save tarball in place. Its manifest.json
// is go-containerregistry's tarball.Manifest; the layers are served from
// the file as stored. tarball.ImageFromPath is not used to read them: it
// hashes every compressed layer when asked for the manifest, gzips the
// uncompressed layers docker writes (hiding their real size from the
// bomb check), and checks no digest.
func openDockerArchive(r Ref, o Options) (*Image, error) {
	what := "docker-archive:" + r.Value
	ti, err := openTarIndex(r.Value)
	if err != nil {
		return nil, err
	}
	img, err := readDockerArchive(ti, what, o)
	if err != nil {
		ti.Close()
		return nil, err
	}
	img.Close = ti.Close
	return img, nil
}

func readDockerArchive(ti *tarIndex, what string, o Options) (*Image, error) {
	rc, _, err := ti.open("manifest.json")
	if err != nil {
		return nil, fmt.Errorf("imageref: %s: not a docker save archive (no manifest.json): %w", what, err)
	}
	b, err := readAllLimit(rc, o.MaxManifestBytes, what+": manifest.json")
	rc.Close()
	if err != nil {
		return nil, err
	}
	var manifest tarball.Manifest
	if err := json.Unmarshal(b, &manifest); err != nil {
		return nil, fmt.Errorf("imageref: %s: manifest.json: %w", what, err)
	}
	switch len(manifest) {
	case 0:
		return nil, fmt.Errorf("imageref: %s: manifest.json names no image", what)
	case 1:
	default:
		var tags []string
		for _, d := range manifest {
			tags = append(tags, strings.Join(d.RepoTags, " "))
		}
		return nil, fmt.Errorf("imageref: %s: holds %d images (%s); save one image per archive", what, len(manifest), strings.Join(tags, "; "))
	}
	d := manifest[0]
	rc, _, err = ti.open(d.Config)
	if err != nil {
		return nil, fmt.Errorf("imageref: %s: config: %w", what, err)
	}
	cb, err := readAllLimit(rc, o.MaxManifestBytes, what+": config "+d.Config)
	rc.Close()
	if err != nil {
		return nil, err
	}
	cf, err := v1.ParseConfigFile(bytes.NewReader(cb))
	if err != nil {
		return nil, fmt.Errorf("imageref: %s: config %s: %w", what, d.Config, err)
	}
	sum := sha256.Sum256(cb)
	imageID := "sha256:" + hex.EncodeToString(sum[:])
	// Docker names the config by its digest (<hex>.json, or
	// blobs/sha256/<hex> since docker 25); a name saying otherwise was tampered with.
	if named := digestInName(d.Config); named != "" && "sha256:"+named != imageID {
		return nil, fmt.Errorf("imageref: %s: config %s has digest %s", what, d.Config, imageID)
	}
	want, asked, err := o.platform()
	if err != nil {
		return nil, err
	}
	if err := checkPlatform(cf, want, asked, what); err != nil {
		return nil, err
	}
	if len(d.Layers) != len(cf.RootFS.DiffIDs) {
		return nil, fmt.Errorf("imageref: %s: manifest.json names %d layers, the config %d", what, len(d.Layers), len(cf.RootFS.DiffIDs))
	}
	img := &Image{Identity: imageID}
	img.setConfig(cf)
	img.Layers = make([]Layer, len(d.Layers))
	for i, member := range d.Layers {
		l, err := dockerLayer(ti, what, i, member, cf.RootFS.DiffIDs[i])
		if err != nil {
			return nil, err
		}
		img.Layers[i] = l
	}
	return img, nil
}

// dockerLayer describes one layer of a docker save archive: its compression
// is sniffed from its first bytes (docker writes plain tars, other tools
// gzip), and its stream is checked against the config's DiffID — for a
// compressed layer by decompressing a copy on the side.
func dockerLayer(ti *tarIndex, what string, i int, member string, diffID v1.Hash) (Layer, error) {
	lwhat := fmt.Sprintf("%s: layer %d (%s)", what, i, member)
	rc, size, err := ti.open(member)
	if err != nil {
		return Layer{}, fmt.Errorf("imageref: %s: %w", lwhat, err)
	}
	head, _ := bufio.NewReader(rc).Peek(4)
	rc.Close()
	compression := sniffCompression(head)
	l := Layer{Index: i, DiffID: diffID.String(), Size: size}
	switch compression {
	case "gzip":
		l.MediaType = string(types.DockerLayer)
	case "zstd":
		l.MediaType = string(types.OCILayerZStd)
	default:
		l.MediaType = string(types.DockerUncompressedLayer)
		l.Digest = diffID.String()
	}
	if named := digestInName(member); named != "" {
		l.Digest = "sha256:" + named
	}
	l.Open = func(ctx context.Context) (io.ReadCloser, error) {
		rc, size, err := ti.open(member)
		if err != nil {
			return nil, fmt.Errorf("imageref: %s: %w", lwhat, err)
		}
		rc = ctxReader{ctx, rc}
		if compression == "" {
			return newVerifyingReader(rc, diffID, size, lwhat)
		}
		if l.Digest != "" {
			h, err := v1.NewHash(l.Digest)
			if err != nil {
				rc.Close()
				return nil, fmt.Errorf("imageref: %s: %w", lwhat, err)
			}
			if rc, err = newVerifyingReader(rc, h, size, lwhat); err != nil {
				return nil, err
			}
		}
		return diffIDReader(rc, compression, diffID, lwhat)
	}
	return l, nil
}

// digestInName is the hex digest a docker save member is named by
// (blobs/sha256/<hex>, <hex>.json, <hex>.tar.gz), "" for other names such as
// <id>/layer.tar, whose id is not the layer's digest.
func digestInName(member string) string {
	base := member[strings.LastIndex(member, "/")+1:]
	if strings.HasPrefix(member, "blobs/sha256/") {
		return validHex(base)
	}
	for _, ext := range []string{".json", ".tar.gz", ".tar.zst", ".tar"} {
		if h, ok := strings.CutSuffix(base, ext); ok && !strings.Contains(member, "/") {
			return validHex(h)
		}
	}
	return ""
}

func validHex(s string) string {
	if len(s) != 64 {
		return ""
	}
	if _, err := hex.DecodeString(s); err != nil {
		return ""
	}
	return s
}
