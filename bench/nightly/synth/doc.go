// Package synth generates the scale benchmark's input (`go tool task
// bench:nightly`, issue 10): synthetic repositories in all four formats —
// apt, rpm-md, apk and alpm — shaped like real ones, written to disk in each
// format's real layout with its real compression and signatures, with a
// sources catalogue naming them and a nightly plan that snapshots every
// suite and compares consecutive suites and some pairs across
// distributions.
//
// Shape. A few large sources (a Debian-like main/amd64 index of 60–70k
// packages), many medium ones (10–30k) and many small ones (1–5k), each
// with one to three suites. Packages come from one pool of upstream
// projects shared by every source, named per ecosystem as distributions
// name them (libfoo3 and libfoo-dev on apt, foo-libs and foo-devel on
// rpm-md, py3-foo on apk, python-foo on alpm), so comparisons across
// distributions pair names. Versions are spelt per ecosystem (epochs,
// Debian revisions, rpm releases with a dist tag, apk's -rN, pacman's
// pkgrel); each package has 0–15 dependencies, a summary and (apt, rpm-md)
// a long description of realistic length, sizes, a maintainer. Each suite
// is the previous one with 10–20% of its packages at a new version, some
// removed and some added, as consecutive releases are.
//
// Everything follows from Config (seed, number of sources, rows): the same
// Config gives the same bytes, and Generate keeps a finished tree in its
// cache folder, so a second run reads it instead of writing it again.
//
// Layouts, one folder per source under the tree:
//
//	apt     NAME/dists/SUITE/InRelease (clearsigned by the tree's key,
//	        keyring.gpg) listing COMPONENT/binary-ARCH/Packages{,.gz}; .gz served
//	rpm-md  NAME/SUITE/COMPONENT/ARCH/os/repodata/{repomd.xml, HASH-primary.xml.gz}
//	apk     NAME/SUITE/COMPONENT/ARCH/APKINDEX.tar.gz (DESCRIPTION, APKINDEX)
//	alpm    NAME/repos/SUITE/COMPONENT/os/ARCH/COMPONENT.db (tar.gz of NAME-VERSION/desc)
package synth
