package formatstest_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distroscope/distroscope/repo/formats/formatstest"
)

// TestFixtureMatchesRelease: every file the signed Release lists is in the
// repository, and under by-hash, with the size and hash it states.
func TestFixtureMatchesRelease(t *testing.T) {
	rel := formatstest.Release(t)
	root := formatstest.Path(t, "repo")
	if len(rel.Files) == 0 {
		t.Fatal("the Release lists no files")
	}
	for path, f := range rel.Files {
		dir, _ := filepath.Split(path)
		for _, p := range []string{path, dir + "by-hash/SHA256/" + f.SHA256} {
			data, err := os.ReadFile(filepath.Join(root, "dists", formatstest.Suite, filepath.FromSlash(p)))
			if err != nil {
				t.Error(err)
				continue
			}
			sum := sha256.Sum256(data)
			if int64(len(data)) != f.Size || hex.EncodeToString(sum[:]) != f.SHA256 {
				t.Errorf("%s: %d bytes hashing %x, the Release says %d %s", p, len(data), sum, f.Size, f.SHA256)
			}
		}
	}
	if _, ok := rel.Files[formatstest.XZOnly[:strings.Index(formatstest.XZOnly, "/")]+"/binary-arm64/Packages.gz"]; ok {
		t.Errorf("%s has a .gz; it must be published as .xz only", formatstest.XZOnly)
	}
}

// TestExpectedCoversEveryIndex: the goldens hold every stanza of every index.
func TestExpectedCoversEveryIndex(t *testing.T) {
	exp := formatstest.Expected(t)
	if want := len(formatstest.Components) * len(formatstest.Architectures); len(exp) != want {
		t.Errorf("expected.json has %d indexes, want %d", len(exp), want)
	}
	for _, comp := range formatstest.Components {
		for _, arch := range formatstest.Architectures {
			stanzas, err := os.ReadFile(formatstest.Path(t, "stanzas/"+comp+"-"+arch))
			if err != nil {
				t.Fatal(err)
			}
			want := bytes.Count(stanzas, []byte("\n\n"))
			if got := len(exp[comp+"/"+arch]); got != want || got == 0 {
				t.Errorf("%s/%s: %d golden rows, the stanza file has %d stanzas", comp, arch, got, want)
			}
		}
	}
}

func get(t *testing.T, url string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}

func TestRepoServesTheFixture(t *testing.T) {
	base, keyring := formatstest.Repo(t)
	if !strings.HasPrefix(base, "http://127.0.0.1:") {
		t.Errorf("base URL %q is not on 127.0.0.1", base)
	}
	if _, err := os.Stat(keyring); err != nil {
		t.Error(err)
	}
	want, err := os.ReadFile(filepath.Join(formatstest.Path(t, "repo"), "dists", formatstest.Suite, "InRelease"))
	if err != nil {
		t.Fatal(err)
	}
	if code, body := get(t, base+"/dists/"+formatstest.Suite+"/InRelease"); code != http.StatusOK || !bytes.Equal(body, want) {
		t.Errorf("InRelease: %d, %d bytes; want 200 and the file's %d bytes", code, len(body), len(want))
	}
	if code, _ := get(t, base+"/dists/"+formatstest.Suite+"/nosuch"); code != http.StatusNotFound {
		t.Errorf("missing file: %d, want 404", code)
	}
}

func TestCopyRepoIsolated(t *testing.T) {
	cp := formatstest.CopyRepo(t)
	inrel := filepath.Join(cp, "dists", formatstest.Suite, "InRelease")
	if err := os.Remove(inrel); err != nil {
		t.Fatal(err)
	}
	base := formatstest.Serve(t, cp)
	if code, _ := get(t, base+"/dists/"+formatstest.Suite+"/InRelease"); code != http.StatusNotFound {
		t.Errorf("removed InRelease still served: %d", code)
	}
	if _, err := os.Stat(filepath.Join(formatstest.Path(t, "repo"), "dists", formatstest.Suite, "InRelease")); err != nil {
		t.Errorf("the committed fixture lost its InRelease: %v", err)
	}
	if _, err := os.Stat(filepath.Join(formatstest.IndexDir(cp, "main/amd64"), "Packages.gz")); err != nil {
		t.Errorf("IndexDir: %v", err)
	}
}
