package rpm

import (
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"hash"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ulikunitz/xz"

	"github.com/distroscope/distroscope/ecosystem/rpm/rpmtest"
)

// The fixture repository (testdata/README.md): one set of rpms, and
// repodata written by createrepo_c in several variants.
const fixtureRepo = "testdata/repo"

// fixtureVariant is one repodata directory and the repository root its
// hrefs are relative to.
type fixtureVariant struct {
	name string
	dir  string // holds repodata/
}

func fixtureVariants(t testing.TB) []fixtureVariant {
	t.Helper()
	vs := []fixtureVariant{{"default", fixtureRepo}}
	entries, err := os.ReadDir("testdata/variants")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		vs = append(vs, fixtureVariant{e.Name(), filepath.Join("testdata/variants", e.Name())})
	}
	if len(vs) < 7 {
		t.Fatalf("only %d variants under testdata/variants", len(vs))
	}
	return vs
}

func readRepomdFile(t testing.TB, dir string) *Repomd {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "repodata", "repomd.xml"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	md, err := ParseRepomd(f, dir+"/repodata/repomd.xml")
	if err != nil {
		t.Fatal(err)
	}
	return md
}

// openRecord opens the file a repomd record names, decompressed.
func openRecord(t testing.TB, dir string, d RepomdData) io.Reader {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, d.Location))
	if err != nil {
		t.Fatal(err)
	}
	return decompress(t, d.Compression(), data)
}

func decompress(t testing.TB, compression string, data []byte) io.Reader {
	t.Helper()
	switch compression {
	case "":
		return bytes.NewReader(data)
	case "gz":
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		return zr
	case "bz2":
		return bzip2.NewReader(bytes.NewReader(data))
	case "xz":
		xr, err := xz.NewReader(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		return xr
	}
	t.Fatalf("no decompressor for %q", compression)
	return nil
}

func hashOf(t testing.TB, typ string, data []byte) string {
	t.Helper()
	var h hash.Hash
	switch typ {
	case "sha256":
		h = sha256.New()
	case "sha512":
		h = sha512.New()
	default:
		t.Fatalf("no hash %q in the tests", typ)
	}
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil))
}

// readPackages reads every package of a reader, copying each.
func readPackages(t testing.TB, r PackageReader) []Package {
	t.Helper()
	var out []Package
	for {
		p, err := r.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, *p)
	}
}

// readVariant reads a variant's primary.xml joined with filelists.xml.
// (Package primarydb reads the sqlite form and compares it with this.)
func readVariant(t testing.TB, v fixtureVariant, opts ...Option) []Package {
	t.Helper()
	md := readRepomdFile(t, v.dir)
	rec, ok := md.Find("primary")
	if !ok {
		t.Fatalf("%s: no primary record", v.name)
	}
	pkgs := NewPrimaryReader(openRecord(t, v.dir, rec), rec.Location, opts...)
	fl, ok := md.Find("filelists")
	if !ok {
		t.Fatalf("%s: no filelists record", v.name)
	}
	return readPackages(t, JoinFilelists(pkgs, NewFilelistsReader(openRecord(t, v.dir, fl), fl.Location)))
}

// xmlVariants are the variants that offer primary.xml.
func xmlVariants(t testing.TB) []fixtureVariant {
	var out []fixtureVariant
	for _, v := range fixtureVariants(t) {
		if _, ok := readRepomdFile(t, v.dir).Find("primary"); ok {
			out = append(out, v)
		}
	}
	return out
}

func oracleFlags(bits int) Flags {
	switch bits & (rpmtest.SenseLess | rpmtest.SenseGreater | rpmtest.SenseEqual) {
	case rpmtest.SenseLess:
		return LT
	case rpmtest.SenseGreater:
		return GT
	case rpmtest.SenseEqual:
		return EQ
	case rpmtest.SenseLess | rpmtest.SenseEqual:
		return LE
	case rpmtest.SenseGreater | rpmtest.SenseEqual:
		return GE
	}
	return NoFlags
}

// oracleEVR splits a header EVR string as createrepo_c does: epoch before
// ":" ("0" when the version is not empty and names none), release after the
// last "-".
func oracleEVR(s string) EVR {
	if s == "" {
		return EVR{}
	}
	v := EVR{Epoch: "0", Version: s}
	if e, rest, ok := strings.Cut(v.Version, ":"); ok {
		v.Epoch, v.Version = e, rest
	}
	if i := strings.LastIndexByte(v.Version, '-'); i >= 0 {
		v.Version, v.Release = v.Version[:i], v.Version[i+1:]
	}
	return v
}

func oracleDeps(deps []rpmtest.Dep) []Dependency {
	var out []Dependency
	for _, d := range deps {
		out = append(out, Dependency{Name: d.Name, Flags: oracleFlags(d.Flags), EVR: oracleEVR(d.Version)})
	}
	return out
}

func oracleRequires(o rpmtest.Package) []Dependency {
	var out []Dependency
	for _, k := range rpmtest.KeptRequires(o) {
		out = append(out, Dependency{Name: k.Dep.Name, Flags: oracleFlags(k.Dep.Flags), EVR: oracleEVR(k.Dep.Version), Pre: k.Pre})
	}
	return out
}

// expectedPackage is what the metadata should say of the package, derived
// from the oracle only.
func expectedPackage(t testing.TB, doc rpmtest.Doc, o rpmtest.Package) Package {
	t.Helper()
	p := Package{
		Name:          o.Name,
		Arch:          o.Arch,
		Version:       EVR{Epoch: rpmtest.None(o.Epoch), Version: o.Version, Release: o.Release},
		Checksum:      Checksum{Type: "sha256", Value: o.SHA256},
		Summary:       o.Summary,
		Packager:      rpmtest.None(o.Packager),
		URL:           rpmtest.None(o.URL),
		BuildTime:     o.BuildTime,
		PackageSize:   o.FileSize,
		InstalledSize: o.InstalledSize,
		ArchiveSize:   o.ArchiveSize,
		Location:      o.Location,
		License:       o.License,
		Vendor:        rpmtest.None(o.Vendor),
		Group:         o.Group,
		BuildHost:     o.BuildHost,
		SourceRPM:     rpmtest.None(o.SourceRPM),
		Provides:      oracleDeps(o.Provides),
		Requires:      oracleRequires(o),
		Conflicts:     oracleDeps(o.Conflicts),
		Obsoletes:     oracleDeps(o.Obsoletes),
		Recommends:    oracleDeps(o.Recommends),
		Suggests:      oracleDeps(o.Suggests),
		Supplements:   oracleDeps(o.Supplements),
		Enhances:      oracleDeps(o.Enhances),
	}
	if p.Version.Epoch == "" {
		p.Version.Epoch = "0" // rpm-md cannot say "no epoch"
	}
	if o.SourcePackage == "1" {
		// A source rpm's header names the build architecture; rpm and
		// createrepo_c call the package's architecture "src".
		p.Arch = "src"
	}
	p.SourceName, p.SourceVersion = doc.SourceOf(t, o)
	for _, f := range o.Files {
		file := File{Path: f.Path}
		switch {
		case strings.Contains(f.FFlags, "g"):
			file.Type = "ghost"
		case strings.HasPrefix(f.Perms, "d"):
			file.Type = "dir"
		}
		p.Files = append(p.Files, file)
	}
	return p
}
