// Package formatstest serves the fixture apt repository of
// repo/formats/testdata/apt on 127.0.0.1 and reads its goldens, and reads
// any format's local index files as rows, for tests of the formats and of
// anything built on them (activities, workflows, analyses).
//
// The fixture is a real, signed repository made by make-repo.sh beside it
// with apt-ftparchive and gpg; the goldens (expected.json) come from
// python3-apt, not from distroscope's parser. See its README.md.
package formatstest

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/repo"
	"github.com/distroscope/distroscope/repo/formats"
)

// The fixture's suite as a source names it (the folder under dists/), and
// what it offers.
const Suite = "fixture"

var (
	Components    = []string{"main", "contrib"}
	Architectures = []string{"amd64", "arm64"}
)

// XZOnly is the one index published only as Packages.xz (no plain file, no
// .gz), so that resolving and ingesting it exercise the fallback.
const XZOnly = "contrib/arm64"

// Serve serves the folder root on 127.0.0.1 with a plain http.FileServer
// (which announces Content-Length and answers 404 for missing files) and
// shuts it down when the test ends. It returns the base URL, without a
// trailing slash.
func Serve(t testing.TB, root string) string {
	t.Helper()
	srv := httptest.NewServer(http.FileServer(http.Dir(root)))
	t.Cleanup(srv.Close)
	return srv.URL
}

// Repo serves the committed fixture repository and returns its base URL (the
// mirror: the part before dists/) and the path of the binary keyring that
// signs it. Tests must not change what it serves: use CopyRepo for that.
func Repo(t testing.TB) (baseURL, keyring string) {
	t.Helper()
	return Serve(t, Path(t, "repo")), Path(t, "keyring.gpg")
}

// CopyRepo copies the fixture repository to a temporary folder that the test
// may tamper with (it is removed at cleanup), and returns that folder: serve
// it with Serve.
func CopyRepo(t testing.TB) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "repo")
	if err := os.CopyFS(dst, os.DirFS(Path(t, "repo"))); err != nil {
		t.Fatalf("formatstest: copy fixture repo: %v", err)
	}
	return dst
}

// IndexDir is the folder of one index ("main/amd64") under a repository
// root, e.g. to remove or damage its files in a CopyRepo.
func IndexDir(root, index string) string {
	comp, arch, _ := strings.Cut(index, "/")
	return filepath.Join(root, "dists", Suite, comp, "binary-"+arch)
}

// Path is the absolute path of a file or folder in repo/formats/testdata/apt
// ("keyring.asc", "other-keyring.gpg", "repo", ...). It fails the test if
// the file does not exist.
func Path(t testing.TB, name string) string {
	t.Helper()
	dir, err := testdataDir()
	if err != nil {
		t.Fatalf("formatstest: %v", err)
	}
	p := filepath.Join(dir, filepath.FromSlash(name))
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("formatstest: %v", err)
	}
	return p
}

// Fingerprint is the fingerprint of the fixture's signing key (uppercase
// hex), as make-repo.sh recorded it.
func Fingerprint(t testing.TB) string {
	t.Helper()
	data, err := os.ReadFile(Path(t, "fingerprint.txt"))
	if err != nil {
		t.Fatalf("formatstest: %v", err)
	}
	return strings.TrimSpace(string(data))
}

var (
	dirOnce sync.Once
	dirPath string
	dirErr  error
)

// testdataDir finds repo/formats/testdata/apt: next to this source file when it was
// built from a checkout, else (a -trimpath build) by walking up from the
// working directory to the module root.
func testdataDir() (string, error) {
	dirOnce.Do(func() {
		if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
			d := filepath.Join(filepath.Dir(file), "..", "testdata", "apt")
			if fi, err := os.Stat(d); err == nil && fi.IsDir() {
				dirPath = d
				return
			}
		}
		wd, err := os.Getwd()
		if err != nil {
			dirErr = err
			return
		}
		for d := wd; ; d = filepath.Dir(d) {
			if isModuleRoot(d) {
				dirPath = filepath.Join(d, "repo", "formats", "testdata", "apt")
				return
			}
			if filepath.Dir(d) == d {
				break
			}
		}
		dirErr = &os.PathError{Op: "find", Path: "repo/formats/testdata/apt from " + wd, Err: os.ErrNotExist}
	})
	return dirPath, dirErr
}

const modulePath = "github.com/distroscope/distroscope"

func isModuleRoot(dir string) bool {
	f, err := os.Open(filepath.Join(dir, "go.mod"))
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if fields := strings.Fields(sc.Text()); len(fields) == 2 && fields[0] == "module" {
			return fields[1] == modulePath
		}
	}
	return false
}

// ExpectedRow is one stanza as python3-apt read it: what a PackageRow of that
// stanza must hold. Relationship fields are the clauses as written, split on
// "," with whitespace normalised.
type ExpectedRow struct {
	Package            string            `json:"package"`
	Version            string            `json:"version"`
	Architecture       string            `json:"architecture"`
	Source             string            `json:"source"`
	SourceVersion      string            `json:"source_version"`
	Section            string            `json:"section"`
	Priority           string            `json:"priority"`
	Essential          bool              `json:"essential"`
	Protected          bool              `json:"protected"`
	BuildEssential     bool              `json:"build_essential"`
	MultiArch          string            `json:"multi_arch"`
	Maintainer         string            `json:"maintainer"`
	OriginalMaintainer string            `json:"original_maintainer"`
	InstalledSize      int64             `json:"installed_size"`
	Size               int64             `json:"size"`
	Filename           string            `json:"filename"`
	MD5sum             string            `json:"md5sum"`
	SHA256             string            `json:"sha256"`
	Homepage           string            `json:"homepage"`
	Description        string            `json:"description"`
	DescriptionMD5     string            `json:"description_md5"`
	Tag                string            `json:"tag"`
	Depends            []string          `json:"depends"`
	PreDepends         []string          `json:"pre_depends"`
	Recommends         []string          `json:"recommends"`
	Suggests           []string          `json:"suggests"`
	Enhances           []string          `json:"enhances"`
	Conflicts          []string          `json:"conflicts"`
	Breaks             []string          `json:"breaks"`
	Provides           []string          `json:"provides"`
	Replaces           []string          `json:"replaces"`
	BuiltUsing         []string          `json:"built_using"`
	StaticBuiltUsing   []string          `json:"static_built_using"`
	Extra              map[string]string `json:"extra"`
}

// PackageRow is the row the apt format must write for this stanza when it comes
// from the index component/indexArch. Empty lists and maps are nil, as
// parquet-go reads them back.
func (e ExpectedRow) PackageRow(component, indexArch string) datasets.PackageRow {
	nilIfEmpty := func(s []string) []string {
		if len(s) == 0 {
			return nil
		}
		return s
	}
	r := datasets.PackageRow{
		Component: component, IndexArchitecture: indexArch,
		Package: e.Package, Version: e.Version, Architecture: e.Architecture,
		Source: e.Source, SourceVersion: e.SourceVersion,
		Section: e.Section, Priority: e.Priority,
		Essential: e.Essential, Protected: e.Protected, BuildEssential: e.BuildEssential,
		MultiArch: e.MultiArch, Maintainer: e.Maintainer, OriginalMaintainer: e.OriginalMaintainer,
		InstalledSizeKiB: e.InstalledSize, Size: e.Size,
		Filename: e.Filename, MD5sum: e.MD5sum, SHA256: e.SHA256,
		Homepage: e.Homepage, Description: e.Description, DescriptionMD5: e.DescriptionMD5, Tag: e.Tag,
		Depends: nilIfEmpty(e.Depends), PreDepends: nilIfEmpty(e.PreDepends),
		Recommends: nilIfEmpty(e.Recommends), Suggests: nilIfEmpty(e.Suggests),
		Enhances: nilIfEmpty(e.Enhances), Conflicts: nilIfEmpty(e.Conflicts),
		Breaks: nilIfEmpty(e.Breaks), Provides: nilIfEmpty(e.Provides),
		Replaces: nilIfEmpty(e.Replaces), BuiltUsing: nilIfEmpty(e.BuiltUsing),
		StaticBuiltUsing: nilIfEmpty(e.StaticBuiltUsing),
	}
	if len(e.Extra) > 0 {
		r.Extra = e.Extra
	}
	// The version split follows dpkg's parseversion: epoch before the first
	// colon, revision after the last hyphen.
	r.Format = "deb"
	v := e.Version
	if i := strings.IndexByte(v, ':'); i >= 0 {
		if n, err := strconv.ParseInt(v[:i], 10, 64); err == nil {
			r.Epoch = &n
		}
		v = v[i+1:]
	}
	if i := strings.LastIndexByte(v, '-'); i >= 0 {
		v, r.Revision = v[:i], v[i+1:]
	}
	r.UpstreamVersion = v
	return r
}

// ExpectedFile is one file the Release lists, by its SHA256 section.
type ExpectedFile struct {
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// ExpectedRelease is the fixture's Release as python3-apt read it.
type ExpectedRelease struct {
	Origin        string   `json:"origin"`
	Label         string   `json:"label"`
	Suite         string   `json:"suite"`
	Codename      string   `json:"codename"`
	DateText      string   `json:"date"`
	ValidUntilRaw string   `json:"valid_until"`
	Architectures []string `json:"architectures"`
	Components    []string `json:"components"`
	AcquireByHash bool     `json:"acquire_by_hash"`
	// SHA256 is the hash of the Release file (= the signed text of InRelease).
	SHA256 string `json:"sha256"`
	// Files maps each path the Release lists ("main/binary-amd64/Packages.gz")
	// to its size and SHA256.
	Files map[string]ExpectedFile `json:"files"`
	// Date and ValidUntil are DateText and ValidUntilRaw parsed.
	Date       time.Time `json:"-"`
	ValidUntil time.Time `json:"-"`
}

type expectedFile struct {
	Release ExpectedRelease          `json:"release"`
	Indexes map[string][]ExpectedRow `json:"indexes"`
}

func readExpected(t testing.TB) expectedFile {
	t.Helper()
	data, err := os.ReadFile(Path(t, "expected.json"))
	if err != nil {
		t.Fatalf("formatstest: %v", err)
	}
	var e expectedFile
	if err := json.Unmarshal(data, &e); err != nil {
		t.Fatalf("formatstest: expected.json: %v", err)
	}
	for _, f := range []struct {
		text string
		dst  *time.Time
	}{{e.Release.DateText, &e.Release.Date}, {e.Release.ValidUntilRaw, &e.Release.ValidUntil}} {
		tm, err := time.Parse(time.RFC1123, f.text)
		if err != nil {
			t.Fatalf("formatstest: expected.json: release date %q: %v", f.text, err)
		}
		*f.dst = tm.UTC()
	}
	return e
}

// Expected returns the golden rows of every index, keyed "main/amd64" etc.,
// each list in the order of its Packages file.
func Expected(t testing.TB) map[string][]ExpectedRow {
	t.Helper()
	return readExpected(t).Indexes
}

// Release returns what python3-apt read from the fixture's Release.
func Release(t testing.TB) ExpectedRelease {
	t.Helper()
	return readExpected(t).Release
}

// ParsePackages reads an apt Packages file as rows of the packages table
// in component and index architecture indexArch.
func ParsePackages(t testing.TB, path, component, indexArch string) []datasets.PackageRow {
	t.Helper()
	return Rows(t, repo.FormatApt, path, repo.Index{Component: component, Architecture: indexArch})
}

// Rows reads a local index file of format f — decompressed first when its
// name ends in a compression suffix and the format reads plain text (apt's
// Packages, rpm-md's primary.xml); APKINDEX and pacman databases are read
// as served — through the format's own Parse, as rows of the packages table
// of index ix (its component, architecture and format-specific Extra).
func Rows(t testing.TB, f repo.Format, path string, ix repo.Index) []datasets.PackageRow {
	t.Helper()
	src, err := formats.For(f)
	if err != nil {
		t.Fatal(err)
	}
	file, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	var r io.Reader = file
	if f == repo.FormatApt || f == repo.FormatRPMMD {
		c := repo.Compression(strings.TrimPrefix(filepath.Ext(path), "."))
		if _, err := repo.ParseCompressionOrder(string(c)); err == nil && c != "" {
			dr, done, err := repo.Decompressor(c, file)
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			defer done()
			r = dr
		}
	}
	var rows []datasets.PackageRow
	err = src.Parse(context.Background(), r, path, ix, func(r *datasets.PackageRow) error {
		row := *r
		row.Component, row.IndexArchitecture = ix.Component, ix.Architecture
		rows = append(rows, row)
		return nil
	})
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return rows
}
