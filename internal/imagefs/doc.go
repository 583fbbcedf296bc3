// Package imagefs is the in-memory root filesystem that container image
// layers and root filesystems are applied into, without unpacking
// anything to disk: a tree of nodes with their metadata, the bytes of the
// few files an analyzer asks to keep (package databases, small
// configuration files), and digests computed while a layer streams or read
// later from a dir: or file: source. Tree.FS serves the tree to io/fs
// readers as a chroot of it would.
//
// Layers follow the OCI image layer specification
// (https://github.com/opencontainers/image-spec/blob/main/layer.md):
// whiteouts, opaque directories, hardlinks. Every input is untrusted:
// names and link targets that could reach outside the root, device nodes
// outside /dev, oversized files and layers, too many entries, decompression
// bombs and link chains are refused with an *Error whose Kind says which
// (see Limits). Since nothing is extracted, a refused layer has written
// nothing anywhere.
package imagefs
