package rpmdb

import (
	"testing"
)

// The fuzz targets check that no input makes a reader panic, loop or read
// out of bounds, and that every failure is a *ParseError. Seeds are the
// committed databases of real packages.

func checkFuzzErr(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if _, ok := err.(*ParseError); !ok {
		t.Fatalf("%T %v is not a *ParseError", err, err)
	}
}

func FuzzParseHeader(f *testing.F) {
	for _, r := range ndbRecords(f, fixture(f, "Packages.db")) {
		f.Add(r.blob)
	}
	f.Add(buildHeader([]testEntry{{tagName, typeString, 1, cstr("x")}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParseHeader(b)
		checkFuzzErr(t, err)
		if err == nil && p.Name == "" {
			t.Fatal("a header without a name parsed")
		}
	})
}

func FuzzReadBDB(f *testing.F) {
	for _, name := range []string{"Packages", "Packages-be-512", "Packages-chksum"} {
		f.Add(fixture(f, name))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		_, err := ReadBDB(b)
		checkFuzzErr(t, err)
	})
}

func FuzzReadNDB(f *testing.F) {
	f.Add(fixture(f, "Packages.db"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, err := ReadNDB(b)
		checkFuzzErr(t, err)
	})
}
