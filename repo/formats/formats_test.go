package formats_test

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/distroscope/distroscope/repo"
	"github.com/distroscope/distroscope/repo/formats"
	"github.com/distroscope/distroscope/repo/formats/formatstest"
	"github.com/distroscope/distroscope/repo/repotest"
)

func source(t *testing.T, f repo.Format) repo.Source {
	t.Helper()
	s, err := formats.For(f)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformanceApt(t *testing.T) {
	keyring := formatstest.Path(t, "keyring.gpg")
	repotest.Run(t, repotest.Fixture{
		Source: source(t, repo.FormatApt),
		Root:   formatstest.Path(t, "repo"),
		Spec: func(m string) repo.Spec {
			return repo.Spec{Mirror: m, Suite: formatstest.Suite, Components: []string{"main", "contrib"},
				Architectures: []string{"amd64", "arm64"}, SignedBy: []string{keyring}}
		},
		RowFormat: "deb", MinRows: 59, Now: time.Now(),
	})
}

func TestUnknownFormat(t *testing.T) {
	if _, err := formats.For("portage"); err == nil {
		t.Fatal("an unknown format resolved")
	}
}

func TestConformanceRPMMD(t *testing.T) {
	for _, variant := range []string{"../../ecosystem/rpm/testdata/repo"} {
		repotest.Run(t, repotest.Fixture{
			Source: source(t, repo.FormatRPMMD),
			Root:   variant,
			Spec: func(m string) repo.Spec {
				return repo.Spec{Format: repo.FormatRPMMD, Distro: "fixture-rpm", Release: "1", Mirror: m, Suite: "1",
					URLTemplate: "{mirror}", Components: []string{"Everything"}, Architectures: []string{"x86_64"}}
			},
			RowFormat: "rpm", MinRows: 5, Now: time.Now(),
		})
	}
}

func TestConformanceALPM(t *testing.T) {
	for _, db := range []string{"fixture.db.tar.gz", "fixture.db.tar.xz", "fixture.db.tar.zst"} {
		t.Run(db, func(t *testing.T) {
			repotest.Run(t, repotest.Fixture{
				Source: source(t, repo.FormatALPM),
				Root:   "../../ecosystem/alpm/testdata/repo",
				Spec: func(m string) repo.Spec {
					return repo.Spec{Format: repo.FormatALPM, Distro: "fixture-arch", Mirror: m, Suite: "rolling",
						URLTemplate: "{mirror}/" + db, Components: []string{"fixture"}, Architectures: []string{"x86_64"}}
				},
				RowFormat: "alpm", MinRows: 3, Now: time.Now(),
			})
		})
	}
}

func TestRPMMDSignedRepomd(t *testing.T) {
	ctx := t.Context()
	srv := httptest.NewServer(http.FileServer(http.Dir("../../ecosystem/rpm/testdata/repo")))
	defer srv.Close()
	spec := repo.Spec{Format: repo.FormatRPMMD, Distro: "fixture-rpm", Mirror: srv.URL, Suite: "1", URLTemplate: "{mirror}",
		Components: []string{"Everything"}, Architectures: []string{"x86_64"},
		SignedBy: []string{"../../ecosystem/rpm/testdata/fixture-signing-key.asc"}}
	rel, err := formats.RPMMD{}.Resolve(ctx, repo.DefaultFetcher(), spec, time.Now())
	if err != nil {
		t.Fatalf("signed repomd with its key: %v", err)
	}
	if len(rel.Signers) == 0 {
		t.Errorf("no signer reported")
	}
	spec.SignedBy = []string{"testdata/apt/other-keyring.gpg"}
	if _, err := (formats.RPMMD{}).Resolve(ctx, repo.DefaultFetcher(), spec, time.Now()); !errors.Is(err, repo.ErrCorrupt) {
		t.Errorf("repomd signed by an untrusted key: err = %v, want ErrCorrupt", err)
	}
}

func TestConformanceAPK(t *testing.T) {
	for _, ix := range []string{"alpine-3.18-aarch64.APKINDEX.tar.gz", "postmarketos-aarch64.APKINDEX.tar.gz", "apk-tools-test.APKINDEX.tar.gz"} {
		t.Run(ix, func(t *testing.T) {
			repotest.Run(t, repotest.Fixture{
				Source: source(t, repo.FormatAPK),
				Root:   "../../ecosystem/apk/testdata",
				Spec: func(m string) repo.Spec {
					return repo.Spec{Format: repo.FormatAPK, Distro: "fixture-alpine", Mirror: m, Suite: "v3.18",
						URLTemplate: "{mirror}/" + ix, Components: []string{"main"}, Architectures: []string{"aarch64"}}
				},
				RowFormat: "apk", MinRows: 1, Now: time.Now(),
			})
		})
	}
}

// TestAPKSignature: with the signing key, a signed APKINDEX verifies and
// its key is reported; an unsigned one, one whose index was altered after
// signing, or one signed by another key is corrupt; a key file that is not
// an apk key makes the source invalid.
func TestAPKSignature(t *testing.T) {
	ctx := t.Context()
	root := t.TempDir()
	signed, err := os.ReadFile("../../ecosystem/apk/testdata/alpine-3.18-aarch64.APKINDEX.tar.gz")
	if err != nil {
		t.Fatal(err)
	}
	unsigned, err := os.ReadFile("../../ecosystem/apk/testdata/apk-tools-test.APKINDEX.tar.gz")
	if err != nil {
		t.Fatal(err)
	}
	// Altered: the signature stream of the signed index in front of the
	// unsigned index's stream. The signature no longer matches what follows.
	sigEnd := gzipStreamEnd(t, signed)
	altered := append(bytes.Clone(signed[:sigEnd]), unsigned...)
	for name, data := range map[string][]byte{"signed": signed, "unsigned": unsigned, "altered": altered} {
		if err := os.WriteFile(filepath.Join(root, name+".tar.gz"), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(http.FileServer(http.Dir(root)))
	defer srv.Close()
	const key = "../../ecosystem/apk/testdata/keys/distroscope-fixtures.rsa.pub"
	spec := func(file string, keys ...string) repo.Spec {
		return repo.Spec{Format: repo.FormatAPK, Distro: "fixture-alpine", Mirror: srv.URL, Suite: "v3.18",
			URLTemplate: "{mirror}/" + file, Components: []string{"main"}, Architectures: []string{"aarch64"}, SignedBy: keys}
	}
	rel, err := formats.APK{}.Resolve(ctx, repo.DefaultFetcher(), spec("signed.tar.gz", key), time.Now())
	if err != nil {
		t.Fatalf("signed index with its key: %v", err)
	}
	if len(rel.Signers) != 1 || rel.Signers[0] != "distroscope-fixtures.rsa.pub" {
		t.Errorf("signers = %q, want the verified key", rel.Signers)
	}
	if rel, err := (formats.APK{}).Resolve(ctx, repo.DefaultFetcher(), spec("signed.tar.gz"), time.Now()); err != nil ||
		len(rel.Signers) != 1 || !strings.HasSuffix(rel.Signers[0], "(not verified)") {
		t.Errorf("signed index without keys: %v, signers %q, want it reported as not verified", err, rel.Signers)
	}
	for _, file := range []string{"unsigned.tar.gz", "altered.tar.gz"} {
		if _, err := (formats.APK{}).Resolve(ctx, repo.DefaultFetcher(), spec(file, key), time.Now()); !errors.Is(err, repo.ErrCorrupt) {
			t.Errorf("%s with a key: err = %v, want ErrCorrupt", file, err)
		}
	}
	// Another key under the fixture key's name: the signature does not verify.
	other := filepath.Join(t.TempDir(), "distroscope-fixtures.rsa.pub")
	if err := os.WriteFile(other, otherRSAKey(t), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := (formats.APK{}).Resolve(ctx, repo.DefaultFetcher(), spec("signed.tar.gz", other), time.Now()); !errors.Is(err, repo.ErrCorrupt) {
		t.Errorf("signed by another key: err = %v, want ErrCorrupt", err)
	}
	if _, err := (formats.APK{}).Resolve(ctx, repo.DefaultFetcher(), spec("signed.tar.gz", "testdata/apt/other-keyring.gpg"), time.Now()); !errors.Is(err, repo.ErrInvalidSource) {
		t.Errorf("a key file that is not an apk key: err = %v, want ErrInvalidSource", err)
	}
}

// gzipStreamEnd is where the first gzip stream of data ends.
func gzipStreamEnd(t *testing.T, data []byte) int {
	t.Helper()
	br := bytes.NewReader(data)
	zr, err := gzip.NewReader(br)
	if err != nil {
		t.Fatal(err)
	}
	zr.Multistream(false)
	if _, err := io.Copy(io.Discard, zr); err != nil {
		t.Fatal(err)
	}
	return len(data) - br.Len()
}

// otherRSAKey is a PEM public key that signed nothing.
func otherRSAKey(t *testing.T) []byte {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}
