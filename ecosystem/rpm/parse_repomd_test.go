package rpm

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/distroscope/distroscope/ecosystem/openpgp"
)

// TestRepomdFixtures checks every record of every variant against the file
// it names: size and checksum as served, open-size and open-checksum once
// decompressed.
func TestRepomdFixtures(t *testing.T) {
	for _, v := range fixtureVariants(t) {
		t.Run(v.name, func(t *testing.T) {
			md := readRepomdFile(t, v.dir)
			rev, err := strconv.ParseInt(md.Revision, 10, 64)
			if err != nil {
				t.Fatalf("revision %q: %v", md.Revision, err)
			}
			types := map[string]bool{}
			for _, d := range md.Data {
				types[d.Type] = true
				data, err := os.ReadFile(filepath.Join(v.dir, d.Location))
				if err != nil {
					t.Fatalf("%s: %v", d.Type, err)
				}
				if d.Size != int64(len(data)) {
					t.Errorf("%s: size %d, file has %d bytes", d.Type, d.Size, len(data))
				}
				if got := hashOf(t, d.Checksum.Type, data); got != d.Checksum.Value {
					t.Errorf("%s: checksum %s, file has %s", d.Type, d.Checksum.Value, got)
				}
				open, err := io.ReadAll(decompress(t, d.Compression(), data))
				if err != nil {
					t.Fatalf("%s: %v", d.Type, err)
				}
				if d.OpenSize != int64(len(open)) {
					t.Errorf("%s: open-size %d, content has %d bytes", d.Type, d.OpenSize, len(open))
				}
				if got := hashOf(t, d.OpenChecksum.Type, open); got != d.OpenChecksum.Value {
					t.Errorf("%s: open-checksum %s, content has %s", d.Type, d.OpenChecksum.Value, got)
				}
				// createrepo_c ran with --set-timestamp-to-revision.
				if d.Timestamp.Unix() != rev {
					t.Errorf("%s: timestamp %v, revision %d", d.Type, d.Timestamp, rev)
				}
				if d.IsDatabase() != (d.DatabaseVersion == 10) { // createrepo's schema version
					t.Errorf("%s: database_version %d", d.Type, d.DatabaseVersion)
				}
				if !strings.HasPrefix(d.Location, "repodata/") || d.LocationBase != "" {
					t.Errorf("%s: location %q base %q", d.Type, d.Location, d.LocationBase)
				}
			}
			for _, typ := range []string{"filelists", "other"} {
				if !types[typ] {
					t.Errorf("no %s record", typ)
				}
			}
			prim, ok := md.Primary()
			switch {
			case !ok:
				t.Error("no primary data")
			case types["primary"] && prim.Type != "primary":
				t.Errorf("Primary() chose %s over the XML", prim.Type)
			case !types["primary"] && prim.Type != "primary_db":
				t.Errorf("Primary() chose %s", prim.Type)
			}
		})
	}
}

// TestRepomdVariantsDiffer checks what each createrepo_c option made, so
// that the variants really cover what they are named for.
func TestRepomdVariantsDiffer(t *testing.T) {
	compression := func(v, typ string) string {
		dir := fixtureRepo
		if v != "default" {
			dir = filepath.Join("testdata/variants", v)
		}
		d, ok := readRepomdFile(t, dir).Find(typ)
		if !ok {
			return "absent"
		}
		return d.Compression()
	}
	for _, tt := range []struct{ variant, typ, want string }{
		{"default", "primary", "gz"}, {"default", "primary_db", "bz2"},
		{"compress-gz", "primary", "gz"}, {"compress-gz", "primary_db", "gz"},
		{"compress-xz", "primary", "gz"}, {"compress-xz", "primary_db", "xz"},
		{"general-xz", "primary", "xz"}, {"general-xz", "primary_db", "xz"},
		{"no-database", "primary", "gz"}, {"no-database", "primary_db", "absent"},
		{"sqlite-only", "primary", "absent"}, {"sqlite-only", "primary_db", "bz2"},
	} {
		if got := compression(tt.variant, tt.typ); got != tt.want {
			t.Errorf("%s %s: %s, want %s", tt.variant, tt.typ, got, tt.want)
		}
	}
	sha := readRepomdFile(t, "testdata/variants/sha512")
	for _, d := range sha.Data {
		if d.Checksum.Type != "sha512" || len(d.Checksum.Value) != 128 {
			t.Errorf("sha512 variant: %s checksum %+v", d.Type, d.Checksum)
		}
	}
}

func fixtureRepomd(t testing.TB) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(fixtureRepo, "repodata", "repomd.xml"))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestRepomdCorrupt(t *testing.T) {
	good := fixtureRepomd(t)
	primaryRecord := good[strings.Index(good, `<data type="primary">`):]
	primaryRecord = primaryRecord[:strings.Index(primaryRecord, "</data>")+len("</data>")]
	tests := []struct {
		name, input string
		want        error
		element     string
	}{
		{"unknown checksum type", replaceOnce(t, good, `<checksum type="sha256">`, `<checksum type="crc32">`), ErrChecksum, `data type="primary"/checksum`},
		{"short checksum", replaceOnce(t, good, `</checksum>`, `0</checksum>`), ErrChecksum, `data type="primary"/checksum`},
		{"bad open-checksum", replaceOnce(t, good, `<open-checksum type="sha256">`, `<open-checksum type="sha256">x`), ErrChecksum, `data type="primary"/open-checksum`},
		{"no checksum", replaceOnce(t, replaceOnce(t, good, `<checksum type="sha256">`, `<ignored type="sha256">`), `</checksum>`, `</ignored>`), ErrMissing, `data type="primary"/checksum`},
		{"no location", replaceOnce(t, good, `<location href=`, `<location hrex=`), ErrMissing, `data type="primary"/location`},
		{"no type", replaceOnce(t, good, `<data type="primary">`, `<data>`), ErrMissing, `data type=""`},
		{"size not a number", replaceOnce(t, good, `<size>`, `<size>x`), ErrSyntax, `data type="primary"/size`},
		{"negative open-size", replaceOnce(t, good, `<open-size>`, `<open-size>-`), ErrSyntax, `data type="primary"/open-size`},
		{"bad timestamp", replaceOnce(t, good, `<timestamp>`, `<timestamp>soon`), ErrSyntax, `data type="primary"/timestamp`},
		{"two checksums", replaceOnce(t, good, `<open-checksum`, `<checksum type="sha256">`+strings.Repeat("0", 64)+`</checksum><open-checksum`), ErrDuplicate, `data type="primary"/checksum`},
		{"duplicate record", replaceOnce(t, good, `<data type="primary">`, primaryRecord+`<data type="primary">`), ErrDuplicate, `data type="primary"`},
		{"truncated", good[:len(good)/2], ErrSyntax, ""},
		{"wrong root", strings.Replace(strings.Replace(good, "<repomd ", "<repo ", 1), "</repomd>", "</repo>", 1), ErrSyntax, "repo"},
		{"oversized", replaceOnce(t, good, `<revision>`, `<revision>`+strings.Repeat(" ", MaxRepomdSize)), ErrTooLarge, "revision"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			md, err := ParseRepomd(strings.NewReader(tt.input), "repodata/repomd.xml")
			var pe *ParseError
			if !errors.As(err, &pe) || !errors.Is(err, tt.want) {
				t.Fatalf("ParseRepomd = %v, %v; want a *ParseError wrapping %v", md, err, tt.want)
			}
			if !strings.HasPrefix(err.Error(), "rpmmd: repodata/repomd.xml line ") || pe.Line < 1 {
				t.Errorf("error %q does not name the file and line", err)
			}
			if tt.element != "" && pe.Element != tt.element {
				t.Errorf("error %q names %q, want %q", err, pe.Element, tt.element)
			}
		})
	}
}

// TestRepomdTolerates checks what repomd.xml may also hold: zchunk records
// (dropped), tags, unknown elements, a fractional timestamp as old yum
// createrepo wrote, the legacy checksum type "sha", an xml:base.
func TestRepomdTolerates(t *testing.T) {
	good := fixtureRepomd(t)
	want, err := ParseRepomd(strings.NewReader(good), "")
	if err != nil {
		t.Fatal(err)
	}
	zck := `<data type="primary_zck"><checksum type="sha256">` + strings.Repeat("a", 64) + `</checksum>` +
		`<header-checksum type="sha256">` + strings.Repeat("b", 64) + `</header-checksum><header-size>100</header-size>` +
		`<location href="repodata/primary.xml.zck"/></data>`
	text := replaceOnce(t, good, "<revision>", `<tags><content>binary-x86_64</content></tags><future/>`+zck+"<revision>")
	got, err := ParseRepomd(strings.NewReader(text), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Data) != len(want.Data) || got.Revision != want.Revision {
		t.Fatalf("%d records, revision %q; want %d, %q", len(got.Data), got.Revision, len(want.Data), want.Revision)
	}
	ts := want.Data[0].Timestamp.Unix()
	legacy := replaceOnce(t, good, "<timestamp>"+strconv.FormatInt(ts, 10)+"</timestamp>", "<timestamp>"+strconv.FormatInt(ts, 10)+".25</timestamp>")
	legacy = replaceOnce(t, legacy, `<checksum type="sha256">`+want.Data[0].Checksum.Value, `<checksum type="sha">`+strings.ToUpper(strings.Repeat("ab", 20)))
	legacy = replaceOnce(t, legacy, `<location href=`, `<location xml:base="https://example.org/mirror/" href=`)
	got, err = ParseRepomd(strings.NewReader(legacy), "")
	if err != nil {
		t.Fatal(err)
	}
	d := got.Data[0]
	if !d.Timestamp.Equal(want.Data[0].Timestamp) || d.Checksum != (Checksum{"sha1", strings.Repeat("ab", 20)}) ||
		d.LocationBase != "https://example.org/mirror/" || d.Location != want.Data[0].Location {
		t.Errorf("legacy record read as %+v", d)
	}
}

func TestRepomdReaderFailure(t *testing.T) {
	boom := errors.New("stalled")
	_, err := ParseRepomd(&failingReader{data: []byte(fixtureRepomd(t)[:100]), err: boom}, "")
	if !errors.Is(err, boom) || errors.As(err, new(*ParseError)) {
		t.Fatalf("error %v: want the reader's error, not a *ParseError", err)
	}
}

func TestVerifySignature(t *testing.T) {
	repomd := []byte(fixtureRepomd(t))
	sig, err := os.ReadFile(filepath.Join(fixtureRepo, "repodata", SignatureName))
	if err != nil {
		t.Fatal(err)
	}
	kr, err := openpgp.LoadKeyring([]string{"testdata/fixture-signing-key.asc"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	fprs := kr.Fingerprints()
	if len(fprs) != 1 {
		t.Fatalf("fixture keyring holds %d keys", len(fprs))
	}
	res, err := VerifySignature(repomd, sig, kr, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Good) != 1 || res.Good[0] != fprs[0] {
		t.Errorf("good signers %v, want %v", res.Good, fprs)
	}

	tampered := bytes.Replace(repomd, []byte("<revision>"), []byte("<revision>1"), 1)
	if _, err := VerifySignature(tampered, sig, kr, time.Now()); !errors.Is(err, openpgp.ErrBadSignature) {
		t.Errorf("tampered repomd.xml: %v, want ErrBadSignature", err)
	}
	if _, err := VerifySignature(repomd, sig, &openpgp.Keyring{}, time.Now()); !errors.Is(err, openpgp.ErrNoTrustedSignature) {
		t.Errorf("empty keyring: %v, want ErrNoTrustedSignature", err)
	}
	if _, err := VerifySignature(repomd, nil, kr, time.Now()); !errors.Is(err, openpgp.ErrUnsigned) ||
		!strings.HasPrefix(err.Error(), "rpmmd: "+SignatureName+": ") {
		t.Errorf("no signature: %v, want ErrUnsigned naming %s", err, SignatureName)
	}
}
