package rpm

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// seedPackages adds the fixture document to a fuzz corpus as documents of
// one package each: the whole document is long enough that minimizing each
// new interesting input (up to a minute by default) would take most of a
// short fuzzing run.
func seedPackages(f *testing.F, doc string) {
	head := doc[:strings.Index(doc, "<package")]
	tail := doc[strings.LastIndex(doc, "</package>")+len("</package>"):]
	rest := doc[len(head):]
	for {
		i := strings.Index(rest, "</package>")
		if i < 0 {
			break
		}
		one := rest[:i+len("</package>")]
		rest = rest[i+len("</package>"):]
		f.Add([]byte(head + one + tail))
	}
}

func FuzzPrimaryReader(f *testing.F) {
	seedPackages(f, fixturePrimary(f))
	f.Add([]byte(`<metadata packages="1"><package><name>a</name><arch>noarch</arch><version epoch="0" ver="1" rel="1"/>` +
		`<checksum type="sha">` + strings.Repeat("A", 40) + `</checksum><location href="a.rpm"/><format>` +
		`<rpm:sourcerpm>a-1-1.src.rpm</rpm:sourcerpm><rpm:requires><rpm:entry name="b" flags="LT" epoch="1" ver="2" pre="1"/>` +
		`</rpm:requires><file type="dir">/etc/a</file></format></package></metadata>`))
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, opts := range [][]Option{nil, {WithPrimaryFiles()}} {
			r := NewPrimaryReader(bytes.NewReader(in), "fuzz", opts...)
			for calls := 0; ; calls++ {
				if calls > len(in)+1 {
					t.Fatalf("%d calls to Next on %d bytes: no progress", calls, len(in))
				}
				p, err := r.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					var pe *ParseError
					if !errors.As(err, &pe) || pe.Line < 1 || !strings.HasPrefix(err.Error(), "rpmmd: fuzz line ") {
						t.Fatalf("error %q is not a *ParseError naming a line", err)
					}
					if r.s.err != nil {
						if _, again := r.Next(); again != r.s.err {
							t.Fatalf("final error %v, then %v", r.s.err, again)
						}
						break
					}
					continue
				}
				checkPackage(t, p)
			}
		}
	})
}

// checkPackage checks what every package a reader returns must satisfy.
func checkPackage(t *testing.T, p *Package) {
	t.Helper()
	if p.Name == "" || p.Arch == "" || p.Location == "" || p.SourceName == "" || p.SourceVersion == "" {
		t.Fatalf("incomplete package %+v", p)
	}
	if err := checkPackageEVR(p.Version); err != nil {
		t.Fatalf("package %s with version %+v: %v", p.Name, p.Version, err)
	}
	if c, err := checkChecksum(p.Checksum.Type, p.Checksum.Value); err != nil || c != p.Checksum {
		t.Fatalf("package %s with checksum %+v: %v", p.Name, p.Checksum, err)
	}
	for _, deps := range [][]Dependency{p.Provides, p.Requires, p.Conflicts, p.Obsoletes,
		p.Recommends, p.Suggests, p.Supplements, p.Enhances} {
		for _, d := range deps {
			if d.Name == "" || checkEpoch(d.Epoch) != nil || (d.Flags != NoFlags && d.Version == "") {
				t.Fatalf("package %s: dependency %+v", p.Name, d)
			}
			if _, err := parseFlags(string(d.Flags)); err != nil {
				t.Fatalf("package %s: dependency %+v", p.Name, d)
			}
			if !strings.HasPrefix(d.String(), d.Name) {
				t.Fatalf("dependency %+v renders as %q", d, d.String())
			}
		}
	}
	for _, d := range p.Provides {
		if d.Pre {
			t.Fatalf("package %s: pre on a provide", p.Name)
		}
	}
}

func FuzzFilelistsReader(f *testing.F) {
	seedPackages(f, fixtureFilelists(f))
	f.Fuzz(func(t *testing.T, in []byte) {
		r := NewFilelistsReader(bytes.NewReader(in), "fuzz")
		for calls := 0; ; calls++ {
			if calls > len(in)+1 {
				t.Fatalf("%d calls to Next on %d bytes: no progress", calls, len(in))
			}
			fl, err := r.Next()
			if err == io.EOF {
				return
			}
			if err != nil {
				var pe *ParseError
				if !errors.As(err, &pe) || pe.Line < 1 || !strings.HasPrefix(err.Error(), "rpmmd: fuzz line ") {
					t.Fatalf("error %q is not a *ParseError naming a line", err)
				}
				if r.s.err != nil {
					return
				}
				continue
			}
			if fl.Name == "" || !isHexChecksum(fl.PkgID) || checkPackageEVR(fl.Version) != nil {
				t.Fatalf("file list %+v", fl)
			}
			for _, f := range fl.Files {
				if f.Path == "" {
					t.Fatalf("file list %s with an empty path", fl.Name)
				}
			}
		}
	})
}

func FuzzParseRepomd(f *testing.F) {
	paths, err := filepath.Glob("testdata/variants/*/repodata/repomd.xml")
	if err != nil || len(paths) == 0 {
		f.Fatalf("no fixture repomd.xml: %v", err)
	}
	for _, p := range append(paths, filepath.Join(fixtureRepo, "repodata", "repomd.xml")) {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		md, err := ParseRepomd(bytes.NewReader(in), "fuzz")
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Line < 1 || !strings.HasPrefix(err.Error(), "rpmmd: fuzz line ") {
				t.Fatalf("error %q is not a *ParseError naming a line", err)
			}
			return
		}
		seen := map[string]bool{}
		for _, d := range md.Data {
			if d.Type == "" || d.Location == "" || strings.HasSuffix(d.Type, "_zck") || seen[d.Type] {
				t.Fatalf("record %+v", d)
			}
			seen[d.Type] = true
			if c, err := checkChecksum(d.Checksum.Type, d.Checksum.Value); err != nil || c != d.Checksum {
				t.Fatalf("record %s checksum %+v: %v", d.Type, d.Checksum, err)
			}
			if d.OpenChecksum != (Checksum{}) {
				if _, err := checkChecksum(d.OpenChecksum.Type, d.OpenChecksum.Value); err != nil {
					t.Fatalf("record %s open-checksum %+v: %v", d.Type, d.OpenChecksum, err)
				}
			}
			if d.Size < -1 || d.OpenSize < -1 || d.DatabaseVersion < 0 {
				t.Fatalf("record %+v", d)
			}
		}
		if p, ok := md.Primary(); ok && p.Type != "primary" && p.Type != "primary_db" {
			t.Fatalf("Primary() = %s", p.Type)
		}
	})
}
