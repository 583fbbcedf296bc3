// Package apktest holds the APKINDEX fixtures (ecosystem/apk/testdata,
// made by make-apkindex.sh) and the naive reading of their text that the
// tests of the APKINDEX reader and of the rows repo/formats maps its
// packages to are checked against. It knows nothing of the reader's types,
// so both can use it.
package apktest

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// Fixture is one archive make-apkindex.sh built, the APKINDEX text it was
// built from and the signature it was given.
type Fixture struct {
	Archive, Text string // absolute paths
	Algorithm     string // "" when unsigned
	Records       int
}

// FixtureKey names the key the signed fixtures are signed with, as their
// signature members and testdata/keys name it.
const FixtureKey = "distroscope-fixtures.rsa.pub"

// Testdata is the absolute path of ecosystem/apk/testdata.
func Testdata(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("apktest: cannot locate its own source file")
	}
	return filepath.Join(filepath.Dir(file), "..", "testdata")
}

// Fixtures lists the fixture archives.
func Fixtures(t testing.TB) []Fixture {
	dir := Testdata(t)
	out := []Fixture{
		{"alpine-3.18-aarch64.APKINDEX.tar.gz", "alpine-3.18-aarch64.APKINDEX", "RSA", 8},
		{"postmarketos-aarch64.APKINDEX.tar.gz", "postmarketos-aarch64.APKINDEX", "RSA256", 14},
		{"apk-tools-test.APKINDEX.tar.gz", "apk-tools-test.APKINDEX", "", 25},
	}
	for i := range out {
		out[i].Archive, out[i].Text = filepath.Join(dir, out[i].Archive), filepath.Join(dir, out[i].Text)
	}
	return out
}

// NaiveRecords splits an APKINDEX text the simplest way, as the oracle the
// reader is checked against: records at blank lines, fields at the first
// colon, repeated letters kept in order.
func NaiveRecords(t testing.TB, path string) []map[string][]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string][]string
	for _, rec := range strings.Split(strings.TrimSpace(string(data)), "\n\n") {
		m := map[string][]string{}
		for _, line := range strings.Split(rec, "\n") {
			k, v, ok := strings.Cut(line, ":")
			if !ok || len(k) != 1 {
				t.Fatalf("%s: bad line %q", path, line)
			}
			m[k] = append(m[k], v)
		}
		out = append(out, m)
	}
	return out
}
