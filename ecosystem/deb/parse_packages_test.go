package deb

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

const (
	mainFixture    = "testdata/bookworm-main-amd64.Packages"
	updatesFixture = "testdata/bookworm-updates-main-amd64.Packages"
	statusFixture  = "testdata/bookworm-dpkg-status"
)

// readAll reads every stanza of r, keeping shallow copies (which Next
// documents as safe), and fails the test on any error.
func readAll(t testing.TB, r io.Reader, name string) []Package {
	t.Helper()
	pr := NewPackagesReader(r, name)
	var pkgs []Package
	for {
		p, err := pr.Next()
		if err == io.EOF {
			return pkgs
		}
		if err != nil {
			t.Fatalf("%s: stanza %d: %v", name, len(pkgs)+1, err)
		}
		pkgs = append(pkgs, *p)
	}
}

func readFixture(t testing.TB, path string) []Package {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return readAll(t, f, path)
}

func byName(pkgs []Package, name string) (Package, bool) {
	for _, p := range pkgs {
		if p.Package == name {
			return p, true
		}
	}
	return Package{}, false
}

// diffPackage lists the fields where got differs from want.
func diffPackage(got, want Package) []string {
	var diffs []string
	gv, wv := reflect.ValueOf(got), reflect.ValueOf(want)
	for i := range gv.NumField() {
		g, w := gv.Field(i).Interface(), wv.Field(i).Interface()
		if !reflect.DeepEqual(g, w) {
			diffs = append(diffs, fmt.Sprintf("%s: got %#v, want %#v", gv.Type().Field(i).Name, g, w))
		}
	}
	return diffs
}

// TestPackagesFixtureStanzas checks whole stanzas, every field, against the
// values read by eye from the fixtures.
func TestPackagesFixtureStanzas(t *testing.T) {
	tests := []struct {
		file string
		want Package
	}{
		{mainFixture, Package{
			Package: "0ad", Version: "0.0.26-3", Architecture: "amd64",
			Source: "0ad", SourceVersion: "0.0.26-3",
			Section: "games", Priority: "optional",
			Maintainer:    "Debian Games Team <pkg-games-devel@example.org>",
			InstalledSize: 28591, Size: 7891488,
			Filename:       "pool/main/0/0ad/0ad_0.0.26-3_amd64.deb",
			MD5sum:         "4d471183a39a3a11d00cd35bf9f6803d",
			SHA256:         "3a2118df47bf3f04285649f0455c2fc6fe2dc7f0b237073038aa00af41f0d5f2",
			Homepage:       "https://play0ad.com/",
			Description:    "Real-time strategy game of ancient warfare",
			DescriptionMD5: "d943033bedada21853d2ae54a2578a7b",
			Tag: "game::strategy, interface::graphical, interface::x11, role::program, " +
				"uitoolkit::sdl, uitoolkit::wxwidgets, use::gameplaying, x11::application",
			Depends: []string{
				"0ad-data (>= 0.0.26)", "0ad-data (<= 0.0.26-3)", "0ad-data-common (>= 0.0.26)",
				"0ad-data-common (<= 0.0.26-3)", "libboost-filesystem1.74.0 (>= 1.74.0)", "libc6 (>= 2.34)",
				"libcurl3-gnutls (>= 7.32.0)", "libenet7", "libfmt9 (>= 9.1.0+ds1)", "libfreetype6 (>= 2.2.1)",
				"libgcc-s1 (>= 3.4)", "libgloox18 (>= 1.0.24)", "libicu72 (>= 72.1~rc-1~)",
				"libminiupnpc17 (>= 1.9.20140610)", "libopenal1 (>= 1.14)", "libpng16-16 (>= 1.6.2-1)",
				"libsdl2-2.0-0 (>= 2.0.12)", "libsodium23 (>= 1.0.14)", "libstdc++6 (>= 12)",
				"libvorbisfile3 (>= 1.1.2)", "libwxbase3.2-1 (>= 3.2.1+dfsg)", "libwxgtk-gl3.2-1 (>= 3.2.1+dfsg)",
				"libwxgtk3.2-1 (>= 3.2.1+dfsg-2)", "libx11-6", "libxml2 (>= 2.9.0)", "zlib1g (>= 1:1.2.0)",
			},
			PreDepends: []string{"dpkg (>= 1.15.6~)"},
			Line:       1,
		}},
		{mainFixture, Package{
			Package: "0ad-data-common", Version: "0.0.26-1", Architecture: "all",
			Source: "0ad-data", SourceVersion: "0.0.26-1",
			Section: "games", Priority: "optional",
			Maintainer:     "Debian Games Team <pkg-games-devel@example.org>",
			InstalledSize:  2428,
			Size:           779908,
			Filename:       "pool/main/0/0ad-data/0ad-data-common_0.0.26-1_all.deb",
			MD5sum:         "7ce70dc6e6de01134d2e199499fd3925",
			SHA256:         "0a40074c844a304688e503dd0c3f8b04e10e40f6f81b8bad260e07c54aa37864",
			Homepage:       "https://play0ad.com/",
			Description:    "Real-time strategy game of ancient warfare (common data files)",
			DescriptionMD5: "8d014b839c4c4e9b6f82c7512d7e3496",
			Tag:            "game::strategy, role::app-data, role::program, use::gameplaying",
			Replaces:       []string{"0ad-data (<< 0.0.12-1~)"},
			Depends:        []string{"fonts-dejavu-core | ttf-dejavu-core", "fonts-freefont-ttf | ttf-freefont", "fonts-texgyre | tex-gyre"},
			PreDepends:     []string{"dpkg (>= 1.15.6~)"},
			Suggests:       []string{"0ad"},
			Breaks:         []string{"0ad-data (<< 0.0.12-1~)"},
			Line:           39,
		}},
		{mainFixture, Package{
			Package: "libgcc-s1", Version: "12.2.0-14+deb12u1", Architecture: "amd64",
			Source: "gcc-12", SourceVersion: "12.2.0-14+deb12u1",
			Section: "libs", Priority: "optional", Protected: true, MultiArch: "same",
			Maintainer:     "Debian GCC Maintainers <debian-gcc@example.org>",
			InstalledSize:  140,
			Size:           49856,
			Filename:       "pool/main/g/gcc-12/libgcc-s1_12.2.0-14+deb12u1_amd64.deb",
			MD5sum:         "9db51e73a4a0547f1e67400bc2c11a86",
			SHA256:         "3016e62cb4b7cd8038822870601f5ed131befe942774d0f745622cc77d8a88f7",
			Homepage:       "http://gcc.gnu.org/",
			Description:    "GCC support library",
			DescriptionMD5: "bbd60d723e97d8e06c04228ee4c76f10",
			Tag:            "role::shared-lib",
			Replaces:       []string{"libgcc1 (<< 1:10)"},
			Provides:       []string{"libgcc1 (= 1:12.2.0-14+deb12u1)"},
			Depends:        []string{"gcc-12-base (= 12.2.0-14+deb12u1)", "libc6 (>= 2.35)"},
			Extra:          []Field{{Name: "Important", Value: "yes"}},
			Line:           3101,
		}},
		// The dpkg status database: long descriptions (dropped) and a
		// multi-line field without a column (kept, one entry a line).
		{statusFixture, Package{
			Package: "adduser", Version: "3.134", Architecture: "all",
			Source: "adduser", SourceVersion: "3.134",
			Section: "admin", Priority: "important", MultiArch: "foreign",
			Maintainer:    "Debian Adduser Developers <adduser@example.org>",
			InstalledSize: 686,
			Description:   "add and remove users and groups",
			Depends:       []string{"passwd"},
			Suggests:      []string{"liblocale-gettext-perl", "perl", "cron", "quota"},
			Extra: []Field{
				{Name: "Status", Value: "install ok installed"},
				{Name: "Conffiles", Value: "/etc/adduser.conf cc3493ecd2d09837ffdcc3e25fdfff18\n" +
					"/etc/deluser.conf 11a06baf8245fd8d690b99024d228c1f"},
			},
			Line: 1,
		}},
		// A field after the long description: its offsets shift when the
		// description is cut out.
		{statusFixture, Package{
			Package: "bzip2", Version: "1.0.8-5+b1", Architecture: "amd64",
			Source: "bzip2", SourceVersion: "1.0.8-5",
			Section: "utils", Priority: "standard", MultiArch: "foreign",
			Maintainer:    "Anibal Monsalve Salazar <anibal@example.org>",
			InstalledSize: 121,
			Description:   "high-quality block-sorting file compressor - utilities",
			Homepage:      "https://sourceware.org/bzip2/",
			Replaces:      []string{"libbz2 (<< 0.9.5d-3)"},
			Depends:       []string{"libbz2-1.0 (= 1.0.8-5+b1)", "libc6 (>= 2.34)"},
			Suggests:      []string{"bzip2-doc"},
			Extra:         []Field{{Name: "Status", Value: "install ok installed"}},
			Line:          41,
		}},
	}
	cache := map[string][]Package{}
	for _, tt := range tests {
		t.Run(tt.want.Package, func(t *testing.T) {
			pkgs, ok := cache[tt.file]
			if !ok {
				pkgs = readFixture(t, tt.file)
				cache[tt.file] = pkgs
			}
			got, ok := byName(pkgs, tt.want.Package)
			if !ok {
				t.Fatalf("%s: no package %s", tt.file, tt.want.Package)
			}
			for _, d := range diffPackage(got, tt.want) {
				t.Error(d)
			}
		})
	}
}

// TestPackagesFixtureFields checks the fields each chosen stanza was picked
// for.
func TestPackagesFixtureFields(t *testing.T) {
	pkgs := readFixture(t, mainFixture)
	get := func(name string) Package {
		t.Helper()
		p, ok := byName(pkgs, name)
		if !ok {
			t.Fatalf("no package %s", name)
		}
		return p
	}
	tests := []struct {
		name, what string
		got, want  any
	}{
		{"2048-qt", "Source", get("2048-qt").Source, "2048-qt"},
		{"2048-qt", "SourceVersion", get("2048-qt").SourceVersion, "0.1.6-2"},
		{"2048-qt", "Version", get("2048-qt").Version, "0.1.6-2+b2"},
		{"2048-qt", "Line", get("2048-qt").Line, 96},
		{"gcc", "Source", get("gcc").Source, "gcc-defaults"},
		{"gcc", "SourceVersion", get("gcc").SourceVersion, "1.203"},
		{"gcc", "BuildEssential", get("gcc").BuildEssential, true},
		{"gcc", "Provides", get("gcc").Provides, []string{"c-compiler", "gcc-x86-64-linux-gnu (= 4:12.2.0-3)"}},
		{"gcc", "Recommends", get("gcc").Recommends, []string{"libc6-dev | libc-dev"}},
		{"gcc", "Conflicts", get("gcc").Conflicts, []string{"gcc-doc (<< 1:2.95.3)"}},
		{"libc6-dev", "BuildEssential", get("libc6-dev").BuildEssential, true},
		{"libc6-dev", "len(Breaks)", len(get("libc6-dev").Breaks), 111},
		{"libc6-dev", "Breaks[110]", get("libc6-dev").Breaks[110], "slurm-wlm-basic-plugins-dev (<= 21.08.8.2-1)"},
		{"base-files", "Essential", get("base-files").Essential, true},
		{"base-files", "PreDepends", get("base-files").PreDepends, []string{"awk"}},
		{"base-files", "Replaces", get("base-files").Replaces, []string{"base", "dpkg (<= 1.15.0)", "miscutils"}},
		{"base-files", "Provides", get("base-files").Provides, []string{"base"}},
		{"apt", "Provides", get("apt").Provides, []string{"apt-transport-https (= 2.6.1)"}},
		{"apt", "Depends[1]", get("apt").Depends[1], "gpgv | gpgv2 | gpgv1"},
		{"apt", "Priority", get("apt").Priority, "required"},
		{"python3-lib389", "Depends[8]", get("python3-lib389").Depends[8], "python3:any"},
		{"python3-lib389", "Conflicts", get("python3-lib389").Conflicts, []string{"389-ds-base (<< 1.4.0.18-1~)", "python-lib389 (<< 1.3.7.8)"}},
		{"python3-lib389", "Source", get("python3-lib389").Source, "389-ds-base"},
		{"python3-lib389", "SourceVersion", get("python3-lib389").SourceVersion, "2.3.1+dfsg1-1+deb12u1"},
		{"grub-efi-amd64-signed", "BuiltUsing", get("grub-efi-amd64-signed").BuiltUsing, []string{"grub2 (= 2.06-13+deb12u2)"}},
		{"grub-efi-amd64-signed", "Protected", get("grub-efi-amd64-signed").Protected, true},
		{"certspotter", "len(StaticBuiltUsing)", len(get("certspotter").StaticBuiltUsing), 5},
		{"certspotter", "StaticBuiltUsing[2]", get("certspotter").StaticBuiltUsing[2], "golang-golang-x-net (= 1:0.7.0+dfsg-1)"},
		{"csh", "OriginalMaintainer", get("csh").OriginalMaintainer, "Alastair McKinstry <mckinstry@example.org>"},
		{"csh", "SourceVersion", get("csh").SourceVersion, "20110502-7"},
		{"mdevctl", "BuiltUsing", get("mdevctl").BuiltUsing, []string{"rustc (= 1.63.0+dfsg1-2)"}},
		{"mdevctl", "Extra[0].Name", get("mdevctl").Extra[0].Name, "X-Cargo-Built-Using"},
		{"mdevctl", "Extra[0].Value prefix", get("mdevctl").Extra[0].Value[:41], "rust-aho-corasick (= 0.7.19-1), rust-anyh"},
		{"libghc-cpphs-dev", "Extra", get("libghc-cpphs-dev").Extra, []Field{{"Ghc-Package", "cpphs-1.20.9.1-1jAFiSyqcHj3RbgQIQP02q"}}},
		{"libghc-cpphs-dev", "Line", get("libghc-cpphs-dev").Line, 3010},
	}
	for _, tt := range tests {
		if !reflect.DeepEqual(tt.got, tt.want) {
			t.Errorf("%s %s = %#v, want %#v", tt.name, tt.what, tt.got, tt.want)
		}
	}
}

// TestPackagesCounts checks that every stanza of each fixture is read, against
// counts made with grep -c '^Package:' and against a recount here.
func TestPackagesCounts(t *testing.T) {
	for _, tt := range []struct {
		file string
		want int
	}{
		{mainFixture, 182},
		{updatesFixture, 38},
		{statusFixture, 5},
	} {
		data, err := os.ReadFile(tt.file)
		if err != nil {
			t.Fatal(err)
		}
		recount := bytes.Count(append([]byte{'\n'}, data...), []byte("\nPackage: "))
		if recount != tt.want {
			t.Fatalf("%s: fixture has %d stanzas, test expects %d", tt.file, recount, tt.want)
		}
		pkgs := readAll(t, bytes.NewReader(data), tt.file)
		if len(pkgs) != tt.want {
			t.Errorf("%s: read %d packages, want %d", tt.file, len(pkgs), tt.want)
		}
		for _, p := range pkgs {
			if p.Package == "" || p.Version == "" || p.Architecture == "" || p.Source == "" || p.SourceVersion == "" {
				t.Errorf("%s line %d: incomplete package %+v", tt.file, p.Line, p)
			}
		}
	}
}

// TestPackagesReaderBoundaries reads the fixtures one byte at a time and in
// odd chunks: every stanza and line then straddles a buffer refill, and the
// result must not change.
func TestPackagesReaderBoundaries(t *testing.T) {
	for _, file := range []string{mainFixture, statusFixture} {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		want := readAll(t, bytes.NewReader(data), file)
		for name, r := range map[string]io.Reader{
			"one byte":   iotest.OneByteReader(bytes.NewReader(data)),
			"half":       iotest.HalfReader(bytes.NewReader(data)),
			"data+EOF":   iotest.DataErrReader(bytes.NewReader(data)),
			"no newline": bytes.NewReader(bytes.TrimRight(data, "\n")),
			"CRLF":       bytes.NewReader(bytes.ReplaceAll(data, []byte("\n"), []byte("\r\n"))),
		} {
			got := readAll(t, r, file)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s read %s: result differs", file, name)
			}
		}
	}
}

// TestPackagesReaderReuse checks the documented contract: the *Package is
// reused, but a shallow copy survives the next call.
func TestPackagesReaderReuse(t *testing.T) {
	f, err := os.Open(mainFixture)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pr := NewPackagesReader(f, "fixture")
	first, err := pr.Next()
	if err != nil {
		t.Fatal(err)
	}
	kept := *first
	second, err := pr.Next()
	if err != nil {
		t.Fatal(err)
	}
	if first != second {
		t.Errorf("Next returned a new *Package; the documented contract is reuse")
	}
	if kept.Package != "0ad" || second.Package != "0ad-data" {
		t.Errorf("kept %q, second %q; want 0ad, 0ad-data", kept.Package, second.Package)
	}
	if len(kept.Depends) != 26 || kept.Depends[0] != "0ad-data (>= 0.0.26)" {
		t.Errorf("kept Depends overwritten: %q", kept.Depends)
	}
	// Appending to one field must not spill into the next one.
	deps := append(kept.Depends, "spill")
	if kept.PreDepends[0] != "dpkg (>= 1.15.6~)" || len(deps) != 27 {
		t.Errorf("append to Depends changed PreDepends: %q", kept.PreDepends)
	}
}

// TestPackagesDeb822Syntax covers deb822 rules the real fixtures do not
// exercise: case-insensitive names, comments, whitespace-only separator
// lines, " ." lines, folded relationship fields.
func TestPackagesDeb822Syntax(t *testing.T) {
	in := "# a comment before the first stanza\n" +
		"package: foo\n" +
		"VERSION: 1.0\n" +
		"# a comment inside a stanza\n" +
		"Architecture: amd64\n" +
		"Source: foo-src   (  1.0-1 )\n" +
		"Depends: libc6 (>=2.36),\n" +
		"# a comment between continuation lines\n" +
		"  libfoo   ( <<  2 ) |libbar:any,\n" +
		"\tlibbaz (< 3) [amd64  !i386] <!nocheck>   <cross>,\n" +
		"X-Note: first\n" +
		" second\n" +
		" .\n" +
		"  indented\n" +
		"Essential: Yes\n" +
		" \t \n" +
		"\n" +
		"Package: bar\n" +
		"Version: 2\n" +
		"Architecture: all\n" +
		"Description: synopsis only\n" +
		" long text\n" +
		"  .\n" +
		" more text\n" +
		"Size: 10\n"
	pkgs := readAll(t, strings.NewReader(in), "syntax")
	want := []Package{{
		Package: "foo", Version: "1.0", Architecture: "amd64",
		Source: "foo-src", SourceVersion: "1.0-1", Essential: true,
		Depends: []string{
			"libc6 (>= 2.36)",
			"libfoo (<< 2) | libbar:any",
			"libbaz (< 3) [amd64 !i386] <!nocheck> <cross>",
		},
		Extra: []Field{{Name: "X-Note", Value: "first\nsecond\n\n indented"}},
		Line:  2,
	}, {
		Package: "bar", Version: "2", Architecture: "all",
		Source: "bar", SourceVersion: "2",
		Description: "synopsis only", Size: 10,
		Line: 18,
	}}
	if len(pkgs) != len(want) {
		t.Fatalf("got %d packages, want %d: %+v", len(pkgs), len(want), pkgs)
	}
	for i := range want {
		for _, d := range diffPackage(pkgs[i], want[i]) {
			t.Errorf("stanza %d: %s", i+1, d)
		}
	}
}

// TestPackagesCorrupt feeds damaged copies of a real stanza and checks each
// fails with an error naming the line (and, where known, the package and
// field), of the right kind.
func TestPackagesCorrupt(t *testing.T) {
	data, err := os.ReadFile(mainFixture)
	if err != nil {
		t.Fatal(err)
	}
	// The first two stanzas of the fixture: 0ad (lines 1-19), 0ad-data (21-37).
	stanzas := strings.SplitN(string(data), "\n\n", 3)
	first, second := stanzas[0]+"\n", stanzas[1]+"\n"
	if !strings.HasPrefix(first, "Package: 0ad\n") || !strings.HasPrefix(second, "Package: 0ad-data\n") {
		t.Fatal("fixture does not start with 0ad, 0ad-data")
	}
	replace := func(s, old, new string) string {
		if !strings.Contains(s, old) {
			t.Fatalf("fixture lacks %q", old)
		}
		return strings.Replace(s, old, new, 1)
	}
	tests := []struct {
		name    string
		input   string
		kind    error
		message string // substring of the error
	}{
		{"NUL byte", first + "\n" + replace(second, "Suggests: 0ad", "Suggests: 0\x00ad"), ErrNUL,
			"fixture line 27: NUL byte"},
		{"missing Version", first + "\n" + replace(second, "Version: 0.0.26-1\n", ""), ErrMissingField,
			"fixture line 21: package 0ad-data: Version: missing required field"},
		{"missing Package", replace(first, "Package: 0ad\n", ""), ErrMissingField,
			"fixture line 1: Package: missing required field"},
		{"bad Size", replace(first, "Size: 7891488", "Size: 78914x8"), ErrSyntax,
			`fixture line 17: package 0ad: Size: syntax error: "78914x8" not a non-negative decimal number`},
		{"negative Installed-Size", replace(first, "Installed-Size: 28591", "Installed-Size: -1"), ErrSyntax,
			"fixture line 3: package 0ad: Installed-Size:"},
		{"duplicated field", replace(first, "Section: games\n", "Section: games\nsection: games\n"), ErrDuplicateField,
			"fixture line 15: package 0ad: Section: duplicate field (first on line 14)"},
		{"duplicated extra field", first + "X-A: 1\nx-a: 2\n", ErrDuplicateField,
			"fixture line 21: package 0ad: x-a: duplicate field"},
		{"field line without colon", replace(first, "Section: games", "Section games"), ErrSyntax,
			"fixture line 14: syntax error: field line without colon"},
		{"continuation before any field", " stray\n" + first, ErrSyntax,
			"fixture line 1: syntax error: continuation line before any field"},
		{"bad relation", replace(first, "libenet7,", "libenet7 (>> ),"), ErrInvalidRelation,
			`fixture line 6: package 0ad: Depends: invalid relation: empty version in clause "libenet7 (>> )"`},
		{"bad relation operator", replace(first, "Pre-Depends: dpkg (>= 1.15.6~)", "Pre-Depends: dpkg (=> 1.15.6~)"), ErrInvalidRelation,
			"fixture line 7: package 0ad: Pre-Depends: invalid relation"},
		{"bad MD5sum", replace(first, "MD5sum: 4d471183a39a3a11d00cd35bf9f6803d", "MD5sum: 4d471183a39a3a11d00cd35bf9f6803"), ErrSyntax,
			"fixture line 18: package 0ad: MD5sum:"},
		{"bad Essential", replace(first, "Priority: optional", "Priority: optional\nEssential: maybe"), ErrSyntax,
			"fixture line 16: package 0ad: Essential:"},
		{"bad Source", replace(first, "Package: 0ad\n", "Package: 0ad\nSource: 0ad (0.0.26-3\n"), ErrSyntax,
			"fixture line 2: package 0ad: Source:"},
		{"overlong line", replace(first, "Homepage: https://play0ad.com/", "Homepage: https://play0ad.com/"+strings.Repeat("x", MaxLineSize)), ErrLineTooLong,
			"fixture line 9: line too long"},
		{"overlarge stanza", replace(first, "Homepage: https://play0ad.com/", strings.Repeat("X-Filler: "+strings.Repeat("y", 100<<10)+"\n", MaxStanzaSize/(100<<10)+1)), ErrStanzaTooLarge,
			"fixture line 1: stanza too large"},
		// A field is bounded with its continuation lines, not only line by line.
		{"overlarge field", replace(first, "Homepage: https://play0ad.com/", "X-Big: start\n"+strings.Repeat(" "+strings.Repeat("y", 1000)+"\n", MaxFieldSize/1000)), ErrFieldTooLarge,
			fmt.Sprintf("fixture line 9: X-Big: field too large: more than %d bytes", MaxFieldSize)},
		// 40,000 fields took 7 s to check for duplicates; past MaxFields the
		// stanza is refused at once.
		{"too many fields", first + manyFields(40000), ErrTooManyFields,
			fmt.Sprintf("fixture line %d: too many fields: more than %d in one stanza", MaxFields+3, MaxFields)},
		{"too many clauses", replace(first, "Depends: 0ad-data (>= 0.0.26),", "Depends: "+strings.Repeat("libc6, ", MaxClauses)+"0ad-data (>= 0.0.26),"), ErrTooManyClauses,
			fmt.Sprintf("fixture line 6: package 0ad: Depends: too many relation clauses: more than %d", MaxClauses)},
		{"too many clauses, not in normal form", replace(first, "Depends: 0ad-data (>= 0.0.26),", "Depends: "+strings.Repeat("libc6 ( >= 1 ), ", MaxClauses)+"0ad-data (>= 0.0.26),"), ErrTooManyClauses,
			"fixture line 6: package 0ad: Depends: too many relation clauses"},
		{"too many alternatives", replace(first, "Depends: 0ad-data (>= 0.0.26),", "Depends: "+strings.Repeat("libc6 | ", MaxAlternatives)+"0ad-data (>= 0.0.26),"), ErrInvalidRelation,
			fmt.Sprintf("fixture line 6: package 0ad: Depends: invalid relation: more than %d alternatives", MaxAlternatives)},
		// Names and versions follow Debian Policy 5.6.1/5.6.7 and 5.6.12:
		// a byte that is not UTF-8 (or not allowed) refuses the stanza.
		{"invalid UTF-8 in Package", replace(first, "Package: 0ad\n", "Package: bad\xffname\n"), ErrInvalidName,
			`fixture line 1: package "bad\xffname": Package: invalid package name: "bad\xffname"`},
		{"uppercase Package", replace(first, "Package: 0ad\n", "Package: 0AD\n"), ErrInvalidName,
			`fixture line 1: package 0AD: Package: invalid package name: "0AD"`},
		{"one-letter Package", replace(first, "Package: 0ad\n", "Package: a\n"), ErrInvalidName,
			"fixture line 1: package a: Package: invalid package name"},
		{"invalid UTF-8 in Version", replace(first, "Version: 0.0.26-3\n", "Version: 0.0.26-3\xe9\n"), ErrInvalidVersion,
			`fixture line 2: package 0ad: Version: invalid version: "0.0.26-3\xe9"`},
		{"Version with a blank", replace(first, "Version: 0.0.26-3\n", "Version: 0.0 26-3\n"), ErrInvalidVersion,
			"fixture line 2: package 0ad: Version: invalid version"},
		{"Version with an empty revision", replace(first, "Version: 0.0.26-3\n", "Version: 0.0.26-\n"), ErrInvalidVersion,
			"fixture line 2: package 0ad: Version: invalid version"},
		{"Version with a non-numeric epoch", replace(first, "Version: 0.0.26-3\n", "Version: a:0.0.26-3\n"), ErrInvalidVersion,
			"fixture line 2: package 0ad: Version: invalid version"},
		{"invalid UTF-8 in Source", replace(first, "Package: 0ad\n", "Package: 0ad\nSource: 0ad\xa0src\n"), ErrInvalidName,
			`fixture line 2: package 0ad: Source: invalid package name: "0ad\xa0src"`},
		{"invalid Source version", replace(first, "Package: 0ad\n", "Package: 0ad\nSource: 0ad (1.0_\xff)\n"), ErrInvalidVersion,
			`fixture line 2: package 0ad: Source: invalid version: "1.0_\xff"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pr := NewPackagesReader(strings.NewReader(tt.input), "fixture")
			var err error
			for err == nil {
				_, err = pr.Next()
			}
			if err == io.EOF {
				t.Fatal("no error")
			}
			if !errors.Is(err, tt.kind) {
				t.Errorf("error %v is not %v", err, tt.kind)
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Errorf("error %v is not a *ParseError", err)
			}
			if !strings.HasPrefix(err.Error(), "deb: ") || !strings.Contains(err.Error(), tt.message) {
				t.Errorf("error %q does not contain %q", err, tt.message)
			}
		})
	}
}

// manyFields is n fields without a column, each named differently.
func manyFields(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "X-Field-%d: %d\n", i, i)
	}
	return b.String()
}

// TestPackagesErrorsBounded: a hostile value is quoted, cut and measured in
// the message rather than printed whole — a 120 KB version was.
func TestPackagesErrorsBounded(t *testing.T) {
	huge := strings.Repeat("9", 120<<10)
	for name, input := range map[string]string{
		"huge invalid version": "Package: a0\nVersion: " + huge + "!\nArchitecture: all\n",
		"huge package name":    "Package: " + strings.Repeat("N", 120<<10) + "\nVersion: 1\nArchitecture: all\n",
		"huge relation":        "Package: a0\nVersion: 1\nArchitecture: all\nDepends: a (>= " + huge + "!)\n",
		"huge Size":            "Package: a0\nVersion: 1\nArchitecture: all\nSize: " + huge + "x\n",
		"huge field name":      "Package: a0\nVersion: 1\nArchitecture: all\n" + strings.Repeat("F", 120<<10) + "\x01: 1\n",
		"huge Source":          "Package: a0\nVersion: 1\nArchitecture: all\nSource: a0 (" + huge + "\n",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := NewPackagesReader(strings.NewReader(input), "fixture").Next()
			if err == nil {
				t.Fatal("no error")
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

// TestPackagesTruncated cuts a real index in the middle of a stanza: the
// stanza is still complete up to the cut only if its required fields made it.
func TestPackagesTruncated(t *testing.T) {
	data, err := os.ReadFile(mainFixture)
	if err != nil {
		t.Fatal(err)
	}
	// Line 21 starts 0ad-data; cut after its Package line.
	cut := bytes.Index(data, []byte("Package: 0ad-data\n")) + len("Package: 0ad-data\n")
	pr := NewPackagesReader(bytes.NewReader(data[:cut]), "truncated")
	if p, err := pr.Next(); err != nil || p.Package != "0ad" {
		t.Fatalf("first stanza: %v, %v", p, err)
	}
	_, err = pr.Next()
	if !errors.Is(err, ErrMissingField) || !strings.Contains(err.Error(), "truncated line 21: package 0ad-data: Version") {
		t.Errorf("truncated stanza: got %v", err)
	}
	if _, err := pr.Next(); err != io.EOF {
		t.Errorf("after the truncated stanza: got %v, want io.EOF", err)
	}
}

// TestPackagesRecoverAfterStanzaError checks that a bad stanza does not stop
// the reader, while a limit error does.
func TestPackagesRecoverAfterStanzaError(t *testing.T) {
	in := "Package: a1\nVersion: 1\nArchitecture: all\nSize: x\n\n" +
		"Package: b1\nVersion: 1\nArchitecture: all\n\n" +
		"Package: c1\nVersion: 1\nArchitecture: all\nX: " + strings.Repeat("z", MaxLineSize+1) + "\n\n" +
		"Package: d1\nVersion: 1\nArchitecture: all\n"
	pr := NewPackagesReader(strings.NewReader(in), "")
	if _, err := pr.Next(); !errors.Is(err, ErrSyntax) || !strings.Contains(err.Error(), "deb: Packages line 4: package a1: Size") {
		t.Fatalf("stanza a: got %v", err)
	}
	if p, err := pr.Next(); err != nil || p.Package != "b1" {
		t.Fatalf("stanza b: got %v, %v", p, err)
	}
	for range 2 {
		if _, err := pr.Next(); !errors.Is(err, ErrLineTooLong) || !strings.Contains(err.Error(), "line 13:") {
			t.Fatalf("stanza c: got %v, want a sticky line 13 error", err)
		}
	}
}

// TestPackagesReadError passes the underlying reader's error through.
func TestPackagesReadError(t *testing.T) {
	boom := errors.New("boom")
	r := io.MultiReader(strings.NewReader("Package: a\nVersion: 1\n"), iotest.ErrReader(boom))
	_, err := NewPackagesReader(r, "x").Next()
	if !errors.Is(err, boom) || !strings.HasPrefix(err.Error(), "deb: x line 3: read: ") {
		t.Errorf("got %v", err)
	}
	var pe *ParseError
	if errors.As(err, &pe) {
		t.Errorf("a read error must not look like corrupt input: %v", err)
	}
}

// TestFullIndex reads the whole bookworm main/amd64 index when apt has it.
func TestFullIndex(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	path := decompressFullIndex(t)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := bytes.Count(append([]byte{'\n'}, data...), []byte("\nPackage: "))
	pkgs := readAll(t, bytes.NewReader(data), "main/binary-amd64/Packages")
	if len(pkgs) != want {
		t.Errorf("read %d packages, index has %d", len(pkgs), want)
	}
}

func TestIsLowerHex(t *testing.T) {
	for c := range 256 {
		want := '0' <= c && c <= '9' || 'a' <= c && c <= 'f'
		for _, pos := range []int{0, 5, 7, 8, 13, 16} {
			b := []byte(strings.Repeat("0123456789abcdef", 2)[:17])
			b[pos] = byte(c)
			if got := isLowerHex(string(b)); got != want {
				t.Errorf("byte %#x at %d: got %v, want %v", c, pos, got, want)
			}
		}
	}
}
