package rpmmd

import (
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"hash"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ulikunitz/xz"
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

// oracle is what testdata/make-repo.sh had "rpm -qp --queryformat" say
// about each package file (testdata/expected.json).
type oracle struct {
	Location      string       `json:"location"`
	Name          string       `json:"name"`
	Epoch         string       `json:"epoch"`
	Version       string       `json:"version"`
	Release       string       `json:"release"`
	Arch          string       `json:"arch"`
	SourcePackage string       `json:"sourcepackage"`
	SourceRPM     string       `json:"sourcerpm"`
	Summary       string       `json:"summary"`
	License       string       `json:"license"`
	Group         string       `json:"group"`
	Packager      string       `json:"packager"`
	Vendor        string       `json:"vendor"`
	URL           string       `json:"url"`
	BuildHost     string       `json:"buildhost"`
	BuildTime     int64        `json:"buildtime"`
	InstalledSize int64        `json:"installedsize"`
	ArchiveSize   int64        `json:"archivesize"`
	FileSize      int64        `json:"filesize"`
	SHA256        string       `json:"sha256"`
	Requires      []oracleDep  `json:"requires"`
	Provides      []oracleDep  `json:"provides"`
	Conflicts     []oracleDep  `json:"conflicts"`
	Obsoletes     []oracleDep  `json:"obsoletes"`
	Recommends    []oracleDep  `json:"recommends"`
	Suggests      []oracleDep  `json:"suggests"`
	Supplements   []oracleDep  `json:"supplements"`
	Enhances      []oracleDep  `json:"enhances"`
	Files         []oracleFile `json:"files"`
}

type oracleDep struct {
	Name    string `json:"name"`
	Flags   int    `json:"flags"`
	Version string `json:"version"` // "[E:]V[-R]" as the header holds it
}

type oracleFile struct {
	Path   string `json:"path"`
	FFlags string `json:"fflags"` // %{FILEFLAGS:fflags}: "g" for %ghost, ...
	Perms  string `json:"perms"`  // %{FILEMODES:perms}: "drwxr-xr-x", ...
}

// oracleSource is rpm's reading of a source rpm built from the same spec.
type oracleSource struct {
	File    string `json:"file"`
	Name    string `json:"name"`
	Version string `json:"version"`
	Release string `json:"release"`
}

type oracleDoc struct {
	Packages []oracle       `json:"packages"`
	Sources  []oracleSource `json:"sources"`
}

func loadOracle(t testing.TB) oracleDoc {
	t.Helper()
	data, err := os.ReadFile("testdata/expected.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc oracleDoc
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Packages) < 6 || len(doc.Sources) < 4 {
		t.Fatalf("expected.json lists %d packages and %d sources", len(doc.Packages), len(doc.Sources))
	}
	return doc
}

// none maps rpm's "(none)" for an absent tag to "".
func none(s string) string {
	if s == "(none)" {
		return ""
	}
	return s
}

// rpm's dependency sense bits (rpm/rpmds.h).
const (
	senseLess       = 1 << 1
	senseGreater    = 1 << 2
	senseEqual      = 1 << 3
	sensePrereq     = 1 << 6
	senseScriptPre  = 1 << 9
	senseScriptPost = 1 << 10
)

func oracleFlags(bits int) Flags {
	switch bits & (senseLess | senseGreater | senseEqual) {
	case senseLess:
		return LT
	case senseGreater:
		return GT
	case senseEqual:
		return EQ
	case senseLess | senseEqual:
		return LE
	case senseGreater | senseEqual:
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

func oracleDeps(deps []oracleDep) []Dependency {
	var out []Dependency
	for _, d := range deps {
		out = append(out, Dependency{Name: d.Name, Flags: oracleFlags(d.Flags), EVR: oracleEVR(d.Version)})
	}
	return out
}

// isPrimaryFile is createrepo_c's rule (misc.h cr_is_primary) for the files
// primary lists.
func isPrimaryFile(path string) bool {
	return strings.HasPrefix(path, "/etc/") || path == "/usr/lib/sendmail" || strings.Contains(path, "bin/")
}

// keptRequire is a header requirement createrepo_c keeps in primary.
type keptRequire struct {
	dep oracleDep
	pre bool
}

// oracleKeptRequires applies to the header's requires the filtering
// createrepo_c documents in parsehdr.c (cr_package_from_header): rpmlib()
// requires, requires of the package's own primary files and of names it
// provides are left out; pre is set for PreReq, Requires(pre) and
// Requires(post); a repeat of the same name, flags, version and pre as the
// last kept entry of that name is left out.
func oracleKeptRequires(o oracle) []keptRequire {
	own := map[string]bool{}
	for _, f := range o.Files {
		own[f.Path] = true
	}
	provided := map[string]bool{}
	for _, p := range o.Provides {
		provided[p.Name] = true
	}
	type key struct {
		flags   Flags
		version string
		pre     bool
	}
	last := map[string]key{}
	var out []keptRequire
	for _, r := range o.Requires {
		if strings.HasPrefix(r.Name, "rpmlib(") || own[r.Name] && isPrimaryFile(r.Name) || provided[r.Name] {
			continue
		}
		pre := r.Flags&(sensePrereq|senseScriptPre|senseScriptPost) != 0
		k := key{oracleFlags(r.Flags), r.Version, pre}
		if prev, ok := last[r.Name]; ok && prev == k {
			continue
		}
		last[r.Name] = k
		out = append(out, keptRequire{r, pre})
	}
	return out
}

func oracleRequires(o oracle) []Dependency {
	var out []Dependency
	for _, k := range oracleKeptRequires(o) {
		out = append(out, Dependency{Name: k.dep.Name, Flags: oracleFlags(k.dep.Flags), EVR: oracleEVR(k.dep.Version), Pre: k.pre})
	}
	return out
}

// expectedPackage is what the metadata should say of the package, derived
// from the oracle only.
func expectedPackage(t testing.TB, doc oracleDoc, o oracle) Package {
	t.Helper()
	p := Package{
		Name:          o.Name,
		Arch:          o.Arch,
		Version:       EVR{Epoch: none(o.Epoch), Version: o.Version, Release: o.Release},
		Checksum:      Checksum{Type: "sha256", Value: o.SHA256},
		Summary:       o.Summary,
		Packager:      none(o.Packager),
		URL:           none(o.URL),
		BuildTime:     o.BuildTime,
		PackageSize:   o.FileSize,
		InstalledSize: o.InstalledSize,
		ArchiveSize:   o.ArchiveSize,
		Location:      o.Location,
		License:       o.License,
		Vendor:        none(o.Vendor),
		Group:         o.Group,
		BuildHost:     o.BuildHost,
		SourceRPM:     none(o.SourceRPM),
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
		p.SourceName, p.SourceVersion = o.Name, o.Version+"-"+o.Release
	} else {
		for _, s := range doc.Sources {
			if s.File == o.SourceRPM {
				p.SourceName, p.SourceVersion = s.Name, s.Version+"-"+s.Release
			}
		}
		if p.SourceName == "" {
			t.Fatalf("%s: no source rpm %s in expected.json", o.Location, o.SourceRPM)
		}
	}
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
