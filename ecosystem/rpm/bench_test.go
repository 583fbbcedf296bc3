package rpm

import (
	"bufio"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distroscope/distroscope/internal/benchdata"

	"github.com/distroscope/distroscope/ecosystem/deb"
)

// writeDebianAsPrimary renders the machine's Debian index as an rpm-md
// primary.xml of the same size in packages: each stanza becomes a package
// with its name, architecture (amd64 as x86_64, all as noarch), version
// (split into epoch, ver and rel; characters rpm forbids in a version
// replaced by "_"), checksum, sizes, location, summary, section as group,
// source as sourcerpm, and its relationships as entries (Depends as
// requires and Pre-Depends as requires pre="1", Breaks with Conflicts,
// alternatives as rich "(a or b)" dependencies). What Debian has no
// counterpart for (license, build host, times, header range) is left empty
// or 0, so the document is smaller than a Fedora primary of as many
// packages (no long descriptions, no file entries): the figure is a parse
// rate, to compare with the deb reader on the same packages.
func writeDebianAsPrimary(tb testing.TB) (path string, packages int) {
	tb.Helper()
	index, _ := benchdata.DebianIndex(tb)
	path = filepath.Join(tb.TempDir(), "primary.xml")
	out, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer out.Close()
	w := bufio.NewWriterSize(out, 1<<20)
	var body strings.Builder
	pr := deb.NewPackagesReader(index, "Packages")
	for {
		p, err := pr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			tb.Fatal(err)
		}
		writePackage(tb, &body, p)
		packages++
	}
	fmt.Fprintf(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<metadata xmlns=\"http://linux.duke.edu/metadata/common\" xmlns:rpm=\"http://linux.duke.edu/metadata/rpm\" packages=\"%d\">\n", packages)
	w.WriteString(body.String())
	w.WriteString("</metadata>\n")
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	return path, packages
}

var rpmUnsafe = strings.NewReplacer("-", "_", ":", "_")

// rpmEVR maps a Debian version to rpm's epoch, ver and rel.
func rpmEVR(v string) (epoch, ver, rel string) {
	e, _, upstream, revision := deb.SplitVersion(v)
	if revision == "" {
		revision = "0"
	}
	return fmt.Sprint(e), rpmUnsafe.Replace(upstream), rpmUnsafe.Replace(revision)
}

func writePackage(tb testing.TB, b *strings.Builder, p *deb.Package) {
	text := func(s string) {
		if err := xml.EscapeText(b, []byte(s)); err != nil {
			tb.Fatal(err)
		}
	}
	arch := map[string]string{"amd64": "x86_64", "all": "noarch"}[p.Architecture]
	if arch == "" {
		arch = p.Architecture
	}
	e, v, r := rpmEVR(p.Version)
	b.WriteString("<package type=\"rpm\">\n  <name>")
	text(p.Package)
	b.WriteString("</name>\n  <arch>" + arch + "</arch>\n")
	fmt.Fprintf(b, "  <version epoch=%q ver=%q rel=%q/>\n", e, v, r)
	fmt.Fprintf(b, "  <checksum type=\"sha256\" pkgid=\"YES\">%s</checksum>\n  <summary>", p.SHA256)
	text(p.Description)
	b.WriteString("</summary>\n  <description>")
	text(p.Description)
	b.WriteString("</description>\n  <packager>")
	text(p.Maintainer)
	b.WriteString("</packager>\n  <url>")
	text(p.Homepage)
	b.WriteString("</url>\n  <time file=\"0\" build=\"0\"/>\n")
	fmt.Fprintf(b, "  <size package=\"%d\" installed=\"%d\" archive=\"0\"/>\n  <location href=", p.Size, p.InstalledSize*1024)
	xmlAttr(tb, b, p.Filename)
	b.WriteString("/>\n  <format>\n    <rpm:license></rpm:license>\n    <rpm:vendor></rpm:vendor>\n    <rpm:group>")
	text(p.Section)
	b.WriteString("</rpm:group>\n    <rpm:buildhost></rpm:buildhost>\n    <rpm:sourcerpm>")
	_, sv, sr := rpmEVR(p.SourceVersion)
	text(p.Source + "-" + sv + "-" + sr + ".src.rpm")
	b.WriteString("</rpm:sourcerpm>\n    <rpm:header-range start=\"0\" end=\"0\"/>\n")
	entries(tb, b, "provides", p.Provides, nil)
	entries(tb, b, "requires", p.Depends, p.PreDepends)
	entries(tb, b, "conflicts", append(append([]string(nil), p.Conflicts...), p.Breaks...), nil)
	entries(tb, b, "obsoletes", p.Replaces, nil)
	entries(tb, b, "suggests", p.Suggests, nil)
	entries(tb, b, "enhances", p.Enhances, nil)
	entries(tb, b, "recommends", p.Recommends, nil)
	b.WriteString("  </format>\n</package>\n")
}

func xmlAttr(tb testing.TB, b *strings.Builder, s string) {
	b.WriteByte('"')
	if err := xml.EscapeText(b, []byte(s)); err != nil {
		tb.Fatal(err)
	}
	b.WriteByte('"')
}

var debOps = map[string]string{"<<": "LT", "<=": "LE", "=": "EQ", ">=": "GE", ">>": "GT", "<": "LE", ">": "GE"}

// entries writes one dependency list; pre clauses get pre="1".
func entries(tb testing.TB, b *strings.Builder, list string, clauses, pre []string) {
	if len(clauses)+len(pre) == 0 {
		return
	}
	b.WriteString("    <rpm:" + list + ">\n")
	for i, c := range append(append([]string(nil), pre...), clauses...) {
		rels, err := deb.ParseRelationClause(c)
		if err != nil {
			tb.Fatal(err)
		}
		b.WriteString("      <rpm:entry name=")
		if len(rels) > 1 {
			names := make([]string, len(rels))
			for k, r := range rels {
				names[k] = r.Name
			}
			xmlAttr(tb, b, "("+strings.Join(names, " or ")+")")
		} else {
			xmlAttr(tb, b, rels[0].Name)
			if rels[0].Op != "" {
				e, v, r := rpmEVR(rels[0].Version)
				fmt.Fprintf(b, " flags=%q epoch=%q ver=%q rel=%q", debOps[rels[0].Op], e, v, r)
			}
		}
		if i < len(pre) {
			b.WriteString(` pre="1"`)
		}
		b.WriteString("/>\n")
	}
	b.WriteString("    </rpm:" + list + ">\n")
}

func BenchmarkPrimaryReader(b *testing.B) {
	path, want := writeDebianAsPrimary(b)
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(st.Size())
	b.ReportAllocs()
	cpu0 := benchdata.ProcessCPUTime(b)
	for b.Loop() {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		pr := NewPrimaryReader(f, "primary.xml")
		n := 0
		for {
			_, err := pr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		f.Close()
		if n != want {
			b.Fatalf("%d packages, want %d", n, want)
		}
	}
	benchdata.ReportPackages(b, cpu0, st.Size(), want)
}

// TestDebianAsPrimary reads the whole generated document, so that the
// benchmark's input is known to be valid, and checks a sample of packages
// against the Debian index they were rendered from.
func TestDebianAsPrimary(t *testing.T) {
	if testing.Short() {
		t.Skip("reads the whole Debian index")
	}
	path, want := writeDebianAsPrimary(t)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pkgs := 0
	pre := 0
	pr := NewPrimaryReader(f, "primary.xml")
	for {
		p, err := pr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		pkgs++
		for _, d := range p.Requires {
			if d.Pre {
				pre++
			}
		}
		if p.Name == "" || p.Checksum.Value == "" || p.Location == "" || p.SourceName == "" {
			t.Fatalf("incomplete package %+v", p)
		}
	}
	if pkgs != want || pre == 0 {
		t.Fatalf("%d packages (want %d), %d pre requires", pkgs, want, pre)
	}
}
