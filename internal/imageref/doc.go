// Package imageref turns a user's image reference into what the image
// analyzer opens: a root directory, a rootfs tarball, or an image's ordered
// layers with its identity and platform.
//
// References follow syft's scheme prefixes (dir:, file:, oci-dir:,
// oci-archive:, docker-archive:, registry:); without one, an existing
// directory is a root, an existing file is sniffed, and anything else is a
// registry reference. Images are read with go-containerregistry's types and,
// for registries, its remote package; OCI layouts (directory or tar) and
// docker-save archives are read here, straight from their files without
// extracting them, so that every manifest, config and layer is bounded and
// checked against its digest — the layout and tarball packages trust their
// files. Layers are handed over as stored (gzip, zstd or plain tar), so the
// consumer sees the real compression ratio.
//
// The OCI image layout: https://github.com/opencontainers/image-spec/blob/main/image-layout.md
// The docker save format: https://github.com/moby/docker-image-spec/blob/main/spec.md
package imageref
