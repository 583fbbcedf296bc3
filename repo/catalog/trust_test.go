package catalog

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/distroscope/distroscope/repo"
	"github.com/distroscope/distroscope/repo/formats/formatstest"
)

// copyFile copies src to a fresh path named name and returns that path.
func copyFile(t *testing.T, src, name string) string {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), name)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return dst
}

// A policy names keys by what they are: the same key under another path
// or in another encoding is the same policy; another key, an opt-out or an
// unreadable keyring is another.
func TestPolicyOf(t *testing.T) {
	fpr := formatstest.Fingerprint(t)
	keyring := formatstest.Path(t, "keyring.gpg")
	armored := formatstest.Path(t, "keyring.asc")
	other := formatstest.Path(t, "other-keyring.gpg")
	moved := copyFile(t, keyring, "elsewhere.gpg")
	// An apt root whose trusted.gpg.d holds the fixture key: what apt
	// trusts for a source without Signed-By.
	aptRoot := filepath.Dir(filepath.Dir(filepath.Dir(filepath.Dir(copyFile(t, keyring, "etc/apt/trusted.gpg.d/fixture.gpg")))))
	inline, err := os.ReadFile(armored)
	if err != nil {
		t.Fatal(err)
	}
	base := repo.Spec{Mirror: "http://127.0.0.1:1/debian", Suite: "fixture", SignedBy: []string{keyring}}
	with := func(f func(*repo.Spec)) repo.Spec { s := base; f(&s); return s }
	policy := PolicyOf(base)
	if want := []string{"openpgp:" + fpr}; !slices.Equal(policy.Keys, want) || len(policy.Unread) > 0 {
		t.Fatalf("PolicyOf(fixture keyring) = %+v, want keys %v", policy, want)
	}
	for _, tc := range []struct {
		name string
		spec repo.Spec
		same bool
	}{
		{"the keyring at another path", with(func(s *repo.Spec) { s.SignedBy = []string{moved} }), true},
		{"the key armored", with(func(s *repo.Spec) { s.SignedBy = []string{armored} }), true},
		{"the key inline", with(func(s *repo.Spec) { s.SignedBy, s.SignedByInline = nil, string(inline) }), true},
		{"the key in apt's trusted keyrings", with(func(s *repo.Spec) { s.SignedBy, s.AptRoot = nil, aptRoot }), true},
		{"the keyring twice", with(func(s *repo.Spec) { s.SignedBy = []string{keyring, moved} }), true},
		{"another mirror (not policy: the business key)", with(func(s *repo.Spec) { s.Mirror += "2" }), true},
		{"another key", with(func(s *repo.Spec) { s.SignedBy = []string{other} }), false},
		{"one key more", with(func(s *repo.Spec) { s.SignedBy = []string{keyring, other} }), false},
		{"--allow-unsigned", with(func(s *repo.Spec) { s.AllowUnsigned = true }), false},
		{"--allow-expired", with(func(s *repo.Spec) { s.AllowExpired = true }), false},
		{"narrowed by Signed-By fingerprints", with(func(s *repo.Spec) { s.SignedByFingerprints = []string{fpr} }), false},
		{"no Signed-By on a machine that trusts nothing", with(func(s *repo.Spec) { s.SignedBy, s.AptRoot = nil, t.TempDir() }), false},
		{"a keyring that cannot be read", with(func(s *repo.Spec) { s.SignedBy = []string{filepath.Join(t.TempDir(), "gone.gpg")} }), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := PolicyOf(tc.spec).String()
			if (got == policy.String()) != tc.same {
				t.Errorf("PolicyOf = %s\nfixture keyring = %s\nwant same = %v", got, policy, tc.same)
			}
		})
	}
	if p := PolicyOf(with(func(s *repo.Spec) { s.SignedBy = []string{"/nonexistent/k.gpg"} })); !slices.Equal(p.Unread, []string{"/nonexistent/k.gpg"}) {
		t.Errorf("an unreadable keyring: unread = %v", p.Unread)
	}

	// apk keys are named as signatures name them, and by their content.
	apkKey := "../../ecosystem/apk/testdata/keys/distroscope-fixtures.rsa.pub"
	apk := repo.Spec{Format: repo.FormatAPK, Mirror: "http://127.0.0.1:1/alpine", Suite: "v3.20", SignedBy: []string{apkKey}}
	ap := PolicyOf(apk)
	if len(ap.Keys) != 1 || !strings.HasPrefix(ap.Keys[0], "apk:distroscope-fixtures.rsa.pub:") {
		t.Errorf("apk policy keys = %v", ap.Keys)
	}
	apk.SignedBy = []string{copyFile(t, apkKey, filepath.Base(apkKey))}
	if PolicyOf(apk).String() != ap.String() {
		t.Errorf("the same apk key at another path changed the policy")
	}
	// Another key under the same name is another policy.
	apk.SignedBy = []string{copyFile(t, formatstest.Path(t, "keyring.asc"), filepath.Base(apkKey))}
	if PolicyOf(apk).String() == ap.String() {
		t.Errorf("another apk key under the same name kept the policy")
	}
}

// The catalogue says which keys a distribution's snapshots must have been
// verified by, as signed_by records them, or that it takes them unverified.
func TestVerification(t *testing.T) {
	c := parseFile(t, "sources.yaml")
	fpr := formatstest.Fingerprint(t)
	noKeys := t.TempDir()
	for _, tc := range []struct {
		name     string
		signers  []string
		optional bool
		err      string
	}{
		{"debian", []string{fpr}, false, ""},
		{"ubuntu", nil, false, `catalog: source "ubuntu": it names no keyring and apt's trusted keyrings under ` + noKeys + " hold no key"},
		{"fedora", nil, true, ""},
		{"alpine", nil, true, ""},
		{"arch", nil, true, ""},
		{"gentoo", nil, false, `catalog: no source called "gentoo"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := c.Verification(tc.name, noKeys)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(v.Signers, tc.signers) || v.Optional != tc.optional || !strings.Contains(v.By, tc.name) {
				t.Errorf("Verification = %+v, want signers %v, optional %v", v, tc.signers, tc.optional)
			}
		})
	}

	// An apt source the machine trusts without checking ([trusted=yes]) is
	// taken unverified.
	m, err := Load("", "testdata/aptroot-list")
	if err != nil {
		t.Fatal(err)
	}
	if v, err := m.Verification("ubuntu-ports", "testdata/aptroot-list"); err != nil || !v.Optional {
		t.Errorf("a [trusted=yes] source: %+v, %v; want optional", v, err)
	}
}

// TestKeyringReadOnce: a keyring file is parsed once per version of it —
// a comparison's start asks for it four times — and read again when it
// changes.
func TestKeyringReadOnce(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "keyring.gpg")
	src, err := os.ReadFile(filepath.Join("..", "formats", "testdata", "apt", "keyring.gpg"))
	if err != nil {
		t.Fatal(err)
	}
	other, err := os.ReadFile(filepath.Join("..", "formats", "testdata", "apt", "other-keyring.gpg"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, src, 0o644); err != nil {
		t.Fatal(err)
	}
	first, err := keyringFingerprints(path)
	if err != nil || len(first) == 0 {
		t.Fatalf("keyringFingerprints = %v, %v", first, err)
	}
	again, _ := keyringFingerprints(path)
	if &again[0] != &first[0] {
		t.Error("the same keyring file was parsed again")
	}
	if err := os.WriteFile(path, other, 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chtimes(path, time.Now().Add(time.Hour), time.Now().Add(time.Hour))
	changed, err := keyringFingerprints(path)
	if err != nil || slices.Equal(changed, first) {
		t.Errorf("after the file changed: %v, %v; want other keys", changed, err)
	}
}
