package report

import (
	"github.com/distroscope/distroscope/datasets"
)

// The sample comparisons of testdata/README.md. Package names, sections,
// priorities and the new versions are those of ecosystem/deb/testdata's
// Packages fixtures (and ecosystem/apk/testdata's APKINDEX for the cross-distro one); the
// old versions are the ones they replaced, written by hand.

func row(kind, pkg, oldV, newV, section, priority string) datasets.PackageChangeRow {
	return datasets.PackageChangeRow{Kind: kind, Package: pkg, IndexArchitecture: "amd64",
		OldVersion: oldV, NewVersion: newV, Section: section, Priority: priority}
}

func sampleChanges() []datasets.PackageChangeRow {
	bash := row(KindUpgraded, "bash", "5.2.15-2+b2", "5.2.15-2+b13", "shells", "required")
	bash.Rebuild, bash.Essential = true, true
	baseFiles := row(KindUpgraded, "base-files", "12.4+deb12u14", "12.4+deb12u15", "admin", "required")
	baseFiles.Essential = true
	coreutils := row(KindSame, "coreutils", "9.1-1", "9.1-1", "utils", "required")
	coreutils.Essential = true
	dpkg := row(KindUpgraded, "dpkg", "1.21.22", "1.21.23", "admin", "required")
	dpkg.Essential = true
	gcc := row(KindUpgraded, "gcc", "4:10.2.1-1", "4:12.2.0-3", "devel", "optional")
	gcc.OldSource, gcc.NewSource = "gcc-defaults", "gcc-defaults"
	gcc.DependsChanged = []string{"cpp (= 4:10.2.1-1) -> cpp (= 4:12.2.0-3)", "gcc-10 (>= 10.2.1-1~) -> gcc-12 (>= 12.2.0-1~)"}
	openssl := row(KindUpgraded, "openssl", "3.0.16-1~deb12u1", "3.0.17-1~deb12u2", "utils", "optional")
	openssl.DependsChanged = []string{"libssl3 (>= 3.0.9) -> libssl3 (>= 3.0.17)"}
	ldb := row(KindUpgraded, "ldb-tools", "2:2.6.2+samba4.17.12+dfsg-0+deb12u1", "2:2.6.2+samba4.17.12+dfsg-0+deb12u2", "utils", "optional")
	ldb.DependsAdded = []string{"libldb2 (= 2:2.6.2+samba4.17.12+dfsg-0+deb12u2)"}
	ldb.DependsRemoved = []string{"libldb2 (= 2:2.6.2+samba4.17.12+dfsg-0+deb12u1)", "libtalloc2 (>= 2.0.4~git20101213) | libtalloc-dev"}
	tzdata := row(KindUpgraded, "tzdata", "2025a-0+deb12u1", "2025b-0+deb12u1", "localization", "required")
	mk := row(KindDowngraded, "make", "4.3-4.1", "4.2.1-1.2", "devel", "optional")
	mk.OldSource, mk.NewSource = "make-dfsg", "make-dfsg"
	csh := row(KindRemoved, "csh", "20110502-7+b1", "", "shells", "optional")
	csh.OldSource = "csh"
	return []datasets.PackageChangeRow{
		row(KindRemoved, "2048-qt", "0.1.6-2+b2", "", "games", "optional"),
		row(KindSame, "apt", "2.6.1", "2.6.1", "admin", "required"),
		baseFiles,
		bash,
		row(KindUpgraded, "ca-certificates", "20230311", "20230311+deb12u1", "misc", "standard"),
		coreutils,
		csh,
		dpkg,
		gcc,
		ldb,
		row(KindSame, "libssl3", "3.0.17-1~deb12u2", "3.0.17-1~deb12u2", "libs", "optional"),
		mk,
		row(KindUpgraded, "openssh-client", "1:9.2p1-2+deb12u6", "1:9.2p1-2+deb12u7", "net", "standard"),
		openssl,
		row(KindUpgraded, "samba", "2:4.17.12+dfsg-0+deb12u1", "2:4.17.12+dfsg-0+deb12u2", "net", "optional"),
		row(KindAdded, "ssh-askpass-gnome", "", "1:9.2p1-2+deb12u7", "gnome", "optional"),
		tzdata,
	}
}

// summarize counts rows the way the comparison does, so that the sample's
// summary follows from its rows instead of being typed in.
func summarize(old, new datasets.Partition, changes []datasets.PackageChangeRow) datasets.CompareSummaryRow {
	s := datasets.CompareSummaryRow{OldDistro: old.Distro, OldRelease: old.Release, OldSnapshot: old.Snapshot,
		NewDistro: new.Distro, NewRelease: new.Release, NewSnapshot: new.Snapshot, CrossDistro: old.Distro != new.Distro}
	for _, r := range changes {
		switch r.Kind {
		case KindAdded:
			s.Added++
		case KindRemoved:
			s.Removed++
		case KindUpgraded:
			s.Upgraded++
			if r.Rebuild {
				s.Rebuilds++
			}
		case KindDowngraded:
			s.Downgraded++
		case KindSame:
			s.Same++
		case KindUnmatched:
			s.Unmatched++
		}
		if len(r.DependsAdded)+len(r.DependsRemoved)+len(r.DependsChanged) > 0 {
			s.DependsDelta++
		}
	}
	return s
}

var (
	bookwormOld = datasets.Partition{Distro: "debian", Release: "bookworm", Snapshot: "20260314T101500Z-3f1c2a9be0d4"}
	bookwormNew = datasets.Partition{Distro: "debian", Release: "bookworm", Snapshot: "20260711T101637Z-9b2e61f0a7c3"}
	alpine318   = datasets.Partition{Distro: "alpine", Release: "v3.18", Snapshot: "20231107T120000Z-51c0e2d4a9f8"}
)

// sampleSources are the source_changes rows of sampleChanges, by source
// name. Sources and source versions are those of the Packages fixtures'
// Source fields (a package without one is its own source, at its own
// version); the old source versions, like the old binary versions, were
// written by hand (gcc-defaults 1.190 built gcc 4:10.2.1-1).
func sampleSources() []datasets.SourceChangeRow {
	src := func(name, kind, oldV, newV string, binaries ...string) datasets.SourceChangeRow {
		return datasets.SourceChangeRow{Source: name, Kind: kind, OldVersion: oldV, NewVersion: newV, Binaries: binaries}
	}
	qt := src("2048-qt", KindRemoved, "0.1.6-2", "", "2048-qt")
	qt.Removed = 1
	apt := src("apt", KindSame, "2.6.1", "2.6.1", "apt")
	apt.Same = 1
	baseFiles := src("base-files", KindUpgraded, "12.4+deb12u14", "12.4+deb12u15", "base-files")
	baseFiles.Upgraded = 1
	bash := src("bash", KindUpgraded, "5.2.15-2", "5.2.15-2", "bash")
	bash.Upgraded, bash.Rebuilds, bash.Rebuild = 1, 1, true
	ca := src("ca-certificates", KindUpgraded, "20230311", "20230311+deb12u1", "ca-certificates")
	ca.Upgraded = 1
	coreutils := src("coreutils", KindSame, "9.1-1", "9.1-1", "coreutils")
	coreutils.Same = 1
	csh := src("csh", KindRemoved, "20110502-7", "", "csh")
	csh.Removed = 1
	dpkg := src("dpkg", KindUpgraded, "1.21.22", "1.21.23", "dpkg")
	dpkg.Upgraded = 1
	gcc := src("gcc-defaults", KindUpgraded, "1.190", "1.203", "gcc")
	gcc.Upgraded = 1
	mk := src("make-dfsg", KindDowngraded, "4.3-4.1", "4.2.1-1.2", "make")
	mk.Downgraded = 1
	ssh := src("openssh", KindUpgraded, "1:9.2p1-2+deb12u6", "1:9.2p1-2+deb12u7", "openssh-client", "ssh-askpass-gnome")
	ssh.Upgraded, ssh.Added = 1, 1
	ssl := src("openssl", KindUpgraded, "3.0.16-1~deb12u1", "3.0.17-1~deb12u2", "libssl3", "openssl")
	ssl.Upgraded, ssl.Same = 1, 1
	samba := src("samba", KindUpgraded, "2:4.17.12+dfsg-0+deb12u1", "2:4.17.12+dfsg-0+deb12u2", "ldb-tools", "samba")
	samba.Upgraded = 2
	tz := src("tzdata", KindUpgraded, "2025a-0+deb12u1", "2025b-0+deb12u1", "tzdata")
	tz.Upgraded = 1
	return []datasets.SourceChangeRow{qt, apt, baseFiles, bash, ca, coreutils, csh, dpkg, gcc, mk, ssh, ssl, samba, tz}
}

func sampleData() Data {
	c := sampleChanges()
	return Data{Old: bookwormOld, New: bookwormNew, Summary: summarize(bookwormOld, bookwormNew, c), Changes: c,
		Sources: sampleSources(), Format: "deb"}
}

func crossChanges() []datasets.PackageChangeRow {
	libssl := datasets.PackageChangeRow{Kind: KindUpgraded, Package: "libssl3", IndexArchitecture: "aarch64",
		OldVersion: "3.0.17-1~deb12u2", NewVersion: "3.1.2-r0", OldSource: "openssl", NewSource: "openssl",
		Section: "libs", OldUpstream: "3.0.17", NewUpstream: "3.1.2", UpstreamOrder: 1, Rule: "same-name"}
	zlib := datasets.PackageChangeRow{Kind: KindSame, Package: "zlib", OldPackage: "zlib1g", IndexArchitecture: "aarch64",
		OldVersion: "1:1.2.13.dfsg-1", NewVersion: "1.2.13-r1", OldSource: "zlib", NewSource: "zlib",
		Section: "libs", OldUpstream: "1.2.13", NewUpstream: "1.2.13", Rule: "source-name"}
	musl := datasets.PackageChangeRow{Kind: KindDowngraded, Package: "musl-utils", OldPackage: "libc-bin", IndexArchitecture: "aarch64",
		OldVersion: "2.36-9+deb12u14", NewVersion: "1.2.4-r1", OldSource: "glibc", NewSource: "musl",
		Section: "admin", Priority: "required", OldUpstream: "2.36", NewUpstream: "1.2.4", UpstreamOrder: -1, Rule: "libc"}
	layout := datasets.PackageChangeRow{Kind: KindUnmatched, Package: "alpine-baselayout", IndexArchitecture: "aarch64", NewVersion: "3.4.3-r1"}
	base := datasets.PackageChangeRow{Kind: KindUnmatched, Package: "base-files", IndexArchitecture: "aarch64", OldVersion: "12.4+deb12u15",
		Section: "admin", Priority: "required", Essential: true}
	return []datasets.PackageChangeRow{layout, base, musl, libssl, zlib}
}

func crossData() Data {
	c := crossChanges()
	return Data{Old: bookwormNew, New: alpine318, Summary: summarize(bookwormNew, alpine318, c), Changes: c, Format: "deb",
		CSVLocation: "reports/debian~alpine/bookworm~v3.18/"}
}
