package deb

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/distroscope/distroscope/ecosystem/openpgp"
)

const (
	releaseFixture         = "testdata/bookworm.Release"
	securityReleaseFixture = "testdata/bookworm-security.Release"
)

func parseReleaseFile(t *testing.T, path string) *Release {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rel, err := ParseRelease(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return rel
}

func TestParseReleaseFixtures(t *testing.T) {
	t.Run("bookworm", func(t *testing.T) {
		rel := parseReleaseFile(t, releaseFixture)
		want := Release{
			Origin: "Debian", Label: "Debian", Suite: "oldstable", Version: "12.15", Codename: "bookworm",
			Description:   "Debian 12.15 Released 11 July 2026",
			Date:          time.Date(2026, time.July, 11, 10, 16, 37, 0, time.UTC),
			Architectures: []string{"all", "amd64", "arm64", "armel", "armhf", "i386", "mips64el", "mipsel", "ppc64el", "s390x"},
			Components:    []string{"main", "contrib", "non-free-firmware", "non-free"},
			AcquireByHash: true,
		}
		got := *rel
		got.Files = nil
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got  %+v\nwant %+v", got, want)
		}
		// 20 paths (grep -c in the MD5Sum section), each also in SHA256.
		if len(rel.Files) != 20 {
			t.Errorf("%d files, want 20", len(rel.Files))
		}
		if !slices.IsSortedFunc(rel.Files, func(a, b ReleaseFile) int { return strings.Compare(a.Path, b.Path) }) {
			t.Error("files not sorted by path")
		}
		for _, f := range rel.Files {
			if f.MD5 == "" || f.SHA256 == "" || f.SHA1 != "" || f.SHA512 != "" {
				t.Errorf("%s: hashes not merged as the fixture has them: %+v", f.Path, f)
			}
		}
		// Lines 24 and 45 of the fixture.
		wantFile := ReleaseFile{
			Path: "main/binary-amd64/Packages.xz", Size: 8790396,
			MD5:    "b838d31986207780a596ce3e8010f90f",
			SHA256: "9e0b5aabb2465b3d2e7a7fe27f9913846277833f7a2826e7767acccff5b588c5",
		}
		if f, ok := rel.File(wantFile.Path); !ok || f != wantFile {
			t.Errorf("File(%q) = %+v, %v; want %+v", wantFile.Path, f, ok, wantFile)
		}
		if f, ok := rel.File("main/binary-amd64/Packages.bz2"); ok {
			t.Errorf("File of an unlisted path = %+v", f)
		}
	})
	t.Run("bookworm-security", func(t *testing.T) {
		rel := parseReleaseFile(t, securityReleaseFixture)
		if want := time.Date(2026, time.November, 28, 0, 53, 2, 0, time.UTC); !rel.ValidUntil.Equal(want) {
			t.Errorf("ValidUntil = %v, want %v", rel.ValidUntil, want)
		}
		if want := time.Date(2026, time.November, 21, 0, 53, 2, 0, time.UTC); !rel.Date.Equal(want) {
			t.Errorf("Date = %v, want %v", rel.Date, want)
		}
		if rel.Suite != "oldstable-security" || rel.Codename != "bookworm-security" || rel.Label != "Debian-Security" {
			t.Errorf("suite %q codename %q label %q", rel.Suite, rel.Codename, rel.Label)
		}
		if want := []string{"updates/main", "updates/contrib", "updates/non-free-firmware", "updates/non-free"}; !reflect.DeepEqual(rel.Components, want) {
			t.Errorf("Components = %q", rel.Components)
		}
		if len(rel.Files) != 7 {
			t.Errorf("%d files, want 7", len(rel.Files))
		}
		want := ReleaseFile{Path: "main/source/Sources.xz", Size: 299236,
			SHA256: "5c295184ac5eb2db0a2ed6ffc0380c163f1b26367b2c3be6118dac8d78be7275"}
		if f, ok := rel.File(want.Path); !ok || f != want {
			t.Errorf("File(%q) = %+v, %v; want %+v", want.Path, f, ok, want)
		}
	})
}

func TestParseReleaseDate(t *testing.T) {
	base := time.Date(2026, time.July, 11, 10, 16, 37, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Time // zero: error
	}{
		{"Sat, 11 Jul 2026 10:16:37 UTC", base},
		{"Sat, 11 Jul 2026 10:16:37 GMT", base},
		{"Sat, 11 Jul 2026 10:16:37 +0000", base},
		{"Sat, 11 Jul 2026 12:16:37 +0200", base},
		{"Sat, 11 Jul 2026 05:46:37 -0430", base},
		{"11 Jul 2026 10:16:37 UTC", base},
		{"Wed, 1 Jul 2026 10:16:37 UTC", base.AddDate(0, 0, -10)},
		{"Sat, 11 Jul 2026 10:16:37 EST", time.Time{}},
		{"Sat, 11 Jul 2026 10:16:37", time.Time{}},
		{"2026-07-11T10:16:37Z", time.Time{}},
		{"Sat, 11 Jul 2026 25:16:37 UTC", time.Time{}},
		{"Sat, 11 Jul 2026 10:16:37 +2500", time.Time{}},
		{"Sat, 11 Jul 2026 10:16:37 +-100", time.Time{}},
	}
	for _, tt := range tests {
		got, err := parseReleaseDate(tt.in)
		if tt.want.IsZero() {
			if err == nil {
				t.Errorf("%q: got %v, want an error", tt.in, got)
			}
			continue
		}
		if err != nil || !got.Equal(tt.want) || got.Location() != time.UTC {
			t.Errorf("%q: got %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestParseReleaseCorrupt(t *testing.T) {
	data, err := os.ReadFile(releaseFixture)
	if err != nil {
		t.Fatal(err)
	}
	orig := string(data)
	replace := func(old, new string) string {
		if !strings.Contains(orig, old) {
			t.Fatalf("fixture lacks %q", old)
		}
		return strings.Replace(orig, old, new, 1)
	}
	const sha256Line = " 9e0b5aabb2465b3d2e7a7fe27f9913846277833f7a2826e7767acccff5b588c5  8790396 main/binary-amd64/Packages.xz"
	tests := []struct {
		name, input string
		kind        error
		message     string
	}{
		{"short hash", replace(" b838d31986207780a596ce3e8010f90f ", " b838d31986207780a596ce3e8010f90 "), ErrSyntax,
			"deb: Release line 24: MD5Sum: syntax error: \"b838d31986207780a596ce3e8010f90\" is 31 characters, want 32 hex digits"},
		{"SHA256 hash in MD5Sum", replace(" b838d31986207780a596ce3e8010f90f ", " 9e0b5aabb2465b3d2e7a7fe27f9913846277833f7a2826e7767acccff5b588c5 "), ErrSyntax,
			"deb: Release line 24: MD5Sum:"},
		{"uppercase hash", replace(" b838d31986207780a596ce3e8010f90f ", " B838D31986207780A596CE3E8010F90F "), ErrSyntax,
			"deb: Release line 24: MD5Sum: syntax error: \"B838D31986207780A596CE3E8010F90F\" is not lowercase hex"},
		{"bad size", replace(" 8790396 main/binary-amd64/Packages.xz", " 87903x6 main/binary-amd64/Packages.xz"), ErrSyntax,
			"deb: Release line 24: MD5Sum:"},
		// The SHA256 line (45) disagrees with the MD5Sum line (24).
		{"sizes differ between sections", replace(sha256Line, strings.Replace(sha256Line, "8790396", "8790397", 1)), ErrSyntax,
			"deb: Release line 45: SHA256: syntax error: main/binary-amd64/Packages.xz has size 8790397 here and 8790396 in another section"},
		{"missing path", replace(" 8790396 main/binary-amd64/Packages.xz", " 8790396"), ErrSyntax,
			"deb: Release line 24: MD5Sum: syntax error: want \"hash size path\", got 2 words"},
		{"path twice", replace(" 754e8e96d1ab9d53e17aca0b5ada2dcf  9491888 main/source/Sources.xz",
			" 754e8e96d1ab9d53e17aca0b5ada2dcf  9491888 main/source/Sources.xz\n 754e8e96d1ab9d53e17aca0b5ada2dcf  9491888 main/source/Sources.xz"), ErrSyntax,
			"deb: Release line 34: MD5Sum: syntax error: main/source/Sources.xz listed twice"},
		{"duplicate field", replace("Suite: oldstable\n", "Suite: oldstable\nsuite: stable\n"), ErrDuplicateField,
			"deb: Release line 4: suite: duplicate field (first on line 3)"},
		{"bad date", replace("Date: Sat, 11 Jul 2026 10:16:37 UTC", "Date: yesterday"), ErrSyntax,
			"deb: Release line 7: Date: syntax error: \"yesterday\""},
		{"bad boolean", replace("Acquire-By-Hash: yes", "Acquire-By-Hash: sometimes"), ErrSyntax,
			"deb: Release line 8: Acquire-By-Hash:"},
		{"second paragraph", orig + "\nOrigin: Other\n", ErrSyntax,
			"deb: Release line 56: syntax error: more than one paragraph"},
		{"empty", "\n\n", ErrSyntax, "deb: Release line 1: syntax error: empty"},
		{"NUL", replace("Codename: bookworm", "Codename: book\x00worm"), ErrNUL, "deb: Release line 5: NUL byte"},
		{"overlong line", replace("Description: Debian", "Description: "+strings.Repeat("D", MaxLineSize)), ErrLineTooLong,
			"deb: Release line 12: line too long"},
		{"too many fields", replace("Codename: bookworm\n", "Codename: bookworm\n"+manyFields(100000)), ErrTooManyFields,
			fmt.Sprintf("deb: Release line %d: too many fields: more than %d", MaxFields+1, MaxFields)},
		{"huge bad date", replace("Date: Sat, 11 Jul 2026 10:16:37 UTC", "Date: "+strings.Repeat("7", 5000)+" UTC"), ErrSyntax,
			`deb: Release line 7: Date: syntax error: "7777777777777777777777777777777777777777777777777777777777777777"…(5004 bytes) not a date`},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rel, err := ParseRelease(strings.NewReader(tt.input))
			if err == nil {
				t.Fatalf("no error; got %+v", rel)
			}
			if !errors.Is(err, tt.kind) {
				t.Errorf("error %v is not %v", err, tt.kind)
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Errorf("error %v is not a *ParseError", err)
			}
			if !strings.Contains(err.Error(), tt.message) {
				t.Errorf("error %q does not contain %q", err, tt.message)
			}
		})
	}
}

// endless yields newlines forever.
type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = '\n'
	}
	return len(p), nil
}

func TestParseReleaseTooLarge(t *testing.T) {
	data, err := os.ReadFile(releaseFixture)
	if err != nil {
		t.Fatal(err)
	}
	_, err = ParseRelease(io.MultiReader(bytes.NewReader(data), endless{}))
	if !errors.Is(err, ErrReleaseTooLarge) || !strings.HasPrefix(err.Error(), "deb: Release line ") {
		t.Errorf("got %v, want ErrReleaseTooLarge", err)
	}
	// Exactly at the limit is fine.
	padded := append(data, bytes.Repeat([]byte{'\n'}, MaxReleaseSize-len(data))...)
	if _, err := ParseRelease(bytes.NewReader(padded)); err != nil {
		t.Errorf("a Release of exactly MaxReleaseSize bytes: %v", err)
	}
}

// TestParseReleaseLarge: a Release's hash lists are one field each, as
// long as the file — Debian's main archive lists thousands of files, and
// each list runs to hundreds of KiB, past MaxFieldSize and MaxStanzaSize,
// which bound Packages stanzas and must not bound a Release.
func TestParseReleaseLarge(t *testing.T) {
	const files = 12000
	var b strings.Builder
	b.WriteString("Origin: Debian\nSuite: unstable\nCodename: sid\nDate: Sat, 05 Dec 2026 08:00:00 UTC\nArchitectures: amd64\nComponents: main\n")
	for _, h := range []struct{ name, digit string }{{"MD5Sum", "a"}, {"SHA256", "b"}} {
		fmt.Fprintf(&b, "%s:\n", h.name)
		for i := range files {
			size := 32
			if h.name == "SHA256" {
				size = 64
			}
			fmt.Fprintf(&b, " %s %8d main/i18n/Translation-%05d.bz2\n", strings.Repeat(h.digit, size), i, i)
		}
	}
	data := b.String()
	if sha, _, _ := strings.Cut(data[strings.Index(data, "SHA256:"):], "\n\n"); len(sha) <= MaxFieldSize || len(data) <= MaxStanzaSize {
		t.Fatalf("the SHA256 field is %d bytes, the Release %d: not past MaxFieldSize and MaxStanzaSize", len(sha), len(data))
	}
	rel, err := ParseRelease(strings.NewReader(data))
	if err != nil {
		t.Fatalf("a Release of %d bytes: %v", len(data), err)
	}
	if len(rel.Files) != files {
		t.Fatalf("%d files, want %d", len(rel.Files), files)
	}
	if f, ok := rel.File("main/i18n/Translation-11999.bz2"); !ok || f.Size != 11999 || f.SHA256 != strings.Repeat("b", 64) || f.MD5 != strings.Repeat("a", 32) {
		t.Errorf("last file = %+v, %v", f, ok)
	}

	// And the machine's own, when apt has any: real InRelease files.
	lists, _ := filepath.Glob("/var/lib/apt/lists/*_InRelease")
	for _, path := range lists {
		t.Run(filepath.Base(path), func(t *testing.T) {
			signed, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			body, err := openpgp.ExtractCleartext(signed)
			if err != nil {
				t.Fatal(err)
			}
			rel, err := ParseRelease(bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			if want := strings.Count(string(body), "\n "); len(rel.Files) == 0 || len(rel.Files) > want {
				t.Errorf("%d files of %d hash lines", len(rel.Files), want)
			}
		})
	}
}
