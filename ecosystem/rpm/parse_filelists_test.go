package rpm

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/distroscope/distroscope/ecosystem/rpm/rpmtest"
)

func fixtureFilelists(t testing.TB) string {
	t.Helper()
	md := readRepomdFile(t, fixtureRepo)
	rec, ok := md.Find("filelists")
	if !ok {
		t.Fatal("no filelists")
	}
	data, err := io.ReadAll(openRecord(t, fixtureRepo, rec))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestFilelistsMatchOracle(t *testing.T) {
	doc := rpmtest.Load(t)
	r := NewFilelistsReader(strings.NewReader(fixtureFilelists(t)), "")
	n := 0
	for {
		fl, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
		var want *Package
		for _, o := range doc.Packages {
			if o.SHA256 == fl.PkgID {
				p := expectedPackage(t, doc, o)
				want = &p
			}
		}
		if want == nil {
			t.Errorf("pkgid %s is no package of the repository", fl.PkgID)
			continue
		}
		if fl.Name != want.Name || fl.Arch != want.Arch || fl.Version != want.Version || fl.Line < 1 {
			t.Errorf("%s: %s.%s %v line %d, want %s.%s %v", fl.PkgID, fl.Name, fl.Arch, fl.Version, fl.Line, want.Name, want.Arch, want.Version)
		}
		if fmt.Sprint(fl.Files) != fmt.Sprint(want.Files) {
			t.Errorf("%s: files %v, want %v", fl.Name, fl.Files, want.Files)
		}
	}
	if n != len(doc.Packages) {
		t.Errorf("%d file lists, %d packages", n, len(doc.Packages))
	}
}

func TestFilelistsCorrupt(t *testing.T) {
	good := fixtureFilelists(t)
	n := strings.Count(good, "<package ")
	count := fmt.Sprintf(`packages="%d"`, n)
	tests := []struct {
		name     string
		input    string
		want     error
		element  string
		recovers bool
	}{
		{"truncated", good[:len(good)*2/3], ErrSyntax, "", false},
		{"count too high", replaceOnce(t, good, count, fmt.Sprintf(`packages="%d"`, n+1)), ErrCount, "filelists", false},
		{"pkgid not hex", replaceOnce(t, good, `pkgid="`, `pkgid="zz`), ErrChecksum, "package@pkgid", true},
		{"no pkgid", replaceOnce(t, good, `pkgid="`, `id="`), ErrMissing, "package@pkgid", true},
		{"no name", replaceOnce(t, good, ` name="`, ` nom="`), ErrMissing, "package@name", true},
		{"no arch", replaceOnce(t, good, ` arch="`, ` arc="`), ErrMissing, "package@arch", true},
		{"no version", replaceOnce(t, good, `<version `, `<versio `), ErrMissing, "version", true},
		{"bad version", replaceOnce(t, good, `<version epoch="0"`, `<version epoch="-1"`), ErrVersion, "version", true},
		{"empty file", replaceOnce(t, good, `<file>/usr`, `<file></file><file>/usr`), ErrMissing, "file", true},
		{"oversized path", replaceOnce(t, good, `<file>/usr`, `<file>/usr`+strings.Repeat("/x", MaxTextSize)), ErrTooLarge, "file", true},
		{"wrong root", strings.Replace(good, "<filelists ", "<primary ", 1), ErrSyntax, "primary", false},
		{"too many files", replaceOnce(t, good, `<file>/usr`, strings.Repeat(`<file>f</file>`, MaxFiles)+`<file>/usr`), ErrTooMany, "file", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewFilelistsReader(strings.NewReader(tt.input), "repodata/filelists.xml")
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
					break
				}
			}
			var pe *ParseError
			if !errors.As(firstErr, &pe) || !errors.Is(firstErr, tt.want) {
				t.Fatalf("error %v, want a *ParseError wrapping %v", firstErr, tt.want)
			}
			if !strings.HasPrefix(firstErr.Error(), "rpmmd: repodata/filelists.xml line ") {
				t.Errorf("error %q does not name the file and line", firstErr)
			}
			if tt.element != "" && pe.Element != tt.element {
				t.Errorf("error %q names %q, want %q", firstErr, pe.Element, tt.element)
			}
			if tt.recovers && (errs != 1 || read != n-1) {
				t.Errorf("%d errors and %d read, want 1 and %d", errs, read, n-1)
			}
		})
	}
}

// TestJoinMismatch joins the fixture primary with filelists that disagree
// with it in one way each.
func TestJoinMismatch(t *testing.T) {
	primary, good := fixturePrimary(t), fixtureFilelists(t)
	n := strings.Count(good, "<package ")
	start := strings.Index(good, "<package ")
	end := strings.Index(good, "</package>") + len("</package>\n")
	first := good[start:end]
	count := fmt.Sprintf(`packages="%d"`, n)
	i := strings.Index(good, `pkgid="`) + len(`pkgid="`)
	id := good[i : i+64]
	tests := []struct {
		name, filelists string
		want            error
	}{
		{"other pkgid", replaceOnce(t, good, id, strings.Repeat("0", 64)), ErrMismatch},
		{"one package fewer", replaceOnce(t, strings.Replace(good, first, "", 1), count, fmt.Sprintf(`packages="%d"`, n-1)), ErrMismatch},
		{"one package more", replaceOnce(t, strings.Replace(good, "</filelists>", first+"</filelists>", 1), count, fmt.Sprintf(`packages="%d"`, n+1)), ErrMismatch},
		{"corrupt filelists", good[:len(good)/2], ErrSyntax},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := JoinFilelists(NewPrimaryReader(strings.NewReader(primary), "primary.xml"),
				NewFilelistsReader(strings.NewReader(tt.filelists), "filelists.xml"))
			var err error
			for i := 0; i <= n+1 && err == nil; i++ {
				_, err = j.Next()
			}
			if !errors.Is(err, tt.want) || !strings.HasPrefix(err.Error(), "rpmmd: filelists.xml") {
				t.Fatalf("join error %v, want %v naming filelists.xml", err, tt.want)
			}
			if _, again := j.Next(); again != err {
				t.Errorf("after the error: %v", again)
			}
		})
	}
}
