package formats_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/distroscope/distroscope/repo"
	"github.com/distroscope/distroscope/repo/formats"
	"github.com/distroscope/distroscope/repo/formats/formatstest"
)

const rpmFixture = "../../ecosystem/rpm/testdata/repo"

// rpmSpec is the rpm fixture repository served at mirror.
func rpmSpec(mirror string, withFiles bool) repo.Spec {
	return repo.Spec{Format: repo.FormatRPMMD, Distro: "fixture-rpm", Mirror: mirror, Suite: "1", URLTemplate: "{mirror}",
		Components: []string{"Everything"}, Architectures: []string{"x86_64"}, WithFiles: withFiles}
}

// copyTree copies a fixture folder so that a test may damage it.
func copyTree(t *testing.T, from string) string {
	t.Helper()
	to := t.TempDir()
	err := filepath.Walk(from, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Join(to, filepath.Dir(rel)), 0o755); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return to
}

// TestRPMMDUncompressedChecks: what repomd.xml says of the decompressed
// primary and filelists (open-size, open-checksum) is what they must
// decompress to, as apt's Release vouches for a plain Packages.
func TestRPMMDUncompressedChecks(t *testing.T) {
	const (
		primaryOpen   = "d09f51c0c5ef9cc3695ea773f5121c90999590e560eef5d2e27ba1e3d6167463"
		filelistsOpen = "0dc45e24eeee60a5a3d8ef60ed33c0dcf3262e88d407081d9fb72b95bc315069"
		wrong         = "5555555555555555555555555555555555555555555555555555555555555555"
	)
	rel, err := formats.RPMMD{}.Resolve(testContext(t), repo.DefaultFetcher(), rpmSpec(formatstest.Serve(t, rpmFixture), true), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	ix := rel.Indexes[0]
	if ix.UncompressedSize != 8096 || ix.UncompressedSHA256 != primaryOpen {
		t.Errorf("primary: uncompressed %d bytes, SHA256 %q; want repomd.xml's 8096, %s", ix.UncompressedSize, ix.UncompressedSHA256, primaryOpen)
	}
	if ix.Extra["filelists_open_size"] != "1536" || ix.Extra["filelists_open_sha256"] != filelistsOpen {
		t.Errorf("filelists: open size %q, SHA256 %q; want repomd.xml's 1536, %s", ix.Extra["filelists_open_size"], ix.Extra["filelists_open_sha256"], filelistsOpen)
	}

	tests := []struct {
		name, old, new string
		file           string // the URL the error names, by its suffix
		words          []string
	}{
		{name: "primary open-checksum", old: "<open-checksum type=\"sha256\">" + primaryOpen, new: "<open-checksum type=\"sha256\">" + wrong,
			file: "primary.xml.gz", words: []string{primaryOpen, wrong}},
		{name: "primary open-size over the limit", old: "<open-size>8096</open-size>", new: "<open-size>5000000000</open-size>",
			file: "primary.xml.gz", words: []string{"5000000000", "limit"}},
		{name: "filelists open-checksum", old: "<open-checksum type=\"sha256\">" + filelistsOpen, new: "<open-checksum type=\"sha256\">" + wrong,
			file: "filelists.xml.gz", words: []string{filelistsOpen, wrong}},
		{name: "filelists open-size", old: "<open-size>1536</open-size>", new: "<open-size>100</open-size>",
			file: "filelists.xml.gz", words: []string{"more than 100 bytes"}},
		{name: "filelists open-size over the limit", old: "<open-size>1536</open-size>", new: "<open-size>5000000000</open-size>",
			file: "filelists.xml.gz", words: []string{"5000000000", "limit"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := copyTree(t, rpmFixture)
			md := filepath.Join(root, "repodata", "repomd.xml")
			data, err := os.ReadFile(md)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(data), tt.old) {
				t.Fatalf("repomd.xml has no %q", tt.old)
			}
			if err := os.WriteFile(md, []byte(strings.Replace(string(data), tt.old, tt.new, 1)), 0o644); err != nil {
				t.Fatal(err)
			}
			rel, err := formats.RPMMD{}.Resolve(testContext(t), repo.DefaultFetcher(), rpmSpec(formatstest.Serve(t, root), true), time.Now())
			if err != nil {
				t.Fatal(err)
			}
			ix := rel.Indexes[0]
			_, err = repo.Ingest(testContext(t), repo.DefaultFetcher(), ix, formats.RPMMD{}.Parse, io.Discard, repo.IngestOptions{})
			if err == nil || !errors.Is(err, repo.ErrCorrupt) {
				t.Fatalf("error %v, want one wrapping ErrCorrupt", err)
			}
			for _, w := range append([]string{tt.file}, tt.words...) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

// TestPassThroughLimit: APKINDEX and pacman databases pass through Ingest
// undecoded and are decompressed by their readers, which the ingest's
// limit bounds all the same.
func TestPassThroughLimit(t *testing.T) {
	for _, tt := range []struct {
		format repo.Format
		root   string
		index  string
	}{
		{repo.FormatAPK, "../../ecosystem/apk/testdata", "alpine-3.18-aarch64.APKINDEX.tar.gz"},
		{repo.FormatALPM, "../../ecosystem/alpm/testdata/repo", "fixture.db.tar.gz"},
	} {
		t.Run(string(tt.format), func(t *testing.T) {
			src, err := formats.For(tt.format)
			if err != nil {
				t.Fatal(err)
			}
			spec := repo.Spec{Format: tt.format, Distro: "fixture", Mirror: formatstest.Serve(t, tt.root), Suite: "x",
				URLTemplate: "{mirror}/" + tt.index, Components: []string{"main"}, Architectures: []string{"x86_64"}}
			rel, err := src.Resolve(testContext(t), repo.DefaultFetcher(), spec, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			// Room for the file as served (under 2 KB), not for what it
			// decompresses to (6.5 and 10 KB).
			_, err = repo.Ingest(testContext(t), repo.DefaultFetcher(), rel.Indexes[0], src.Parse, io.Discard, repo.IngestOptions{MaxUncompressed: 3000})
			if !errors.Is(err, repo.ErrCorrupt) || !strings.Contains(err.Error(), "3000 bytes") {
				t.Errorf("error %v, want ErrCorrupt for more than 3000 bytes decompressed", err)
			}
		})
	}
}

// TestAptHugeOrigin: a Release whose Origin is 5,000 bytes fails, saying
// so once and briefly (it was printed twice, whole).
func TestAptHugeOrigin(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "dists", "hostile")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	release := "Origin: " + strings.Repeat("O", 5000) + "\nCodename: hostile\nDate: Sat, 11 Jul 2026 10:16:37 UTC\nArchitectures: amd64\nComponents: main\n" +
		"SHA256:\n 0000000000000000000000000000000000000000000000000000000000000000 1 main/binary-amd64/Packages\n"
	if err := os.WriteFile(filepath.Join(dir, "Release"), []byte(release), 0o644); err != nil {
		t.Fatal(err)
	}
	spec := repo.Spec{Mirror: formatstest.Serve(t, root), Suite: "hostile", Components: []string{"main"}, Architectures: []string{"amd64"}, AllowUnsigned: true}
	_, err := formats.Apt{}.Resolve(testContext(t), repo.DefaultFetcher(), spec, time.Now())
	if !errors.Is(err, repo.ErrCorrupt) {
		t.Fatalf("error %v, want ErrCorrupt", err)
	}
	if msg := err.Error(); len(msg) > 400 || strings.Count(msg, `"OOOO`) != 1 || !strings.Contains(msg, "5000 bytes") {
		t.Errorf("error is %d bytes, quoting the Origin %d times: %.600s", len(msg), strings.Count(msg, `"OOOO`), msg)
	}
}
