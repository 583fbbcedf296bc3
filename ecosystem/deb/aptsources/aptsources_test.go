package aptsources

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const (
	mirror      = "http://mirror.example.org/debian"
	archiveKeys = "/usr/share/keyrings/debian-archive-keyring.gpg"
)

func parseFile(t *testing.T, path string) ([]Entry, error) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if strings.HasSuffix(path, ".sources") {
		return ParseSources(f, path)
	}
	return ParseList(f, path)
}

func TestParseFixtures(t *testing.T) {
	dir := filepath.Join("testdata", "root", "etc", "apt", "sources.list.d")
	inlineKey, err := os.ReadFile(filepath.Join("testdata", "debian-archive-bookworm-security-automatic.asc"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		file string
		want []Entry
	}{
		{
			// The machine's own debian.sources, mirror host replaced.
			file: filepath.Join(dir, "debian.sources"),
			want: []Entry{
				{Types: []string{"deb"}, URIs: []string{mirror}, Suites: []string{"bookworm", "bookworm-updates"},
					Components: []string{"main"}, SignedBy: []string{archiveKeys}, Line: 1},
				{Types: []string{"deb"}, URIs: []string{mirror + "-security"}, Suites: []string{"bookworm-security"},
					Components: []string{"main"}, SignedBy: []string{archiveKeys}, Line: 8},
			},
		},
		{
			file: filepath.Join(dir, "inline-key.sources"),
			want: []Entry{
				{Types: []string{"deb", "deb-src"}, URIs: []string{mirror + "-security"}, Suites: []string{"bookworm-security"},
					Components: []string{"main", "contrib"}, Architectures: []string{"amd64", "arm64"},
					SignedByInline: inlineKey, Line: 1},
			},
		},
		{
			file: filepath.Join(dir, "disabled.sources"),
			want: nil,
		},
		{
			file: filepath.Join(dir, "local.list"),
			want: []Entry{
				{Types: []string{"deb"}, URIs: []string{"file:/srv/local-repo"}, Suites: []string{"./"}, Trusted: true, Line: 2},
				{Types: []string{"deb"}, URIs: []string{"https://mirror.example.org/apt"}, Suites: []string{"stable"},
					Components: []string{"main"}, Architectures: []string{"amd64", "arm64"},
					SignedBy: []string{"/usr/share/keyrings/example-archive-keyring.gpg"},
					Options:  map[string]string{"Languages": "en"}, Line: 3},
				{Types: []string{"deb"}, URIs: []string{"http://mirror.example.org/extra"}, Suites: []string{"bookworm"},
					Components:           []string{"extra"},
					SignedByFingerprints: []string{"9A2F8C1D4E5B6A7081920A3B4C5D6E7F80912A3B!"},
					Options:              map[string]string{"Architectures-Add": "i386"}, Line: 4},
			},
		},
		{
			file: filepath.Join("testdata", "cdrom.list"),
			want: []Entry{
				{Types: []string{"deb"}, URIs: []string{"cdrom:[Debian GNU/Linux 12.5.0 _Bookworm_ - Official amd64 DVD Binary-1 20240210-11:28]/"},
					Suites: []string{"bookworm"}, Components: []string{"contrib", "main"}, Line: 1},
			},
		},
		{
			file: filepath.Join("testdata", "snapshot.sources"),
			want: []Entry{
				{Types: []string{"deb"}, URIs: []string{mirror}, Suites: []string{"trixie", "trixie-updates"},
					Components: []string{"main"},
					SignedBy:   []string{archiveKeys, "/usr/share/keyrings/debian-archive-removed-keys.gpg"},
					Options:    map[string]string{"Check-Valid-Until": "no", "Snapshot": "20250520T000000Z"}, Line: 1},
				{Types: []string{"deb-src"}, URIs: []string{mirror}, Suites: []string{"trixie"}, Components: []string{"main"}, Line: 12},
			},
		},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			got, err := parseFile(t, tt.file)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			for i := range tt.want {
				tt.want[i].File = tt.file
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("entries differ\n got: %+v\nwant: %+v", got, tt.want)
			}
		})
	}
}

// TestParseMalformed checks that each bad entry is reported with its file
// and line while the good entries around it are kept.
func TestParseMalformed(t *testing.T) {
	tests := []struct {
		file      string
		wantLines []int    // lines of the entries kept
		wantErrs  []string // substrings, one per bad entry, in order
	}{
		{
			file:      filepath.Join("testdata", "bad", "bad.list"),
			wantLines: []int{1, 9},
			wantErrs: []string{
				"bad.list line 2: \"deb\" entry needs a URI and a suite",
				"bad.list line 3: unknown type \"rpm\"",
				"bad.list line 4: options of \"deb\" are not closed",
				"bad.list line 5: URI \"mirror.example.org/debian\" has no scheme",
				"bad.list line 6: suite \"bookworm\" has no components",
				"bad.list line 7: Signed-By \"keyring.gpg\" is neither an absolute path nor a fingerprint",
				"bad.list line 8: suite \"./\" is an exact path and takes no components",
			},
		},
		{
			file:      filepath.Join("testdata", "bad", "bad.sources"),
			wantLines: []int{1, 33},
			wantErrs: []string{
				"bad.sources line 8: line \"Suites bookworm\" is not a \"Field: value\" line",
				"bad.sources line 11: no URI",
				"bad.sources line 15: Enabled is \"maybe\"",
				"bad.sources line 23: field Types given twice",
				"bad.sources line 27: Trusted is \"perhaps\"",
			},
		},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			got, err := parseFile(t, tt.file)
			var lines []int
			for _, e := range got {
				lines = append(lines, e.Line)
			}
			if !reflect.DeepEqual(lines, tt.wantLines) {
				t.Errorf("kept entries at lines %v, want %v", lines, tt.wantLines)
			}
			if err == nil {
				t.Fatal("no error")
			}
			msgs := strings.Split(err.Error(), "\n")
			if len(msgs) != len(tt.wantErrs) {
				t.Fatalf("got %d errors, want %d:\n%v", len(msgs), len(tt.wantErrs), err)
			}
			for i, want := range tt.wantErrs {
				if !strings.HasPrefix(msgs[i], "aptsources: ") || !strings.Contains(msgs[i], want) {
					t.Errorf("error %d = %q, want it to contain %q", i, msgs[i], want)
				}
			}
		})
	}
}

func TestLoad(t *testing.T) {
	root := filepath.Join("testdata", "root")
	entries, err := Load(root)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	type where struct {
		file string
		line int
	}
	var got []where
	for _, e := range entries {
		rel, err := filepath.Rel(root, e.File)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, where{filepath.ToSlash(rel), e.Line})
	}
	// sources.list first, then the parts in name order; disabled stanzas,
	// *.save and *.disabled-by-farm files are skipped.
	want := []where{
		{"etc/apt/sources.list", 3}, {"etc/apt/sources.list", 4}, {"etc/apt/sources.list", 6},
		{"etc/apt/sources.list", 7}, {"etc/apt/sources.list", 10}, {"etc/apt/sources.list", 11},
		{"etc/apt/sources.list.d/debian.sources", 1}, {"etc/apt/sources.list.d/debian.sources", 8},
		{"etc/apt/sources.list.d/inline-key.sources", 1},
		{"etc/apt/sources.list.d/local.list", 2}, {"etc/apt/sources.list.d/local.list", 3},
		{"etc/apt/sources.list.d/local.list", 4},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Load read\n%v\nwant\n%v", got, want)
	}

	e, uri, ok := Find(entries, "bookworm-updates")
	if !ok || uri != "http://mirror.example.org/debian/" || e.File != filepath.Join(root, "etc", "apt", "sources.list") || e.Line != 10 {
		t.Errorf("Find(bookworm-updates) = %s:%d %q %v, want sources.list:10", e.File, e.Line, uri, ok)
	}
	if _, _, ok := Find(entries, "bookworm-backports"); ok {
		t.Error("Find found bookworm-backports, which is only in a disabled stanza")
	}
	if _, _, ok := Find(entries, "cloud-sdk-bookworm"); ok {
		t.Error("Find found cloud-sdk-bookworm, which is only in a .disabled-by-farm file")
	}
}

func TestLoadMissingRoot(t *testing.T) {
	entries, err := Load(t.TempDir())
	if err != nil || len(entries) != 0 {
		t.Errorf("Load(empty root) = %v, %v; want nothing and no error", entries, err)
	}
}

func TestFindSkipsSourceOnlyEntries(t *testing.T) {
	entries, err := ParseList(strings.NewReader(
		"deb-src http://mirror.example.org/src bookworm main\ndeb http://mirror.example.org/bin bookworm main\n"), "x.list")
	if err != nil {
		t.Fatal(err)
	}
	if _, uri, ok := Find(entries, "bookworm"); !ok || uri != "http://mirror.example.org/bin" {
		t.Errorf("Find = %q, %v; want the deb entry", uri, ok)
	}
}

func TestLimits(t *testing.T) {
	long := "deb http://mirror.example.org/" + strings.Repeat("a", MaxLineLen) + " bookworm main\n"
	if _, err := ParseList(strings.NewReader(long), "long.list"); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "long.list line 1") {
		t.Errorf("long line: err = %v, want ErrTooLarge naming long.list line 1", err)
	}
	huge := bytes.Repeat([]byte("# comment\n"), MaxFileSize/10+1)
	if _, err := ParseSources(bytes.NewReader(huge), "huge.sources"); !errors.Is(err, ErrTooLarge) {
		t.Errorf("huge file: err = %v, want ErrTooLarge", err)
	}
}

func FuzzParse(f *testing.F) {
	for _, p := range []string{
		"testdata/root/etc/apt/sources.list",
		"testdata/root/etc/apt/sources.list.d/debian.sources",
		"testdata/root/etc/apt/sources.list.d/inline-key.sources",
		"testdata/root/etc/apt/sources.list.d/local.list",
		"testdata/cdrom.list",
		"testdata/snapshot.sources",
		"testdata/bad/bad.list",
		"testdata/bad/bad.sources",
	} {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, parse := range []func() ([]Entry, error){
			func() ([]Entry, error) { return ParseList(bytes.NewReader(data), "fuzz.list") },
			func() ([]Entry, error) { return ParseSources(bytes.NewReader(data), "fuzz.sources") },
		} {
			entries, _ := parse()
			for _, e := range entries {
				// Every entry returned must be usable as buildEntry promised.
				if len(e.Types) == 0 || len(e.URIs) == 0 || len(e.Suites) == 0 || e.Line < 1 {
					t.Fatalf("incomplete entry %+v", e)
				}
				if _, uri, ok := Find([]Entry{e}, e.Suites[0]); ok && uri != e.URIs[0] {
					t.Fatalf("Find returned %q, want %q", uri, e.URIs[0])
				}
			}
		}
	})
}
