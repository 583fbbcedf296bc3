package rpmmd

import (
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// renderOracle renders a header dependency the way rows should hold it,
// from rpm's own strings: dpkg's operator, then the header's EVR less an
// explicit "0:" epoch.
func renderOracle(d oracleDep) string {
	ops := map[int]string{senseLess: "<<", senseGreater: ">>", senseEqual: "=",
		senseLess | senseEqual: "<=", senseGreater | senseEqual: ">="}
	op, ok := ops[d.Flags&(senseLess|senseGreater|senseEqual)]
	if !ok || d.Version == "" {
		return d.Name
	}
	return d.Name + " (" + op + " " + strings.TrimPrefix(d.Version, "0:") + ")"
}

func renderOracleAll(deps []oracleDep) []string {
	var out []string
	for _, d := range deps {
		out = append(out, renderOracle(d))
	}
	return out
}

func TestRowsFromOracle(t *testing.T) {
	doc := loadOracle(t)
	pkgs := readVariant(t, fixtureVariants(t)[0])
	for _, o := range doc.Packages {
		var row *Package
		for i := range pkgs {
			if pkgs[i].Location == o.Location {
				row = &pkgs[i]
			}
		}
		if row == nil {
			t.Fatalf("%s not read", o.Location)
		}
		r := row.Row()
		epoch := int64(0)
		version := o.Version + "-" + o.Release
		if o.Epoch != "(none)" {
			e, err := strconv.ParseInt(o.Epoch, 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			epoch = e
			if e != 0 {
				version = o.Epoch + ":" + version
			}
		}
		want := expectedPackage(t, doc, o)
		// Requires: the header's, filtered as createrepo_c does, split by
		// the pre marker.
		var depends, preDepends []string
		for _, k := range oracleKeptRequires(o) {
			if k.pre {
				preDepends = append(preDepends, renderOracle(k.dep))
			} else {
				depends = append(depends, renderOracle(k.dep))
			}
		}
		var files []string
		for _, f := range o.Files {
			files = append(files, f.Path)
		}
		checks := []struct {
			column    string
			got, want any
		}{
			{"format", r.Format, "rpm"},
			{"package", r.Package, o.Name},
			{"version", r.Version, version},
			{"epoch", *r.Epoch, epoch},
			{"upstream_version", r.UpstreamVersion, o.Version},
			{"revision", r.Revision, o.Release},
			{"architecture", r.Architecture, want.Arch},
			{"source", r.Source, want.SourceName},
			{"source_version", r.SourceVersion, want.SourceVersion},
			{"maintainer", r.Maintainer, none(o.Packager)},
			{"homepage", r.Homepage, none(o.URL)},
			{"description", r.Description, o.Summary},
			{"license", r.License, o.License},
			{"groups", r.Groups, []string{o.Group}},
			{"size", r.Size, o.FileSize},
			{"installed_size_bytes", r.InstalledSizeBytes, o.InstalledSize},
			{"installed_size_kib", r.InstalledSizeKiB, (o.InstalledSize + 1023) / 1024},
			{"filename", r.Filename, o.Location},
			{"sha256", r.SHA256, o.SHA256},
			{"checksum", r.Checksum, ""},
			{"build_time", r.BuildTime, time.Unix(o.BuildTime, 0).UTC()},
			{"depends", r.Depends, depends},
			{"pre_depends", r.PreDepends, preDepends},
			{"provides", r.Provides, renderOracleAll(o.Provides)},
			{"conflicts", r.Conflicts, renderOracleAll(o.Conflicts)},
			{"obsoletes", r.Obsoletes, renderOracleAll(o.Obsoletes)},
			{"recommends", r.Recommends, renderOracleAll(o.Recommends)},
			{"suggests", r.Suggests, renderOracleAll(o.Suggests)},
			{"enhances", r.Enhances, renderOracleAll(o.Enhances)},
			{"extra Supplements", r.Extra["Supplements"], strings.Join(renderOracleAll(o.Supplements), ", ")},
			{"extra Vendor", r.Extra["Vendor"], none(o.Vendor)},
			{"extra Buildhost", r.Extra["Buildhost"], o.BuildHost},
			{"files", r.Files, files},
		}
		for _, c := range checks {
			if !reflect.DeepEqual(c.got, c.want) {
				t.Errorf("%s: %s = %#v, want %#v", o.Location, c.column, c.got, c.want)
			}
		}
	}
}

func TestEVRString(t *testing.T) {
	for _, tt := range []struct {
		evr  EVR
		want string
	}{
		{EVR{"0", "1.0", "1"}, "1.0-1"},
		{EVR{"", "1.0", "1"}, "1.0-1"},
		{EVR{"2", "1.0", "1"}, "2:1.0-1"},
		{EVR{"0", "1.0", ""}, "1.0"},
		{EVR{"10", "1.0~rc1^git2", "3.el9"}, "10:1.0~rc1^git2-3.el9"},
	} {
		if got := tt.evr.String(); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.evr, got, tt.want)
		}
	}
}

func TestDependencyString(t *testing.T) {
	for _, tt := range []struct {
		dep  Dependency
		want string
	}{
		{Dependency{Name: "/bin/sh"}, "/bin/sh"},
		{Dependency{Name: "a", Flags: EQ, EVR: EVR{"0", "1", "2"}}, "a (= 1-2)"},
		{Dependency{Name: "a", Flags: LT, EVR: EVR{"1", "0.5", ""}}, "a (<< 1:0.5)"},
		{Dependency{Name: "a", Flags: LE, EVR: EVR{"0", "0.9", "2"}}, "a (<= 0.9-2)"},
		{Dependency{Name: "a", Flags: GT, EVR: EVR{"0", "0.9", ""}}, "a (>> 0.9)"},
		{Dependency{Name: "a", Flags: GE, EVR: EVR{"0", "1.0", "1"}, Pre: true}, "a (>= 1.0-1)"},
		{Dependency{Name: "(a if b)"}, "(a if b)"},
		{Dependency{Name: "rpmlib(CompressedFileNames)", Flags: LE, EVR: EVR{"", "3.0.4", "1"}}, "rpmlib(CompressedFileNames) (<= 3.0.4-1)"},
	} {
		if got := tt.dep.String(); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.dep, got, tt.want)
		}
	}
}

func TestSplitSourceRPM(t *testing.T) {
	for _, tt := range []struct {
		in, name, version string
		ok                bool
	}{
		{"hello-tool-1.2.3-4.src.rpm", "hello-tool", "1.2.3-4", true},
		{"python-foo-bar-2.0^git1-1.fc40.src.rpm", "python-foo-bar", "2.0^git1-1.fc40", true},
		{"kernel-6.8.5-301.fc40.nosrc.rpm", "kernel", "6.8.5-301.fc40", true},
		{"a-1-2.src.rpm", "a", "1-2", true},
		{"hello-1.0.src.rpm", "", "", false},
		{"hello-1.0-1.src", "", "", false},
		{"-1.0-1.src.rpm", "", "", false},
		{"hello-1.0-.src.rpm", "", "", false},
		{"hello--1.src.rpm", "", "", false},
		{"hello-1-1rpm", "", "", false},
	} {
		name, version, err := splitSourceRPM(tt.in)
		if (err == nil) != tt.ok || name != tt.name || version != tt.version {
			t.Errorf("%q: %q, %q, %v", tt.in, name, version, err)
		}
		if err != nil && !errors.Is(err, ErrVersion) {
			t.Errorf("%q: error %v is not ErrVersion", tt.in, err)
		}
	}
}

func TestRowChecksumAndSizes(t *testing.T) {
	p := Package{Name: "a", Arch: "noarch", Version: EVR{"0", "1", "1"},
		Checksum: Checksum{"sha1", strings.Repeat("ab", 20)}, InstalledSize: 1025}
	r := p.Row()
	if r.SHA256 != "" || r.Checksum != "sha1:"+strings.Repeat("ab", 20) {
		t.Errorf("sha1 pkgid: sha256 %q, checksum %q", r.SHA256, r.Checksum)
	}
	if r.InstalledSizeKiB != 2 || r.InstalledSizeBytes != 1025 {
		t.Errorf("1025 bytes: %d KiB, %d bytes", r.InstalledSizeKiB, r.InstalledSizeBytes)
	}
	if r.Source != "a" || r.Groups != nil || !r.BuildTime.IsZero() || r.Extra != nil || r.Epoch == nil || *r.Epoch != 0 {
		t.Errorf("sparse package: %+v", r)
	}
	p.Version.Epoch = ""
	if r := p.Row(); r.Epoch != nil {
		t.Errorf("no epoch attribute: epoch %d, want null", *r.Epoch)
	}
}

func TestCheckChecksum(t *testing.T) {
	for _, tt := range []struct {
		typ, value string
		want       Checksum
		ok         bool
	}{
		{"sha256", strings.Repeat("a", 64), Checksum{"sha256", strings.Repeat("a", 64)}, true},
		{"sha256", strings.Repeat("A", 64), Checksum{"sha256", strings.Repeat("a", 64)}, true},
		{"sha", strings.Repeat("0", 40), Checksum{"sha1", strings.Repeat("0", 40)}, true},
		{"sha512", strings.Repeat("f", 128), Checksum{"sha512", strings.Repeat("f", 128)}, true},
		{"md5", strings.Repeat("0", 32), Checksum{"md5", strings.Repeat("0", 32)}, true},
		{"sha256", strings.Repeat("a", 63), Checksum{}, false},
		{"sha256", strings.Repeat("g", 64), Checksum{}, false},
		{"crc32", "00000000", Checksum{}, false},
		{"", strings.Repeat("a", 64), Checksum{}, false},
	} {
		got, err := checkChecksum(tt.typ, tt.value)
		if (err == nil) != tt.ok || got != tt.want || (err != nil && !errors.Is(err, ErrChecksum)) {
			t.Errorf("%s %q: %+v, %v", tt.typ, tt.value, got, err)
		}
	}
}
