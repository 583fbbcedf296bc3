package imageref

import (
	"archive/tar"
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// Scheme says how a reference is opened; the spellings are syft's.
type Scheme string

const (
	SchemeDir           Scheme = "dir"            // a root filesystem directory
	SchemeFile          Scheme = "file"           // a root filesystem tarball
	SchemeOCIDir        Scheme = "oci-dir"        // an OCI image layout directory
	SchemeOCIArchive    Scheme = "oci-archive"    // a tar of an OCI image layout
	SchemeDockerArchive Scheme = "docker-archive" // a docker save tarball
	SchemeRegistry      Scheme = "registry"       // NAME[:TAG|@DIGEST] in a registry
)

var schemes = []Scheme{SchemeDir, SchemeFile, SchemeOCIDir, SchemeOCIArchive, SchemeDockerArchive, SchemeRegistry}

// daemonSchemes are syft's schemes that read from a running container
// engine; distroscope reads images without one, so they are refused by name
// instead of being taken for a registry called "docker".
var daemonSchemes = []string{"docker", "podman", "containerd"}

// Ref is a parsed image reference.
type Ref struct {
	Scheme Scheme
	Value  string // the path, or the registry reference
	Raw    string // what the user wrote
}

func (r Ref) String() string { return string(r.Scheme) + ":" + r.Value }

// Parse reads "scheme:value"; without a known scheme, an existing directory
// is dir:, an existing file is sniffed (an OCI layout tar, a docker save tar,
// or else a root filesystem tar) and anything else must be a registry
// reference.
func Parse(s string) (Ref, error) {
	if strings.TrimSpace(s) == "" {
		return Ref{}, errors.New("imageref: empty image reference")
	}
	if prefix, value, ok := strings.Cut(s, ":"); ok {
		for _, sc := range schemes {
			if prefix == string(sc) {
				if value == "" {
					return Ref{}, fmt.Errorf("imageref: %q: nothing after %q", s, prefix+":")
				}
				if sc == SchemeRegistry {
					if _, err := name.ParseReference(value); err != nil {
						return Ref{}, fmt.Errorf("imageref: %q: not a registry reference NAME[:TAG|@DIGEST]: %w", s, err)
					}
				}
				return Ref{Scheme: sc, Value: value, Raw: s}, nil
			}
		}
		for _, d := range daemonSchemes {
			if prefix == d {
				return Ref{}, fmt.Errorf("imageref: %q: the %s: scheme reads from a container daemon, which distroscope does not use; save the image (oci-archive:, docker-archive:) or name its registry (registry:)", s, d)
			}
		}
	}
	if st, err := os.Stat(s); err == nil {
		if st.IsDir() {
			return Ref{Scheme: SchemeDir, Value: s, Raw: s}, nil
		}
		sc, err := sniffFile(s)
		if err != nil {
			return Ref{}, err
		}
		return Ref{Scheme: sc, Value: s, Raw: s}, nil
	}
	// go-containerregistry takes "/x/y.tar" for a repository name; a path
	// that is not there is a typo, not an image in Docker Hub.
	if strings.HasPrefix(s, "/") || strings.HasPrefix(s, "./") || strings.HasPrefix(s, "../") {
		return Ref{}, fmt.Errorf("imageref: %q: no such file or directory (a registry reference does not start with a path)", s)
	}
	if _, err := name.ParseReference(s); err != nil {
		return Ref{}, fmt.Errorf("imageref: %q: neither an existing file or directory nor a registry reference NAME[:TAG|@DIGEST] (%v); known schemes: %s", s, err, schemeList())
	}
	return Ref{Scheme: SchemeRegistry, Value: s, Raw: s}, nil
}

func schemeList() string {
	var b strings.Builder
	for i, sc := range schemes {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(string(sc) + ":")
	}
	return b.String()
}

// sniffFile tells an image archive from a root filesystem tarball by its
// members: docker save writes manifest.json at the top (docker 25 and later
// also write an OCI layout beside it; the docker manifest is preferred, as
// the image ID it names is what docker users know the image by); an OCI
// layout has oci-layout and index.json. A compressed file is a root
// filesystem tarball: image archives are plain tars.
func sniffFile(p string) (Scheme, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", fmt.Errorf("imageref: %w", err)
	}
	defer f.Close()
	br := bufio.NewReader(f)
	head, _ := br.Peek(4)
	if sniffCompression(head) != "" {
		return SchemeFile, nil
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", fmt.Errorf("imageref: %w", err)
	}
	// archive/tar seeks over member contents, so this reads headers only.
	tr := tar.NewReader(f)
	var ociLayout, ociIndex, dockerManifest bool
	for n := 0; ; n++ {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if n == 0 {
				return "", fmt.Errorf("imageref: %s: neither a directory nor a tar archive: %w", p, err)
			}
			return "", fmt.Errorf("imageref: %s: a broken tar archive: %w", p, err)
		}
		switch cleanMember(h.Name) {
		case "oci-layout":
			ociLayout = true
		case "index.json":
			ociIndex = true
		case "manifest.json":
			dockerManifest = true
		}
	}
	switch {
	case dockerManifest:
		return SchemeDockerArchive, nil
	case ociLayout && ociIndex:
		return SchemeOCIArchive, nil
	}
	return SchemeFile, nil
}
