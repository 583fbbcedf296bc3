package alpm

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/distroscope/distroscope/internal/benchdata"

	"github.com/distroscope/distroscope/ecosystem/deb"
)

// debianDatabase renders the machine's real Debian index into a pacman
// database of the same size: one directory and desc per package, with the
// fields a real database has, filled from the matching deb fields. The
// version becomes [epoch:]upstream-revision with hyphens and colons in
// upstream turned into underscores (pkgver cannot hold them) and the
// revision its leading number (pkgrel is one), relations keep their
// first alternative in pacman's spelling. It is a throughput test input,
// not a fixture.
func debianDatabase(tb testing.TB) ([]byte, int) {
	tb.Helper()
	index, _ := benchdata.DebianIndex(tb)
	pr := deb.NewPackagesReader(index, "Packages")
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	seen := map[string]bool{}
	var desc strings.Builder
	n := 0
	for {
		p, err := pr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			tb.Fatal(err)
		}
		if seen[p.Package] {
			continue
		}
		seen[p.Package] = true
		epoch, hasEpoch, upstream, revision := deb.SplitVersion(p.Version)
		revision = revision[:len(revision)-len(strings.TrimLeft(revision, "0123456789"))]
		if revision == "" {
			revision = "1"
		}
		version := strings.NewReplacer("-", "_", ":", "_").Replace(upstream) + "-" + revision
		if hasEpoch {
			version = strconv.FormatInt(epoch, 10) + ":" + version
		}
		desc.Reset()
		section := func(name string, values ...string) {
			if len(values) == 0 || len(values) == 1 && values[0] == "" {
				return
			}
			desc.WriteString("%" + name + "%\n")
			for _, v := range values {
				desc.WriteString(v + "\n")
			}
			desc.WriteString("\n")
		}
		section("FILENAME", p.Package+"-"+version+"-"+p.Architecture+".pkg.tar.zst")
		section("NAME", p.Package)
		section("BASE", p.Source)
		section("VERSION", version)
		section("DESC", p.Description)
		section("CSIZE", strconv.FormatInt(p.Size, 10))
		section("ISIZE", strconv.FormatInt(p.InstalledSize*1024, 10))
		section("MD5SUM", p.MD5sum)
		section("SHA256SUM", p.SHA256)
		section("URL", p.Homepage)
		section("ARCH", p.Architecture)
		section("PACKAGER", p.Maintainer)
		section("REPLACES", pacmanRelations(p.Replaces)...)
		section("CONFLICTS", pacmanRelations(append(p.Conflicts, p.Breaks...))...)
		section("PROVIDES", pacmanRelations(p.Provides)...)
		section("DEPENDS", pacmanRelations(append(p.PreDepends, p.Depends...))...)
		section("OPTDEPENDS", pacmanRelations(append(p.Recommends, p.Suggests...))...)
		dir := p.Package + "-" + version
		tw.WriteHeader(&tar.Header{Name: dir + "/", Mode: 0o755, Typeflag: tar.TypeDir})
		tw.WriteHeader(&tar.Header{Name: dir + "/desc", Mode: 0o644, Size: int64(desc.Len()), Typeflag: tar.TypeReg})
		io.WriteString(tw, desc.String())
		n++
	}
	if err := tw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes(), n
}

// pacmanRelations turns deb clauses ("libc6 (>= 2.36)", "a | b",
// "python3:any") into pacman's ("libc6>=2.36", "a", "python3").
func pacmanRelations(clauses []string) []string {
	var out []string
	for _, c := range clauses {
		c, _, _ = strings.Cut(c, " | ")
		name, rest, versioned := strings.Cut(c, " (")
		name, _, _ = strings.Cut(name, ":")
		if versioned {
			op, ver, _ := strings.Cut(strings.TrimSuffix(rest, ")"), " ")
			op = strings.NewReplacer(">>", ">", "<<", "<").Replace(op)
			name += op + ver
		}
		out = append(out, name)
	}
	return out
}

func BenchmarkDBReader(b *testing.B) {
	data, want := debianDatabase(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	cpu0 := benchdata.ProcessCPUTime(b)
	for b.Loop() {
		r := NewReader(bytes.NewReader(data), "debian.db")
		n := 0
		for {
			_, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != want {
			b.Fatalf("read %d packages, want %d", n, want)
		}
	}
	benchdata.ReportPackages(b, cpu0, int64(len(data)), want)
}

// TestDebianDatabase reads the whole rendered index, so that a reader that
// chokes on real-world values fails a test, not only the benchmark.
func TestDebianDatabase(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	data, want := debianDatabase(t)
	r := NewReader(bytes.NewReader(data), "debian.db")
	n := 0
	for {
		p, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if p.Name == "" || p.Version == "" {
			t.Fatalf("empty row for %+v", p)
		}
		n++
	}
	if n != want || n < 10000 {
		t.Fatalf("read %d packages, want %d (tens of thousands)", n, want)
	}
}
