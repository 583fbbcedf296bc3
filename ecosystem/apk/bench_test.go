package apk

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/distroscope/distroscope/internal/benchdata"

	"github.com/distroscope/distroscope/ecosystem/deb"
)

// debianAPKINDEX renders the machine's real Debian index as an APKINDEX
// text of the same size, with the fields apk index writes, in its order,
// filled from the matching deb fields: C is Q2 and the base64 of the .deb's
// SHA-256, V the Debian version as a valid apk version (apkVersionLike) with
// "-r0" added, D the first alternative of Pre-Depends and Depends plus the
// Conflicts as "!name", in apk's spelling. A throughput test input, not a
// fixture.
func debianAPKINDEX(tb testing.TB) ([]byte, int) {
	tb.Helper()
	index, _ := benchdata.DebianIndex(tb)
	pr := deb.NewPackagesReader(index, "Packages")
	var b bytes.Buffer
	n := 0
	for {
		p, err := pr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			tb.Fatal(err)
		}
		sum, _ := hex.DecodeString(p.SHA256)
		field := func(letter, v string) {
			if v != "" {
				b.WriteString(letter + ":" + v + "\n")
			}
		}
		field("C", "Q2"+base64.StdEncoding.EncodeToString(sum))
		field("P", p.Package)
		field("V", apkVersionLike(p.Version)+"-r0")
		field("A", p.Architecture)
		field("S", strconv.FormatInt(p.Size, 10))
		field("I", strconv.FormatInt(p.InstalledSize*1024, 10))
		field("T", p.Description)
		field("U", p.Homepage)
		field("o", p.Source)
		field("m", p.Maintainer)
		deps := apkDepends(append(p.PreDepends, p.Depends...), "")
		deps = append(deps, apkDepends(append(p.Conflicts, p.Breaks...), "!")...)
		field("D", strings.Join(deps, " "))
		field("p", strings.Join(apkDepends(p.Provides, ""), " "))
		b.WriteString("\n")
		n++
	}
	return b.Bytes(), n
}

// apkDepends turns deb clauses ("libc6 (>= 2.36)", "a | b", "python3:any")
// into apk's ("libc6>=2.36", "a", "python3").
func apkDepends(clauses []string, prefix string) []string {
	var out []string
	for _, c := range clauses {
		c, _, _ = strings.Cut(c, " | ")
		name, rest, versioned := strings.Cut(c, " (")
		name, _, _ = strings.Cut(name, ":")
		if versioned {
			op, ver, _ := strings.Cut(strings.TrimSuffix(rest, ")"), " ")
			op = strings.NewReplacer(">>", ">", "<<", "<").Replace(op)
			name += op + apkVersionLike(ver)
		}
		out = append(out, prefix+name)
	}
	return out
}

// apkVersionLike turns a Debian version into a valid apk version of about
// its length: its runs of digits joined by dots ("1:2.3~rc1-4" is
// "1.2.3.1.4").
func apkVersionLike(v string) string {
	var b strings.Builder
	dot := true
	for i := 0; i < len(v); i++ {
		if c := v[i]; '0' <= c && c <= '9' {
			b.WriteByte(c)
			dot = false
		} else if !dot {
			b.WriteByte('.')
			dot = true
		}
	}
	if s := strings.Trim(b.String(), "."); s != "" {
		return s
	}
	return "0"
}

func BenchmarkAPKINDEX(b *testing.B) {
	data, want := debianAPKINDEX(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	cpu0 := benchdata.ProcessCPUTime(b)
	for b.Loop() {
		pr := NewPackagesReader(bytes.NewReader(data), "APKINDEX")
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
		if n != want {
			b.Fatalf("read %d packages, want %d", n, want)
		}
	}
	benchdata.ReportPackages(b, cpu0, int64(len(data)), want)
}

// BenchmarkAPKINDEXArchive reads the same index as an APKINDEX.tar.gz:
// gunzip and tar included, MB/s counted on the compressed bytes.
func BenchmarkAPKINDEXArchive(b *testing.B) {
	text, want := debianAPKINDEX(b)
	data := archive(b, tarMember{name: "DESCRIPTION", body: "debian"}, tarMember{name: "APKINDEX", body: string(text)})
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	cpu0 := benchdata.ProcessCPUTime(b)
	for b.Loop() {
		r, err := NewReader(bytes.NewReader(data), "APKINDEX.tar.gz")
		if err != nil {
			b.Fatal(err)
		}
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

// TestDebianAPKINDEX reads the whole rendered index, so that a reader that
// chokes on real-world values fails a test, not only the benchmark.
func TestDebianAPKINDEX(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	data, want := debianAPKINDEX(t)
	pr := NewPackagesReader(bytes.NewReader(data), "APKINDEX")
	n := 0
	for {
		p, err := pr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if _, rev := SplitVersion(p.Version); p.Name == "" || rev != "0" {
			t.Fatalf("bad package %+v", p)
		}
		n++
	}
	if n != want || n < 10000 {
		t.Fatalf("read %d packages, want %d (tens of thousands)", n, want)
	}
}
