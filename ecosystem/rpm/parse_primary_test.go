package rpm

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/distroscope/distroscope/ecosystem"
	"github.com/distroscope/distroscope/ecosystem/rpm/rpmtest"
)

// diffPackage lists the fields in which got differs from want, ignoring
// those the oracle cannot know (checked separately by the callers).
func diffPackage(want, got Package) []string {
	var diffs []string
	wv, gv := reflect.ValueOf(want), reflect.ValueOf(got)
	for i := 0; i < wv.NumField(); i++ {
		name := wv.Type().Field(i).Name
		switch name {
		case "FileTime", "HeaderStart", "HeaderEnd", "Line", "Checksum":
			continue
		}
		if !reflect.DeepEqual(wv.Field(i).Interface(), gv.Field(i).Interface()) {
			diffs = append(diffs, fmt.Sprintf("%s = %#v, want %#v", name, gv.Field(i).Interface(), wv.Field(i).Interface()))
		}
	}
	return diffs
}

// TestVariantsYieldIdenticalPackages reads every variant that offers
// primary.xml and expects the packages of the default variant, but for the
// pkgid of the sha512 and sha1 variants, which must be the hash of the
// package file. (Package primarydb does the same for the sqlite form;
// repo/formats checks the rows of each checksum type.)
func TestVariantsYieldIdenticalPackages(t *testing.T) {
	vs := xmlVariants(t)
	if len(vs) < 6 {
		t.Fatalf("%d variants with primary.xml", len(vs))
	}
	want := readVariant(t, vs[0])
	for _, v := range vs {
		t.Run(v.name, func(t *testing.T) {
			pkgs := readVariant(t, v)
			if len(pkgs) != len(want) {
				t.Fatalf("%d packages, want %d", len(pkgs), len(want))
			}
			for i, p := range pkgs {
				if p.Checksum.Type == "sha256" {
					if p.Checksum != want[i].Checksum {
						t.Errorf("%s: pkgid %+v, want %+v", p.Name, p.Checksum, want[i].Checksum)
					}
				} else {
					data, err := os.ReadFile(filepath.Join(fixtureRepo, p.Location))
					if err != nil {
						t.Fatal(err)
					}
					if p.Checksum.Value != hashOf(t, p.Checksum.Type, data) {
						t.Errorf("%s: %s pkgid %s is not the file's", p.Name, p.Checksum.Type, p.Checksum.Value)
					}
				}
				for _, d := range diffPackage(want[i], p) {
					t.Errorf("package %d (%s): %s", i, p.Name, d)
				}
			}
		})
	}
}

func TestPrimaryFiles(t *testing.T) {
	doc := rpmtest.Load(t)
	md := readRepomdFile(t, fixtureRepo)
	rec, _ := md.Find("primary")
	n := 0
	for _, p := range readPackages(t, NewPrimaryReader(openRecord(t, fixtureRepo, rec), rec.Location, WithPrimaryFiles())) {
		for _, o := range doc.Packages {
			if o.Location != p.Location {
				continue
			}
			var want []File
			for _, f := range expectedPackage(t, doc, o).Files {
				if rpmtest.IsPrimaryFile(f.Path) {
					want = append(want, f)
				}
			}
			n += len(want)
			if !reflect.DeepEqual(p.Files, want) {
				t.Errorf("%s: files %+v, want %+v", p.Name, p.Files, want)
			}
		}
	}
	if n == 0 {
		t.Fatal("no package of the fixture has a primary file")
	}
}

// TestPrimaryDefaultSkipsFiles checks that primary's <file> entries stay
// out of the packages unless asked for.
func TestPrimaryDefaultSkipsFiles(t *testing.T) {
	text := fixturePrimary(t)
	if !strings.Contains(text, "<file>") {
		t.Fatal("fixture primary lists no file")
	}
	for _, p := range readPackages(t, NewPrimaryReader(strings.NewReader(text), "primary.xml")) {
		if len(p.Files) != 0 {
			t.Errorf("%s: files %v", p.Name, p.Files)
		}
	}
}

// fixturePrimary returns the default variant's primary.xml, decompressed.
func fixturePrimary(t testing.TB) string {
	t.Helper()
	md := readRepomdFile(t, fixtureRepo)
	rec, ok := md.Find("primary")
	if !ok {
		t.Fatal("no primary")
	}
	data, err := io.ReadAll(openRecord(t, fixtureRepo, rec))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// replaceOnce replaces the first old in s, failing if there is none.
func replaceOnce(t testing.TB, s, old, new string) string {
	t.Helper()
	if !strings.Contains(s, old) {
		t.Fatalf("fixture has no %q", old)
	}
	return strings.Replace(s, old, new, 1)
}

// TestPrimaryCorrupt damages the fixture primary.xml in one way each and
// expects a *ParseError naming the file, the line, and where it can, the
// package and element.
func TestPrimaryCorrupt(t *testing.T) {
	good := fixturePrimary(t)
	n := strings.Count(good, "<package ")
	firstPkg := "caret-pkg" // the first package of the fixture primary
	if !strings.Contains(good[:strings.Index(good, "</package>")], "<name>"+firstPkg+"</name>") {
		t.Fatalf("the first package of the fixture is not %s", firstPkg)
	}
	count := fmt.Sprintf(`packages="%d"`, n)
	tests := []struct {
		name    string
		input   string
		want    error
		element string // the *ParseError's Element, when it names one
		pkg     string
		// recovers: the error is about one package, and the others are
		// still read.
		recovers bool
	}{
		{name: "truncated in a tag", input: good[:len(good)/2], want: ErrSyntax},
		{name: "truncated before </metadata>", input: good[:strings.LastIndex(good, "</metadata>")], want: ErrSyntax, element: "metadata"},
		{name: "truncated between packages", input: good[:strings.Index(good, "</package>")+len("</package>\n")], want: ErrSyntax, element: "metadata"},
		{name: "count too high", input: replaceOnce(t, good, count, fmt.Sprintf(`packages="%d"`, n+1)), want: ErrCount, element: "metadata"},
		{name: "count too low", input: replaceOnce(t, good, count, fmt.Sprintf(`packages="%d"`, n-1)), want: ErrCount, element: "metadata"},
		{name: "count not a number", input: replaceOnce(t, good, count, `packages="many"`), want: ErrSyntax, element: "metadata@packages"},
		{name: "unknown checksum type", input: replaceOnce(t, good, `<checksum type="sha256"`, `<checksum type="sha257"`),
			want: ErrChecksum, element: "checksum", pkg: firstPkg, recovers: true},
		{name: "checksum not hex", input: replaceOnce(t, good, `pkgid="YES">`, `pkgid="YES">zz`),
			want: ErrChecksum, element: "checksum", pkg: firstPkg, recovers: true},
		{name: "epoch not a number", input: replaceOnce(t, good, `<version epoch="0"`, `<version epoch="x"`),
			want: ErrVersion, element: "version", pkg: firstPkg, recovers: true},
		{name: "empty ver", input: replaceOnce(t, good, `<version epoch="0" ver="2.0^20230101git1234"`, `<version epoch="0" ver=""`),
			want: ErrVersion, element: "version", pkg: firstPkg, recovers: true},
		{name: "hyphen in ver", input: replaceOnce(t, good, `ver="2.0^20230101git1234" rel="1"/>`, `ver="2.0-1" rel="1"/>`),
			want: ErrVersion, element: "version", pkg: firstPkg, recovers: true},
		{name: "space in rel", input: replaceOnce(t, good, `ver="2.0^20230101git1234" rel="1"/>`, `ver="2.0" rel="1 2"/>`),
			want: ErrVersion, element: "version", pkg: firstPkg, recovers: true},
		{name: "version element twice", input: replaceOnce(t, good, `<version epoch="0"`, `<version epoch="0" ver="1"/><version epoch="0"`),
			want: ErrDuplicate, element: "version", pkg: firstPkg, recovers: true},
		{name: "unknown flags", input: replaceOnce(t, good, `flags="EQ"`, `flags="EQUAL"`),
			want: ErrVersion, element: "rpm:entry", pkg: firstPkg, recovers: true},
		{name: "flags without ver", input: replaceOnce(t, good, `flags="GE" epoch="0" ver="1.0"`, `flags="GE"`),
			want: ErrVersion, element: "rpm:entry", recovers: true},
		{name: "entry without name", input: replaceOnce(t, good, `<rpm:entry name="caret-pkg"`, `<rpm:entry`),
			want: ErrMissing, element: "rpm:entry", pkg: firstPkg, recovers: true},
		{name: "no location", input: replaceOnce(t, good, `<location href="Packages/caret`, `<location xhref="Packages/caret`),
			want: ErrMissing, element: "location", pkg: firstPkg, recovers: true},
		{name: "no name", input: replaceOnce(t, good, `<name>caret-pkg</name>`, ``),
			want: ErrMissing, element: "name", recovers: true},
		{name: "bad source rpm", input: replaceOnce(t, good, `<rpm:sourcerpm>caret-pkg-2.0^20230101git1234-1.src.rpm<`, `<rpm:sourcerpm>caret.src.rpm<`),
			want: ErrVersion, element: "rpm:sourcerpm", pkg: firstPkg, recovers: true},
		{name: "negative size", input: replaceOnce(t, good, `<size package="`, `<size package="-`),
			want: ErrSyntax, element: "size@package", pkg: firstPkg, recovers: true},
		{name: "mismatched end tag", input: replaceOnce(t, good, `</summary>`, `</summery>`), want: ErrSyntax, element: "summary", pkg: firstPkg},
		{name: "undefined entity", input: replaceOnce(t, good, `<summary>`, `<summary>&nbsp;`), want: ErrSyntax, element: "summary", pkg: firstPkg},
		{name: "element in text", input: replaceOnce(t, good, `<summary>`, `<summary><b/>`), want: ErrSyntax, element: "summary", pkg: firstPkg, recovers: true},
		{name: "wrong root", input: strings.ReplaceAll(strings.ReplaceAll(good, "<metadata ", "<metadatum "), "</metadata>", "</metadatum>"), want: ErrSyntax, element: "metadatum"},
		{name: "second root", input: good + "<metadata/>", want: ErrSyntax, element: "metadata"},
		{name: "text after root", input: good + "x", want: ErrSyntax},
		{name: "latin-1", input: replaceOnce(t, good, `encoding="UTF-8"`, `encoding="ISO-8859-1"`), want: ErrSyntax},
		{name: "empty", input: "", want: ErrSyntax},
		{name: "oversized description", input: replaceOnce(t, good, `<description>`, "<description>"+strings.Repeat("x", MaxTextSize+1)),
			want: ErrTooLarge, element: "description", pkg: firstPkg, recovers: true},
		{name: "oversized package", input: replaceOnce(t, good, `<rpm:provides>`, "<rpm:provides>"+
			strings.Repeat(`<rpm:entry name="padding-to-make-a-package-larger-than-its-limit`+strings.Repeat("-", 1000)+`"/>`, MaxPackageSize/1000)),
			want: ErrTooLarge, element: "rpm:provides", pkg: firstPkg},
		// Each list is bounded in entries, so that a package's memory is
		// bounded however small its entries.
		{name: "too many entries", input: replaceOnce(t, good, `<rpm:provides>`, "<rpm:provides>"+
			strings.Repeat(`<rpm:entry name="p"/>`, MaxEntries+1)),
			want: ErrTooMany, element: "rpm:provides", pkg: firstPkg, recovers: true},
		// Names and versions must be rpm's: ASCII (XML already refuses
		// what is not UTF-8; these are UTF-8 but not ASCII).
		{name: "name not ASCII", input: replaceOnce(t, good, `<name>caret-pkg</name>`, "<name>caret-pkg\u00e9</name>"),
			want: ErrName, element: "name", recovers: true},
		{name: "name with a slash", input: replaceOnce(t, good, `<name>caret-pkg</name>`, "<name>caret/pkg</name>"),
			want: ErrName, element: "name", recovers: true},
		{name: "rel not ASCII", input: replaceOnce(t, good, `ver="2.0^20230101git1234" rel="1"/>`, "ver=\"2.0\" rel=\"1\u00e9\"/>"),
			want: ErrVersion, element: "version", pkg: firstPkg, recovers: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const file = "repodata/primary.xml"
			r := NewPrimaryReader(strings.NewReader(tt.input), file)
			var firstErr error
			read, errs := 0, 0
			for calls := 0; calls < 2*n+4; calls++ {
				_, err := r.Next()
				if err == io.EOF {
					break
				}
				if err == nil {
					read++
					continue
				}
				errs++
				if firstErr == nil {
					firstErr = err
				}
				if !tt.recovers {
					// Final: the same error again.
					if _, again := r.Next(); again != err {
						t.Errorf("second call after a final error: %v, want %v", again, err)
					}
					break
				}
			}
			if firstErr == nil {
				t.Fatalf("no error; %d packages read", read)
			}
			var pe *ParseError
			if !errors.As(firstErr, &pe) || !errors.Is(firstErr, tt.want) {
				t.Fatalf("error %v (%T), want a *ParseError wrapping %v", firstErr, firstErr, tt.want)
			}
			if pe.File != file || !strings.HasPrefix(firstErr.Error(), "rpmmd: "+file+" line ") || pe.Line < 1 {
				t.Errorf("error %q does not name the file and line", firstErr)
			}
			if tt.element != "" && pe.Element != tt.element {
				t.Errorf("error %q names element %q, want %q", firstErr, pe.Element, tt.element)
			}
			if tt.pkg != "" && pe.Package != tt.pkg {
				t.Errorf("error %q names package %q, want %q", firstErr, pe.Package, tt.pkg)
			}
			if tt.recovers && (errs != 1 || read != n-1) {
				t.Errorf("%d errors and %d packages read, want 1 and %d", errs, read, n-1)
			}
		})
	}
}

// failingReader returns its data, then err.
type failingReader struct {
	data []byte
	err  error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

// TestPrimaryErrorsBounded: a hostile value is quoted, cut and measured in
// the message rather than printed whole.
func TestPrimaryErrorsBounded(t *testing.T) {
	good := fixturePrimary(t)
	huge := strings.Repeat("9", 120<<10)
	for name, input := range map[string]string{
		"huge rel":      replaceOnce(t, good, `ver="2.0^20230101git1234" rel="1"/>`, `ver="2.0" rel="1 `+huge+`"/>`),
		"huge name":     replaceOnce(t, good, `<name>caret-pkg</name>`, "<name>caret/"+huge+"</name>"),
		"huge epoch":    replaceOnce(t, good, `<version epoch="0"`, `<version epoch="x`+huge+`"`),
		"huge flags":    replaceOnce(t, good, `flags="EQ"`, `flags="`+huge+`"`),
		"huge checksum": replaceOnce(t, good, `pkgid="YES">`, `pkgid="YES">`+huge+"z"),
		"huge count":    replaceOnce(t, good, `packages="`, `packages="x`+huge),
		"huge size":     replaceOnce(t, good, `<size package="`, `<size package="-`+huge),
		"huge srpm":     replaceOnce(t, good, `<rpm:sourcerpm>caret-pkg-2.0^20230101git1234-1.src.rpm<`, `<rpm:sourcerpm>`+huge+`.src.rpm<`),
	} {
		t.Run(name, func(t *testing.T) {
			r := NewPrimaryReader(strings.NewReader(input), "primary.xml")
			var err error
			for err == nil {
				_, err = r.Next()
			}
			if err == io.EOF {
				t.Fatal("no error")
			}
			if msg := err.Error(); len(msg) > 400 || strings.Contains(msg, strings.Repeat("9", ecosystem.QuoteLimit+1)) {
				t.Errorf("error is %d bytes and quotes the value whole: %.500s", len(msg), msg)
			}
		})
	}
}

func TestPrimaryReaderFailure(t *testing.T) {
	good := fixturePrimary(t)
	boom := errors.New("connection reset")
	r := NewPrimaryReader(&failingReader{data: []byte(good[:len(good)/2]), err: boom}, "primary.xml")
	var err error
	for err == nil {
		_, err = r.Next()
	}
	if !errors.Is(err, boom) || errors.As(err, new(*ParseError)) {
		t.Fatalf("error %v: want the reader's error, not a *ParseError", err)
	}
}

// TestPrimaryUnknownElements checks that elements rpm-md may grow (or
// other generators add) are skipped, wherever they are.
func TestPrimaryUnknownElements(t *testing.T) {
	good := fixturePrimary(t)
	want := readPackages(t, NewPrimaryReader(strings.NewReader(good), "primary.xml"))
	extended := strings.ReplaceAll(good, "<format>", `<format><suse:keyword xmlns:suse="x">a<b/></suse:keyword><rpm:future a="1"><rpm:entry name="x"/></rpm:future>`)
	extended = strings.ReplaceAll(extended, "<name>", "<!-- c --><extra>text</extra><name>")
	extended = replaceOnce(t, extended, "<package ", "<other><package/></other><package ")
	got := readPackages(t, NewPrimaryReader(strings.NewReader(extended), "primary.xml"))
	if len(got) != len(want) {
		t.Fatalf("%d packages, want %d", len(got), len(want))
	}
	for i := range want {
		want[i].Line, got[i].Line = 0, 0
		if d := diffPackage(want[i], got[i]); len(d) > 0 {
			t.Errorf("%s: %v", want[i].Name, d)
		}
	}
}

func TestPrimaryNoCount(t *testing.T) {
	good := fixturePrimary(t)
	n := strings.Count(good, "<package ")
	text := replaceOnce(t, good, fmt.Sprintf(` packages="%d"`, n), "")
	if got := len(readPackages(t, NewPrimaryReader(strings.NewReader(text), ""))); got != n {
		t.Fatalf("%d packages, want %d", got, n)
	}
}

func TestPrimaryLimitsAreStreaming(t *testing.T) {
	// Many packages, each under the per-package limit, whose sum is far
	// over it: the budget is per package, not per document.
	good := fixturePrimary(t)
	start := strings.Index(good, "<package ")
	end := strings.Index(good, "</package>") + len("</package>\n")
	one := good[start:end]
	copies := MaxPackageSize/len(one) + 10
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	fmt.Fprintf(&b, `<metadata xmlns="http://linux.duke.edu/metadata/common" xmlns:rpm="http://linux.duke.edu/metadata/rpm" packages="%d">`+"\n", copies)
	for range copies {
		b.WriteString(one)
	}
	b.WriteString("</metadata>\n")
	if b.Len() <= MaxPackageSize {
		t.Fatalf("document of %d bytes is not over the per-package limit", b.Len())
	}
	if got := len(readPackages(t, NewPrimaryReader(&b, ""))); got != copies {
		t.Fatalf("%d packages, want %d", got, copies)
	}
}
