// Package rpmtest reads the rpm fixture repository's oracle — what rpm
// itself says of each package file (ecosystem/rpm/testdata/expected.json,
// written by testdata/make-repo.sh with "rpm -qp --queryformat") — for the
// tests of the rpm-md reader and of the rows repo/formats maps its packages
// to. It knows nothing of the reader's types, so both can use it.
package rpmtest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// Package is rpm's reading of one package file.
type Package struct {
	Location      string `json:"location"`
	Name          string `json:"name"`
	Epoch         string `json:"epoch"`
	Version       string `json:"version"`
	Release       string `json:"release"`
	Arch          string `json:"arch"`
	SourcePackage string `json:"sourcepackage"`
	SourceRPM     string `json:"sourcerpm"`
	Summary       string `json:"summary"`
	License       string `json:"license"`
	Group         string `json:"group"`
	Packager      string `json:"packager"`
	Vendor        string `json:"vendor"`
	URL           string `json:"url"`
	BuildHost     string `json:"buildhost"`
	BuildTime     int64  `json:"buildtime"`
	InstalledSize int64  `json:"installedsize"`
	ArchiveSize   int64  `json:"archivesize"`
	FileSize      int64  `json:"filesize"`
	SHA256        string `json:"sha256"`
	Requires      []Dep  `json:"requires"`
	Provides      []Dep  `json:"provides"`
	Conflicts     []Dep  `json:"conflicts"`
	Obsoletes     []Dep  `json:"obsoletes"`
	Recommends    []Dep  `json:"recommends"`
	Suggests      []Dep  `json:"suggests"`
	Supplements   []Dep  `json:"supplements"`
	Enhances      []Dep  `json:"enhances"`
	Files         []File `json:"files"`
}

// Dep is a dependency as the header holds it.
type Dep struct {
	Name    string `json:"name"`
	Flags   int    `json:"flags"`
	Version string `json:"version"` // "[E:]V[-R]"
}

// File is one entry of a package's file list.
type File struct {
	Path   string `json:"path"`
	FFlags string `json:"fflags"` // %{FILEFLAGS:fflags}: "g" for %ghost, ...
	Perms  string `json:"perms"`  // %{FILEMODES:perms}: "drwxr-xr-x", ...
}

// Source is rpm's reading of a source rpm built from the same spec.
type Source struct {
	File    string `json:"file"`
	Name    string `json:"name"`
	Version string `json:"version"`
	Release string `json:"release"`
}

// Doc is the whole oracle.
type Doc struct {
	Packages []Package `json:"packages"`
	Sources  []Source  `json:"sources"`
}

// Testdata is the absolute path of ecosystem/rpm/testdata.
func Testdata(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("rpmtest: cannot locate its own source file")
	}
	return filepath.Join(filepath.Dir(file), "..", "testdata")
}

// Load reads the oracle.
func Load(t testing.TB) Doc {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(Testdata(t), "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc Doc
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Packages) < 6 || len(doc.Sources) < 4 {
		t.Fatalf("expected.json lists %d packages and %d sources", len(doc.Packages), len(doc.Sources))
	}
	return doc
}

// SourceOf is the source package name and version-release of o, as rpm
// reads them from its source rpm (a source rpm is its own source).
func (d Doc) SourceOf(t testing.TB, o Package) (name, version string) {
	t.Helper()
	if o.SourcePackage == "1" {
		return o.Name, o.Version + "-" + o.Release
	}
	for _, s := range d.Sources {
		if s.File == o.SourceRPM {
			return s.Name, s.Version + "-" + s.Release
		}
	}
	t.Fatalf("%s: no source rpm %s in expected.json", o.Location, o.SourceRPM)
	return "", ""
}

// None maps rpm's "(none)" for an absent tag to "".
func None(s string) string {
	if s == "(none)" {
		return ""
	}
	return s
}

// rpm's dependency sense bits (rpm/rpmds.h).
const (
	SenseLess       = 1 << 1
	SenseGreater    = 1 << 2
	SenseEqual      = 1 << 3
	SensePrereq     = 1 << 6
	SenseScriptPre  = 1 << 9
	SenseScriptPost = 1 << 10
)

// IsPrimaryFile is createrepo_c's rule (misc.h cr_is_primary) for the files
// primary lists.
func IsPrimaryFile(path string) bool {
	return strings.HasPrefix(path, "/etc/") || path == "/usr/lib/sendmail" || strings.Contains(path, "bin/")
}

// KeptRequire is a header requirement createrepo_c keeps in primary.
type KeptRequire struct {
	Dep Dep
	Pre bool
}

// KeptRequires applies to the header's requires the filtering createrepo_c
// documents in parsehdr.c (cr_package_from_header): rpmlib() requires,
// requires of the package's own primary files and of names it provides are
// left out; Pre is set for PreReq, Requires(pre) and Requires(post); a
// repeat of the same name, comparison, version and Pre as the last kept
// entry of that name is left out.
func KeptRequires(o Package) []KeptRequire {
	own := map[string]bool{}
	for _, f := range o.Files {
		own[f.Path] = true
	}
	provided := map[string]bool{}
	for _, p := range o.Provides {
		provided[p.Name] = true
	}
	type key struct {
		sense   int
		version string
		pre     bool
	}
	last := map[string]key{}
	var out []KeptRequire
	for _, r := range o.Requires {
		if strings.HasPrefix(r.Name, "rpmlib(") || own[r.Name] && IsPrimaryFile(r.Name) || provided[r.Name] {
			continue
		}
		pre := r.Flags&(SensePrereq|SenseScriptPre|SenseScriptPost) != 0
		k := key{r.Flags & (SenseLess | SenseGreater | SenseEqual), r.Version, pre}
		if prev, ok := last[r.Name]; ok && prev == k {
			continue
		}
		last[r.Name] = k
		out = append(out, KeptRequire{r, pre})
	}
	return out
}
