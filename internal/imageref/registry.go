package imageref

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// openRegistry resolves a registry reference to one platform's manifest.
// go-containerregistry checks every manifest and blob fetched by digest
// against it; the index and manifest are parsed here, so that an index
// without the platform lists what it has, foreign layers are refused before
// anything would fetch their URLs, and manifests and configs are bounded.
func openRegistry(ctx context.Context, r Ref, o Options) (*Image, error) {
	what := "registry:" + r.Value
	var nameOpts []name.Option
	if o.Insecure {
		nameOpts = append(nameOpts, name.Insecure)
	}
	ref, err := name.ParseReference(r.Value, nameOpts...)
	if err != nil {
		return nil, fmt.Errorf("imageref: %s: not a registry reference NAME[:TAG|@DIGEST]: %w", what, err)
	}
	opts := []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(o.Keychain)}
	if o.Transport != nil {
		opts = append(opts, remote.WithTransport(o.Transport))
	}
	want, asked, err := o.platform()
	if err != nil {
		return nil, err
	}
	desc, err := remote.Get(ref, opts...)
	if err != nil {
		return nil, fmt.Errorf("imageref: %s: %w", what, err)
	}
	// remote.Get reads at most 100 MiB of a manifest; ours is stricter.
	if int64(len(desc.Manifest)) > o.MaxManifestBytes {
		return nil, fmt.Errorf("imageref: %s: manifest %s is %d bytes, over the %d-byte limit for manifests and configs", what, desc.Digest, len(desc.Manifest), o.MaxManifestBytes)
	}
	if desc.MediaType.IsIndex() {
		im, err := v1.ParseIndexManifest(bytes.NewReader(desc.Manifest))
		if err != nil {
			return nil, fmt.Errorf("imageref: %s: index %s: %w", what, desc.Digest, err)
		}
		child, err := choosePlatform(im, want, what)
		if err != nil {
			return nil, err
		}
		if child.Size > o.MaxManifestBytes {
			return nil, fmt.Errorf("imageref: %s: manifest %s is %d bytes, over the %d-byte limit for manifests and configs", what, child.Digest, child.Size, o.MaxManifestBytes)
		}
		if desc, err = remote.Get(ref.Context().Digest(child.Digest.String()), opts...); err != nil {
			return nil, fmt.Errorf("imageref: %s: manifest %s for %s: %w", what, child.Digest, want.String(), err)
		}
		if int64(len(desc.Manifest)) > o.MaxManifestBytes {
			return nil, fmt.Errorf("imageref: %s: manifest %s is %d bytes, over the %d-byte limit for manifests and configs", what, desc.Digest, len(desc.Manifest), o.MaxManifestBytes)
		}
	}
	mwhat := fmt.Sprintf("%s: manifest %s", what, desc.Digest)
	m, err := v1.ParseManifest(bytes.NewReader(desc.Manifest))
	if err != nil {
		return nil, fmt.Errorf("imageref: %s: %w", mwhat, err)
	}
	if err := checkManifest(m, desc.MediaType, mwhat, o.MaxManifestBytes); err != nil {
		return nil, err
	}
	repo := ref.Context()
	cb, err := fetchSmallBlob(repo, m.Config, o.MaxManifestBytes, mwhat+": config", opts)
	if err != nil {
		return nil, err
	}
	cf, err := v1.ParseConfigFile(bytes.NewReader(cb))
	if err != nil {
		return nil, fmt.Errorf("imageref: %s: config %s: %w", mwhat, m.Config.Digest, err)
	}
	if err := checkPlatform(cf, want, asked, mwhat); err != nil {
		return nil, err
	}
	img := &Image{Identity: desc.Digest.String()}
	img.setConfig(cf)
	img.Layers = make([]Layer, len(m.Layers))
	for i, d := range m.Layers {
		img.Layers[i] = Layer{
			Index:     i,
			Digest:    d.Digest.String(),
			DiffID:    diffIDAt(cf, i),
			Size:      d.Size,
			MediaType: string(d.MediaType),
			Open: func(ctx context.Context) (io.ReadCloser, error) {
				// remote.Layer fetches from the registry's blob endpoint only,
				// never a descriptor's URLs, and checks the digest at EOF.
				l, err := remote.Layer(repo.Digest(d.Digest.String()), append(slices.Clip(opts), remote.WithContext(ctx))...)
				if err != nil {
					return nil, fmt.Errorf("imageref: %s: layer %d (%s): %w", mwhat, i, d.Digest, err)
				}
				rc, err := l.Compressed()
				if err != nil {
					return nil, fmt.Errorf("imageref: %s: layer %d (%s): %w", mwhat, i, d.Digest, err)
				}
				return rc, nil
			},
		}
	}
	return img, nil
}

// fetchSmallBlob reads a config blob, bounded, checked against its digest.
func fetchSmallBlob(repo name.Repository, d v1.Descriptor, max int64, what string, opts []remote.Option) ([]byte, error) {
	l, err := remote.Layer(repo.Digest(d.Digest.String()), opts...)
	if err != nil {
		return nil, fmt.Errorf("imageref: %s %s: %w", what, d.Digest, err)
	}
	rc, err := l.Compressed()
	if err != nil {
		return nil, fmt.Errorf("imageref: %s %s: %w", what, d.Digest, err)
	}
	defer rc.Close()
	b, err := readAllLimit(rc, max, fmt.Sprintf("%s %s", what, d.Digest))
	if err != nil {
		return nil, err
	}
	return b, checkDigest(b, d.Digest, what)
}
