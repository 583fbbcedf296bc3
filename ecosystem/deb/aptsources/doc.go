// Package aptsources reads the apt sources configured on a machine: the
// one-line entries of sources.list and sources.list.d/*.list, and the deb822
// stanzas of sources.list.d/*.sources, as described in sources.list(5)
// (https://manpages.debian.org/stable/apt/sources.list.5.en.html).
//
// Both formats become the same Entry, so that the caller can find the mirror
// URI and the Signed-By keys of a suite without caring how the administrator
// wrote them. The files are configuration that another program may have
// written, so every read is bounded and a malformed entry is reported with its
// file and line while the well-formed entries around it are still returned.
package aptsources
