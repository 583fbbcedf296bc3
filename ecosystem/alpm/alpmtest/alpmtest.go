// Package alpmtest reads the pacman fixture's oracles — each package's
// .PKGINFO as makepkg wrote it, pacman -Qip of the file and its file list
// (ecosystem/alpm/testdata, made by make-repo.sh) — for the tests of the
// pacman database reader and of the rows repo/formats maps its packages
// to. It knows nothing of the reader's types, so both can use it.
package alpmtest

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// Testdata is the absolute path of ecosystem/alpm/testdata.
func Testdata(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("alpmtest: cannot locate its own source file")
	}
	return filepath.Join(filepath.Dir(file), "..", "testdata")
}

// PkgInfo is a package's .PKGINFO as bsdtar extracted it (make-repo.sh):
// "key = value" lines, repeated keys for lists. It is the oracle: makepkg
// wrote it, repo-add copied it into the database.
type PkgInfo map[string][]string

// One is the first value of key k, "" when there is none.
func (p PkgInfo) One(k string) string {
	if v := p[k]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func readPkgInfo(t testing.TB, path string) PkgInfo {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	info := PkgInfo{}
	for _, line := range strings.Split(string(data), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, " = ")
		if !ok {
			k, v, ok = strings.Cut(line, " =") // "url = " with nothing after it
		}
		if !ok {
			t.Fatalf("%s: bad line %q", path, line)
		}
		info[k] = append(info[k], v)
	}
	return info
}

// pacmanQip reads "Key : value" lines of pacman -Qip output.
func pacmanQip(t testing.TB, path string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(line, " : "); ok && !strings.HasPrefix(k, " ") {
			out[strings.TrimSpace(k)] = v
		}
	}
	return out
}

// Package is what the oracles say about one package file.
type Package struct {
	File  string // the name in %FILENAME%
	Path  string // the copy under pkgs/ (':' spelled %3A)
	Info  PkgInfo
	Qip   map[string]string // pacman -Qip of the file
	Files []string          // its file list
	Data  []byte            // the package file itself
}

// Load reads every fixture package's oracles, by package name.
func Load(t testing.TB) map[string]*Package {
	t.Helper()
	dir := Testdata(t)
	paths, err := filepath.Glob(filepath.Join(dir, "pkgs", "*.pkg.tar.zst"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no fixture packages: %v", err)
	}
	out := map[string]*Package{}
	for _, path := range paths {
		base := filepath.Base(path)
		fp := &Package{File: strings.ReplaceAll(base, "%3A", ":"), Path: path}
		fp.Info = readPkgInfo(t, filepath.Join(dir, "expected", base+".PKGINFO"))
		fp.Qip = pacmanQip(t, filepath.Join(dir, "expected", base+".pacman-Qip"))
		list, err := os.ReadFile(filepath.Join(dir, "expected", base+".files"))
		if err != nil {
			t.Fatal(err)
		}
		fp.Files = strings.Fields(string(list))
		if fp.Data, err = os.ReadFile(path); err != nil {
			t.Fatal(err)
		}
		out[fp.Info.One("pkgname")] = fp
	}
	return out
}
