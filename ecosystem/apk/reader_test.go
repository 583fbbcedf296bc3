package apk

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/distroscope/distroscope/ecosystem/apk/apktest"
)

// stdlibMembers reads an archive with the standard library alone (a
// multistream gzip reader, as GNU tar and apk see one tar across the
// streams): an independent reading of the members.
func stdlibMembers(t *testing.T, path string) map[string][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	out := map[string][]byte{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out[h.Name], _ = io.ReadAll(tr)
	}
}

func depsString(ds []Dependency) []string {
	var out []string
	for _, d := range ds {
		s := d.Name + d.Op + d.Version
		if d.Conflict {
			s = "!" + s
		}
		out = append(out, s)
	}
	return out
}

func TestFixtures(t *testing.T) {
	for _, fx := range apktest.Fixtures(t) {
		t.Run(fx.Archive, func(t *testing.T) {
			members := stdlibMembers(t, fx.Archive)
			text, err := os.ReadFile(fx.Text)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(members["APKINDEX"], text) {
				t.Fatalf("the archive's APKINDEX is not %s", fx.Text)
			}
			f, err := os.Open(fx.Archive)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			r, err := NewReader(f, fx.Archive)
			if err != nil {
				t.Fatal(err)
			}
			if want := strings.TrimRight(string(members["DESCRIPTION"]), "\n"); r.Description() != want || want == "" {
				t.Errorf("description %q, want %q", r.Description(), want)
			}
			sigs := r.Signatures()
			if fx.Algorithm == "" {
				if len(sigs) != 0 {
					t.Errorf("unsigned index has signatures %v", sigs)
				}
			} else {
				want := members[".SIGN."+fx.Algorithm+"."+apktest.FixtureKey]
				if len(sigs) != 1 || sigs[0].Algorithm != fx.Algorithm || sigs[0].KeyName != apktest.FixtureKey || !bytes.Equal(sigs[0].Bytes, want) || len(want) != 256 {
					t.Errorf("signatures %+v, want one %s by %s", sigs, fx.Algorithm, apktest.FixtureKey)
				}
			}
			want := apktest.NaiveRecords(t, fx.Text)
			n := 0
			for ; ; n++ {
				p, err := r.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if n >= len(want) {
					t.Fatalf("more than %d records", len(want))
				}
				compareRecord(t, p, want[n])
			}
			if n != len(want) || n != fx.Records {
				t.Errorf("%d records, want %d (%d in the text)", n, fx.Records, len(want))
			}
		})
	}
}

func compareRecord(t *testing.T, p *Package, w map[string][]string) {
	t.Helper()
	one := func(k string) string {
		if v := w[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	num := func(v int64, k string) string {
		if len(w[k]) == 0 && v == 0 {
			return ""
		}
		return strconv.FormatInt(v, 10)
	}
	for _, c := range []struct{ field, got, want string }{
		{"P", p.Name, one("P")}, {"V", p.Version, one("V")}, {"A", p.Arch, one("A")},
		{"S", num(p.Size, "S"), one("S")}, {"I", num(p.InstalledSize, "I"), one("I")},
		{"T", p.Description, one("T")}, {"U", p.URL, one("U")}, {"L", p.License, one("L")},
		{"o", p.Origin, one("o")}, {"m", p.Maintainer, one("m")}, {"t", num(p.BuildTime, "t"), one("t")},
		{"c", p.Commit, one("c")}, {"C", p.Checksum, one("C")},
		{"k", map[bool]string{true: strconv.FormatInt(p.ProviderPriority, 10)}[p.HasProviderPriority], one("k")},
		{"D", strings.Join(depsString(p.Depends), " "), strings.Join(w["D"], " ")},
		{"p", strings.Join(depsString(p.Provides), " "), strings.Join(w["p"], " ")},
		{"i", strings.Join(depsString(p.InstallIf), " "), strings.Join(w["i"], " ")},
	} {
		if c.got != c.want {
			t.Errorf("%s: %s = %q, want %q", one("P"), c.field, c.got, c.want)
		}
	}
}

func TestParseDependency(t *testing.T) {
	// The forms apk_dep_parse accepts ([!]name[op version], op a run of
	// <>=~ or'ed together) and refuses.
	tests := []struct {
		in       string
		want     Dependency
		rendered string
		bad      bool
	}{
		{in: "so:libc.musl-x86_64.so.1", want: Dependency{Name: "so:libc.musl-x86_64.so.1"}, rendered: "so:libc.musl-x86_64.so.1"},
		{in: "/bin/sh", want: Dependency{Name: "/bin/sh"}, rendered: "/bin/sh"},
		{in: "!libold", want: Dependency{Conflict: true, Name: "libold"}, rendered: "libold"},
		{in: "busybox=1.36.1-r2", want: Dependency{Name: "busybox", Op: "=", Version: "1.36.1-r2"}, rendered: "busybox (= 1.36.1-r2)"},
		{in: "dnsmasq-dnssec-dbus>=2.90-r1", want: Dependency{Name: "dnsmasq-dnssec-dbus", Op: ">=", Version: "2.90-r1"}, rendered: "dnsmasq-dnssec-dbus (>= 2.90-r1)"},
		{in: "!foo<2", want: Dependency{Conflict: true, Name: "foo", Op: "<", Version: "2"}, rendered: "foo (< 2)"},
		{in: "foo~1.2", want: Dependency{Name: "foo", Op: "~", Version: "1.2"}, rendered: "foo (~ 1.2)"},
		{in: "foo=~1.2", want: Dependency{Name: "foo", Op: "~", Version: "1.2"}, rendered: "foo (~ 1.2)"},
		{in: "foo>~1.2", want: Dependency{Name: "foo", Op: ">~", Version: "1.2"}, rendered: "foo (>~ 1.2)"},
		{in: "foo><Q1C4uoV7SdMdDhYg4OCVmI71D8HIA=", want: Dependency{Name: "foo", Op: "><", Version: "Q1C4uoV7SdMdDhYg4OCVmI71D8HIA="}, rendered: "foo (>< Q1C4uoV7SdMdDhYg4OCVmI71D8HIA=)"},
		{in: ">=1.0", bad: true}, {in: "foo>=", bad: true}, {in: "foo@edge", bad: true},
		{in: "!", bad: true}, {in: "foo<>=1", bad: true}, {in: "foo=1<2", bad: true},
	}
	for _, tt := range tests {
		d, err := ParseDependency(tt.in)
		if tt.bad {
			if !errors.Is(err, ErrInvalidDepend) {
				t.Errorf("ParseDependency(%q) = %+v, %v; want ErrInvalidDepend", tt.in, d, err)
			}
			continue
		}
		if err != nil || d != tt.want || d.String() != tt.rendered {
			t.Errorf("ParseDependency(%q) = %+v (%q), %v; want %+v (%q)", tt.in, d, d.String(), err, tt.want, tt.rendered)
		}
	}
}

func TestVerify(t *testing.T) {
	pemBytes, err := os.ReadFile("testdata/keys/" + apktest.FixtureKey)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ParsePublicKey(pemBytes)
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]*rsa.PublicKey{apktest.FixtureKey: key}
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	for _, fx := range apktest.Fixtures(t) {
		data, err := os.ReadFile(fx.Archive)
		if err != nil {
			t.Fatal(err)
		}
		sig, err := Verify(bytes.NewReader(data), fx.Archive, keys)
		if fx.Algorithm == "" {
			if !errors.Is(err, ErrNoSignature) {
				t.Errorf("%s: unsigned index: %v, want ErrNoSignature", fx.Archive, err)
			}
			continue
		}
		if err != nil || sig.Algorithm != fx.Algorithm || sig.KeyName != apktest.FixtureKey {
			t.Errorf("%s: Verify = %+v, %v", fx.Archive, sig, err)
		}
		if _, err := Verify(bytes.NewReader(data), fx.Archive, map[string]*rsa.PublicKey{apktest.FixtureKey: &other.PublicKey}); !errors.Is(err, ErrBadSignature) {
			t.Errorf("%s: another key: %v, want ErrBadSignature", fx.Archive, err)
		}
		if _, err := Verify(bytes.NewReader(data), fx.Archive, map[string]*rsa.PublicKey{"alpine-devel@lists.alpinelinux.org-6165ee59.rsa.pub": key}); !errors.Is(err, ErrUnknownKey) {
			t.Errorf("%s: unknown key name: %v, want ErrUnknownKey", fx.Archive, err)
		}
		// One bit changed in the last byte (the index stream's gzip
		// trailer): the digest no longer matches.
		tampered := bytes.Clone(data)
		tampered[len(tampered)-1] ^= 1
		if _, err := Verify(bytes.NewReader(tampered), fx.Archive, keys); !errors.Is(err, ErrBadSignature) {
			t.Errorf("%s: tampered: %v, want ErrBadSignature", fx.Archive, err)
		}
	}
}

// archive builds an APKINDEX.tar.gz in one gzip stream from tar members.
func archive(t testing.TB, members ...tarMember) []byte {
	t.Helper()
	var tb bytes.Buffer
	tw := tar.NewWriter(&tb)
	for _, m := range members {
		h := &tar.Header{Name: m.name, Mode: 0o644, Typeflag: tar.TypeReg, Size: int64(len(m.body))}
		if m.typeflag == tar.TypeSymlink {
			h.Typeflag, h.Size, h.Linkname = tar.TypeSymlink, 0, m.body
		}
		if m.size > 0 {
			h.Size = m.size
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if m.size > 0 {
			io.CopyN(tw, newlines{}, m.size)
		} else if h.Typeflag == tar.TypeReg {
			io.WriteString(tw, m.body)
		}
	}
	tw.Close()
	var out bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&out, gzip.BestSpeed)
	zw.Write(tb.Bytes())
	zw.Close()
	return out.Bytes()
}

type tarMember struct {
	name, body string
	typeflag   byte
	size       int64 // when > 0, a body of that many newlines
}

type newlines struct{}

func (newlines) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = '\n'
	}
	return len(p), nil
}

func readAll(r *Reader) ([]*Package, []error) {
	var pkgs []*Package
	var errs []error
	for range 1000 {
		p, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			errs = append(errs, err)
			if len(errs) > 1 && errs[len(errs)-1] == errs[len(errs)-2] {
				break // final
			}
			continue
		}
		pkgs = append(pkgs, p)
	}
	return pkgs, errs
}

func wantParseError(t *testing.T, err error, target error, fragments ...string) {
	t.Helper()
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("error %v (%T) is not a *ParseError", err, err)
	}
	if !errors.Is(err, target) {
		t.Errorf("error %q is not %v", err, target)
	}
	for _, f := range fragments {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("error %q does not mention %q", err, f)
		}
	}
}

func TestCorruptIndexes(t *testing.T) {
	text, err := os.ReadFile("testdata/alpine-3.18-aarch64.APKINDEX")
	if err != nil {
		t.Fatal(err)
	}
	signed, err := os.ReadFile("testdata/alpine-3.18-aarch64.APKINDEX.tar.gz")
	if err != nil {
		t.Fatal(err)
	}
	edit := func(old, new string) string {
		if !strings.Contains(string(text), old) {
			t.Fatalf("no %q in the fixture", old)
		}
		return strings.Replace(string(text), old, new, 1)
	}
	tests := []struct {
		name      string
		data      []byte
		opts      []Option
		target    error
		fragments []string
	}{
		{"truncated in the signature", signed[:100], nil, ErrCorruptArchive, nil},
		{"truncated in the index", signed[:len(signed)-200], nil, ErrCorruptArchive, nil},
		{"not gzip", text, nil, ErrCorruptArchive, nil},
		{"no APKINDEX", archive(t, tarMember{name: "DESCRIPTION", body: "x"}), nil, ErrNoIndex, nil},
		{"parent path", archive(t, tarMember{name: "../APKINDEX", body: string(text)}), nil, ErrUnsafePath, []string{"../APKINDEX"}},
		{"directory path", archive(t, tarMember{name: "x/APKINDEX", body: string(text)}), nil, ErrUnsafePath, []string{"x/APKINDEX"}},
		{"symlink", archive(t, tarMember{name: "APKINDEX", body: "/etc/passwd", typeflag: tar.TypeSymlink}), nil, ErrUnsupported, []string{"APKINDEX"}},
		{"oversized DESCRIPTION", archive(t, tarMember{name: "DESCRIPTION", body: strings.Repeat("x", MaxMemberSize+1)}), nil, ErrMemberTooLarge, []string{"DESCRIPTION"}},
		{"decompression bomb", archive(t, tarMember{name: "APKINDEX", size: 32 << 20}), []Option{WithMaxSize(1 << 20)}, ErrIndexTooLarge, []string{"APKINDEX line "}},
		{"bad size", archive(t, tarMember{name: "APKINDEX", body: edit("S:8911\n", "S:-8911\n")}), nil, ErrSyntax, []string{"APKINDEX line 5", "package alpine-baselayout", "S: "}},
		{"bad build time", archive(t, tarMember{name: "APKINDEX", body: edit("t:1690477944\n", "t:1690477944.5\n")}), nil, ErrSyntax, []string{"package ssl_client", "t: "}},
		{"bad checksum", archive(t, tarMember{name: "APKINDEX", body: edit("C:Q1VciVehQwKlHzJI0nfN7QbxBneOU=", "C:Q1VciVeh")}), nil, ErrSyntax, []string{"C: "}},
		{"duplicate P", archive(t, tarMember{name: "APKINDEX", body: edit("P:musl\n", "P:musl\nP:musl2\n")}), nil, ErrDuplicateField, []string{"P: ", "first on line"}},
		{"missing V", archive(t, tarMember{name: "APKINDEX", body: edit("V:1.2.13-r1\n", "")}), nil, ErrMissingField, []string{"package zlib", "V: "}},
		{"not a field line", archive(t, tarMember{name: "APKINDEX", body: edit("T:SSL shared libraries\n", "SSL shared libraries\n")}), nil, ErrSyntax, []string{"APKINDEX line 36"}},
		{"bad dependency", archive(t, tarMember{name: "APKINDEX", body: edit("D:so:libc.musl-aarch64.so.1\np:cmd:scanelf", "D:so:libc.musl-aarch64.so.1 >=1\np:cmd:scanelf")}), nil, ErrInvalidDepend, []string{"package scanelf", "D: "}},
		{"NUL", archive(t, tarMember{name: "APKINDEX", body: edit("L:Zlib", "L:Zl\x00ib")}), nil, ErrSyntax, []string{"NUL"}},
		{"long line", archive(t, tarMember{name: "APKINDEX", body: "T:" + strings.Repeat("x", MaxLineSize+1) + "\n"}), nil, ErrLineTooLong, nil},
		// Names and versions follow apk-package(5): one that is not UTF-8,
		// or not a name or version at all, refuses the index.
		{"invalid UTF-8 in P", archive(t, tarMember{name: "APKINDEX", body: edit("P:musl\n", "P:mu\xffsl\n")}), nil, ErrInvalidName, []string{"APKINDEX line 47", `P: invalid package name: "mu\xffsl"`}},
		{"P starting with a dash", archive(t, tarMember{name: "APKINDEX", body: edit("P:musl\n", "P:-musl\n")}), nil, ErrInvalidName, []string{`"-musl"`}},
		{"invalid UTF-8 in V", archive(t, tarMember{name: "APKINDEX", body: edit("V:1.2.13-r1\n", "V:1.2.13-r1\xe9\n")}), nil, ErrInvalidVersion, []string{"package zlib", `V: invalid version: "1.2.13-r1\xe9"`}},
		{"V not a version", archive(t, tarMember{name: "APKINDEX", body: edit("V:1.2.13-r1\n", "V:latest\n")}), nil, ErrInvalidVersion, []string{`"latest"`}},
		// Each record is bounded in fields, dependencies and bytes.
		{"too many fields", archive(t, tarMember{name: "APKINDEX", body: edit("P:musl\n", "P:musl\n"+strings.Repeat("x:1\n", 40000))}), nil, ErrTooManyFields, []string{fmt.Sprintf("more than %d", MaxFields)}},
		{"too many dependencies", archive(t, tarMember{name: "APKINDEX", body: edit("P:musl\n", "P:musl\nD:"+strings.Repeat("so:libc.so ", MaxDependencies+1)+"\n")}), nil, ErrTooManyDependencies, []string{"package musl", "D: ", fmt.Sprintf("more than %d", MaxDependencies)}},
		{"record too large", archive(t, tarMember{name: "APKINDEX", body: edit("P:musl\n", "P:musl\n"+strings.Repeat("T:"+strings.Repeat("t", 400<<10)+"\n", 3))}), nil, ErrRecordTooLarge, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewReader(bytes.NewReader(tt.data), "broken.tar.gz", tt.opts...)
			var pkgs []*Package
			if err == nil {
				var errs []error
				pkgs, errs = readAll(r)
				if len(errs) == 0 {
					t.Fatalf("read %d packages without an error", len(pkgs))
				}
				err = errs[0]
			}
			wantParseError(t, err, tt.target, append(tt.fragments, "apkindex: broken.tar.gz")...)
			t.Log(err)
		})
	}
}

// TestErrorsBounded: a hostile value is quoted, cut and measured in the
// message rather than printed whole.
func TestErrorsBounded(t *testing.T) {
	huge := strings.Repeat("9", 120<<10)
	for name, body := range map[string]string{
		"huge invalid version": "P:a\nV:" + huge + "!\n",
		"huge name":            "P:" + huge + "!\nV:1\n",
		"huge dependency":      "P:a\nV:1\nD:a>=" + huge + "<\n",
		"huge size":            "P:a\nV:1\nS:" + huge + "\n",
		"huge checksum":        "P:a\nV:1\nC:" + huge + "\n",
	} {
		t.Run(name, func(t *testing.T) {
			r, err := NewReader(bytes.NewReader(archive(t, tarMember{name: "APKINDEX", body: body})), "x")
			if err == nil {
				_, errs := readAll(r)
				if len(errs) == 0 {
					t.Fatal("no error")
				}
				err = errs[0]
			}
			if msg := err.Error(); len(msg) > 400 {
				t.Errorf("error is %d bytes: %.500s", len(msg), msg)
			}
			if !strings.Contains(err.Error(), " bytes)") {
				t.Errorf("error %q does not say how long the value was", err)
			}
		})
	}
}

func TestRecoverAfterRecordError(t *testing.T) {
	// A damaged record is reported and skipped; the others are read.
	text, err := os.ReadFile("testdata/alpine-3.18-aarch64.APKINDEX")
	if err != nil {
		t.Fatal(err)
	}
	damaged := strings.Replace(string(text), "I:622592\n", "I:lots\n", 1)
	damaged = strings.Replace(damaged, "A:aarch64\nS:52659", "A:aarch64\n\x01 stray\nS:52659", 1)
	pkgs, errs := readAll(must(NewReader(bytes.NewReader(archive(t, tarMember{name: "APKINDEX", body: damaged})), "x")))
	if len(pkgs) != 6 || len(errs) != 2 {
		t.Fatalf("%d packages and errors %v; want 6 and 2", len(pkgs), errs)
	}
	wantParseError(t, errs[0], ErrSyntax, "package libssl3", "I: ")
	wantParseError(t, errs[1], ErrSyntax, "not an X:value line")
	for _, p := range pkgs {
		if p.Name == "libssl3" || p.Name == "zlib" {
			t.Errorf("damaged record %s returned", p.Name)
		}
	}
}

func must(r *Reader, err error) *Reader {
	if err != nil {
		panic(err)
	}
	return r
}
