package openpgp

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp/armor"

	"github.com/distroscope/distroscope/internal/testenv"
)

func read(t testing.TB, path ...string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(path...))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func keyring(t testing.TB, paths ...string) *Keyring {
	t.Helper()
	kr, err := LoadKeyring(paths, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(kr.Fingerprints()) == 0 {
		t.Fatalf("no key in %v", paths)
	}
	return kr
}

// gpgNow is an hour after the script made the gpg fixtures: every signature
// exists and no key but the expired one has expired.
func gpgNow(t testing.TB) time.Time {
	t.Helper()
	at, err := time.Parse(time.RFC3339, strings.TrimSpace(string(read(t, "testdata", "gpg", "signed-at.txt"))))
	if err != nil {
		t.Fatal(err)
	}
	return at.Add(time.Hour)
}

// fingerprints maps the fixture key names (archive, second, ...) to their fingerprints.
func fingerprints(t testing.TB) map[string]string {
	t.Helper()
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(read(t, "testdata", "gpg", "fingerprints.txt")))
	for sc.Scan() {
		name, fpr, _ := strings.Cut(sc.Text(), " ")
		out[name] = fpr
	}
	return out
}

// releaseDate reads the Date field of a Release text, which tells when a
// real InRelease fixture was valid.
func releaseDate(t *testing.T, body []byte) time.Time {
	t.Helper()
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, "Date: "); ok {
			d, err := time.Parse(time.RFC1123, v)
			if err != nil {
				t.Fatal(err)
			}
			return d
		}
	}
	t.Fatal("no Date field")
	return time.Time{}
}

func statuses(res Result) []Status {
	var out []Status
	for _, s := range res.Signatures {
		out = append(out, s.Status)
	}
	return out
}

// gpgvGood asks gpgv, the verifier apt itself runs, which primary keys made
// a good signature: the test's independent oracle (testenv.Require: without
// gpgv the test is skipped, or fails under CI).
func gpgvGood(t *testing.T, keyringPath, file string) (fprs []string) {
	t.Helper()
	gpgv := testenv.Require(t, testenv.Gpgv)
	out, _ := exec.Command(gpgv, "--status-fd", "1", "--keyring", keyringPath, file).Output()
	for _, line := range strings.Split(string(out), "\n") {
		// [GNUPG:] VALIDSIG <fpr> <date> <time> <expiry> <version> <reserved> <pkalgo> <hashalgo> <class> <primary fpr>
		if f := strings.Fields(line); len(f) >= 12 && f[1] == "VALIDSIG" {
			fprs = append(fprs, f[11])
		}
	}
	return fprs
}

// TestVerifyDebian checks real InRelease files from Debian against Debian's
// real keyrings: the archive keyring a Signed-By names, and the keys apt
// trusts by default (trusted.gpg.d).
func TestVerifyDebian(t *testing.T) {
	defaultKR, err := DefaultKeyring(filepath.Join("testdata", "root"))
	if err != nil {
		t.Fatal(err)
	}
	archiveKRPath := filepath.Join("testdata", "debian", "debian-archive-keyring.gpg")
	archiveKR := keyring(t, archiveKRPath)
	for _, name := range []string{"bookworm-updates_InRelease", "bookworm-security_InRelease"} {
		path := filepath.Join("testdata", "debian", name)
		data := read(t, path)
		text, err := ExtractCleartext(data)
		if err != nil {
			t.Fatal(err)
		}
		now := releaseDate(t, text).Add(24 * time.Hour)
		for krName, kr := range map[string]*Keyring{"archive keyring": archiveKR, "trusted.gpg.d": defaultKR} {
			t.Run(name+"/"+krName, func(t *testing.T) {
				body, res, err := VerifyInRelease(data, kr, now)
				if err != nil {
					t.Fatalf("VerifyInRelease: %v", err)
				}
				if !bytes.Equal(body, text) {
					t.Error("verified body differs from ExtractCleartext")
				}
				if !bytes.HasPrefix(body, []byte("Origin: Debian\n")) || bytes.Contains(body, []byte("PGP")) {
					t.Errorf("body is not the Release text: %.60q", body)
				}
				// Debian signs with two keys, both in these keyrings.
				if len(res.Signatures) < 2 || len(res.Good) != len(res.Signatures) {
					t.Errorf("statuses %v, want two or more, all good", statuses(res))
				}
				for _, g := range res.Good {
					if !slices.Contains(kr.Fingerprints(), g) {
						t.Errorf("good signer %s is not a primary key of the keyring", g)
					}
				}
				if krName == "archive keyring" {
					if want := gpgvGood(t, archiveKRPath, path); !reflect.DeepEqual(res.Good, want) {
						t.Errorf("good signers %v, gpgv says %v", res.Good, want)
					}
				}
			})
		}

		t.Run(name+"/keys expired", func(t *testing.T) {
			// In 2040 every key of this keyring has expired.
			_, res, err := VerifyInRelease(data, archiveKR, time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC))
			if !errors.Is(err, ErrNoTrustedSignature) {
				t.Fatalf("err = %v, want ErrNoTrustedSignature", err)
			}
			for _, s := range res.Signatures {
				if s.Status != StatusExpiredKey {
					t.Errorf("key %s: status %v, want expired key", s.KeyID, s.Status)
				}
			}
		})

		t.Run(name+"/tampered", func(t *testing.T) {
			tampered := bytes.Replace(data, []byte("Origin: Debian"), []byte("Origin: Debiam"), 1)
			_, res, err := VerifyInRelease(tampered, archiveKR, now)
			if !errors.Is(err, ErrBadSignature) {
				t.Fatalf("err = %v, want ErrBadSignature", err)
			}
			for _, s := range res.Signatures {
				if s.Status != StatusBad || !strings.Contains(err.Error(), s.KeyID) {
					t.Errorf("key %s: status %v (want bad) and error %q should name it", s.KeyID, s.Status, err)
				}
			}
		})
	}
}

// TestVerifyGPGFixtures runs the cases made by testdata/make-gpg-fixtures.sh.
func TestVerifyGPGFixtures(t *testing.T) {
	dir := filepath.Join("testdata", "gpg")
	trusted := keyring(t, filepath.Join(dir, "trusted.gpg"))
	archiveOnly := keyring(t, filepath.Join(dir, "archive.asc"))
	now := gpgNow(t)
	expiredDay := time.Date(2020, 1, 1, 12, 30, 0, 0, time.UTC)
	g := StatusGood
	tests := []struct {
		name    string
		file    string
		kr      *Keyring
		now     time.Time
		wantErr error
		want    []Status
	}{
		{"two trusted signers", "two-signers_InRelease", trusted, now, nil, []Status{g, g}},
		{"one signer unknown", "two-signers_InRelease", archiveOnly, now, nil, []Status{g, StatusUnknownKey}},
		{"unknown key only", "stranger_InRelease", trusted, now, ErrNoTrustedSignature, []Status{StatusUnknownKey}},
		{"expired key", "expired_InRelease", trusted, now, ErrNoTrustedSignature, []Status{StatusExpiredKey}},
		{"expired key checked while valid", "expired_InRelease", trusted, expiredDay, nil, []Status{g}},
		{"revoked key", "revoked_InRelease", trusted, now, ErrNoTrustedSignature, []Status{StatusRevokedKey}},
		{"SHA-1 digest", "sha1_InRelease", trusted, now, ErrNoTrustedSignature, []Status{StatusWeakDigest}},
		{"signed before the key existed", "two-signers_InRelease", trusted, expiredDay, ErrNoTrustedSignature, []Status{StatusExpiredKey, StatusExpiredKey}},
		{"signature by a known key over other text", "second-other_InRelease", trusted, now, nil, []Status{g}},
		{"unsigned", "Release", trusted, now, ErrUnsigned, nil},
		{"no keyring", "two-signers_InRelease", nil, now, ErrNoTrustedSignature, []Status{StatusUnknownKey, StatusUnknownKey}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := read(t, dir, tt.file)
			body, res, err := VerifyInRelease(data, tt.kr, tt.now)
			if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if got := statuses(res); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("statuses %v, want %v", got, tt.want)
			}
			if err != nil {
				if body != nil {
					t.Error("body returned with an error")
				}
				return
			}
			signed := "Release" // the file the script signed
			if tt.file == "second-other_InRelease" {
				signed = "Release.other"
			}
			if !bytes.Equal(body, read(t, dir, signed)) {
				t.Errorf("body is not the signed %s:\n%s", signed, body)
			}
			nGood := 0
			for _, s := range res.Signatures {
				if s.Status == StatusGood {
					nGood++
				}
			}
			if len(res.Good) != nGood {
				t.Errorf("Good %v does not match statuses %v", res.Good, statuses(res))
			}
		})
	}
}

// TestGoodSignersNamed checks that Result names each signer by its primary
// fingerprint, as the fingerprints file made with the keys says.
func TestGoodSignersNamed(t *testing.T) {
	fp := fingerprints(t)
	_, res, err := VerifyInRelease(read(t, "testdata", "gpg", "two-signers_InRelease"),
		keyring(t, filepath.Join("testdata", "gpg", "trusted.gpg")), gpgNow(t))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{fp["archive"], fp["second"]}; !reflect.DeepEqual(res.Good, want) {
		t.Errorf("Good = %v, want %v", res.Good, want)
	}
	for _, s := range res.Signatures {
		if !strings.HasSuffix(s.Fingerprint, s.KeyID) || s.Created.IsZero() || s.Hash == 0 {
			t.Errorf("signature %+v lacks details", s)
		}
	}
}

// TestDashEscapes checks the clearsigned text that needs canonicalizing:
// dash-escaped lines, trailing blanks and CRLF line endings.
func TestDashEscapes(t *testing.T) {
	dir := filepath.Join("testdata", "gpg")
	body, _, err := VerifyInRelease(read(t, dir, "dashes_InRelease"), keyring(t, filepath.Join(dir, "archive.asc")), gpgNow(t))
	if err != nil {
		t.Fatal(err)
	}
	// What was signed, as RFC 9580 section 7.2 defines it: lines without
	// their trailing blanks, here with "\n" endings and a final newline.
	var want []byte
	for _, line := range strings.Split(string(read(t, dir, "dashes.txt")), "\r\n") {
		want = append(want, strings.TrimRight(line, " \t")+"\n"...)
	}
	if !bytes.Equal(body, want) {
		t.Errorf("body %q, want %q", body, want)
	}
}

// rearmor returns an InRelease with the text of base and the signature
// packets of base followed by those of extra.
func rearmor(t *testing.T, base, extra []byte) []byte {
	t.Helper()
	a, err := splitClearsigned(base)
	if err != nil {
		t.Fatal(err)
	}
	b, err := splitClearsigned(extra)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(base, []byte(beginSignature))
	var out bytes.Buffer
	out.Write(base[:i])
	w, err := armor.Encode(&out, "PGP SIGNATURE", nil)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(a.sig)
	w.Write(b.sig)
	w.Close()
	out.WriteString("\n")
	return out.Bytes()
}

// TestOneGoodOneBad: a signature that fails by a key of the keyring rejects
// the file even beside good ones; by an unknown key it is ignored.
func TestOneGoodOneBad(t *testing.T) {
	dir := filepath.Join("testdata", "gpg")
	now := gpgNow(t)
	// The second key's signature over another text, added to the two good ones.
	data := rearmor(t, read(t, dir, "two-signers_InRelease"), read(t, dir, "second-other_InRelease"))

	_, res, err := VerifyInRelease(data, keyring(t, filepath.Join(dir, "trusted.gpg")), now)
	if !errors.Is(err, ErrBadSignature) {
		t.Fatalf("err = %v, want ErrBadSignature", err)
	}
	if want := []Status{StatusGood, StatusGood, StatusBad}; !reflect.DeepEqual(statuses(res), want) {
		t.Errorf("statuses %v, want %v", statuses(res), want)
	}
	if !strings.Contains(err.Error(), res.Signatures[2].KeyID) {
		t.Errorf("error %q does not name the bad key %s", err, res.Signatures[2].KeyID)
	}

	body, res, err := VerifyInRelease(data, keyring(t, filepath.Join(dir, "archive.asc")), now)
	if err != nil || body == nil {
		t.Fatalf("with only the archive key: err = %v, want accepted", err)
	}
	if want := []Status{StatusGood, StatusUnknownKey, StatusUnknownKey}; !reflect.DeepEqual(statuses(res), want) {
		t.Errorf("statuses %v, want %v", statuses(res), want)
	}
}

// TestMalformed: files apt refuses to split, so that no unsigned text rides
// along with a good signature.
func TestMalformed(t *testing.T) {
	dir := filepath.Join("testdata", "gpg")
	good := string(read(t, dir, "two-signers_InRelease"))
	kr := keyring(t, filepath.Join(dir, "trusted.gpg"))
	sigAt := strings.Index(good, beginSignature)
	// ExtractCleartext splits the file but does not decode signature packets.
	tests := []struct {
		name      string
		data      string
		wantErr   error
		extractOK bool
	}{
		{"text before", "Origin: Evil\n" + good, ErrMalformed, false},
		{"text after", good + "Suite: evil\n", ErrMalformed, false},
		{"second message after", good + good, ErrMalformed, false},
		{"blank lines after", good + "\n \n", nil, true},
		{"CRLF line endings", strings.ReplaceAll(good, "\n", "\r\n"), nil, true},
		{"unescaped dash line", strings.Replace(good, "Origin:", "-Origin:", 1), ErrMalformed, false},
		{"unknown armor header", strings.Replace(good, "Hash: SHA512", "Comment: hi", 1), ErrMalformed, false},
		{"no blank line after headers", strings.Replace(good, "SHA256\n\n", "SHA256\n", 1), ErrMalformed, false},
		{"no signature end", good[:len(good)-30], ErrMalformed, false},
		{"no signature", good[:sigAt], ErrMalformed, false},
		{"armored garbage", good[:sigAt] + beginSignature + "\n\nAAAA\n" + endSignature + "\n", ErrMalformed, true},
		{"empty", "", ErrUnsigned, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, _, err := VerifyInRelease([]byte(tt.data), kr, gpgNow(t))
			if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err == nil && !bytes.Equal(body, read(t, dir, "Release")) {
				t.Errorf("body %q is not the signed Release", body)
			}
			_, xerr := ExtractCleartext([]byte(tt.data))
			if tt.wantErr == ErrMalformed && !tt.extractOK && !errors.Is(xerr, ErrMalformed) {
				t.Errorf("ExtractCleartext err = %v, want ErrMalformed too", xerr)
			}
			if tt.extractOK && xerr != nil {
				t.Errorf("ExtractCleartext err = %v, want none", xerr)
			}
		})
	}
}

func TestExtractCleartext(t *testing.T) {
	dir := filepath.Join("testdata", "gpg")
	release := read(t, dir, "Release")
	for _, file := range []string{"two-signers_InRelease", "stranger_InRelease", "Release"} {
		got, err := ExtractCleartext(read(t, dir, file))
		if err != nil || !bytes.Equal(got, release) {
			t.Errorf("%s: got %q, %v; want the Release text", file, got, err)
		}
	}
}

func TestVerifyDetached(t *testing.T) {
	dir := filepath.Join("testdata", "gpg")
	trusted := keyring(t, filepath.Join(dir, "trusted.gpg"))
	now := gpgNow(t)
	release, other := read(t, dir, "Release"), read(t, dir, "Release.other")
	tests := []struct {
		name      string
		release   []byte
		sig       []byte
		wantErr   error
		wantGood  int
		wantTotal int
	}{
		{"armored, two signers", release, read(t, dir, "Release.gpg"), nil, 2, 2},
		{"binary", release, read(t, dir, "Release.sig"), nil, 1, 1},
		{"tampered", other, read(t, dir, "Release.gpg"), ErrBadSignature, 0, 2},
		{"empty signature", release, nil, ErrUnsigned, 0, 0},
		{"not a signature", release, []byte("hello"), ErrMalformed, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := VerifyDetached(tt.release, tt.sig, trusted, now)
			if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if len(res.Good) != tt.wantGood || len(res.Signatures) != tt.wantTotal {
				t.Errorf("statuses %v, want %d good of %d", statuses(res), tt.wantGood, tt.wantTotal)
			}
		})
	}
}

// TestAptKeyring: the keyring apt would use for a source's Signed-By
// (files, inline keys, fingerprints) or, without one, its trusted keyrings.
func TestAptKeyring(t *testing.T) {
	fp := fingerprints(t)
	gpgDir := filepath.Join("testdata", "gpg")
	twoSigners := read(t, gpgDir, "two-signers_InRelease")
	now := gpgNow(t)
	trusted := []string{filepath.Join(gpgDir, "trusted.gpg")}

	tests := []struct {
		name         string
		files        []string
		inline       []byte
		fingerprints []string
		wantGood     []string
	}{
		{"inline key", nil, read(t, gpgDir, "archive.asc"), nil, []string{fp["archive"]}},
		{"keyring file", trusted, nil, nil, []string{fp["archive"], fp["second"]}},
		{"fingerprint narrows the keyring", trusted, nil, []string{fp["second"]}, []string{fp["second"]}},
		{"fingerprint of no signer", trusted, nil, []string{fp["stranger"]}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kr, err := AptKeyring("/nonexistent", tt.files, tt.inline, tt.fingerprints)
			if err != nil {
				t.Fatal(err)
			}
			_, res, err := VerifyInRelease(twoSigners, kr, now)
			if tt.wantGood == nil {
				if !errors.Is(err, ErrNoTrustedSignature) || !slices.Contains(statuses(res), StatusNotAllowed) {
					t.Errorf("err = %v, statuses %v; want ErrNoTrustedSignature with keys not allowed", err, statuses(res))
				}
				return
			}
			if err != nil || !reflect.DeepEqual(res.Good, tt.wantGood) {
				t.Errorf("Good = %v, %v; want %v", res.Good, err, tt.wantGood)
			}
		})
	}

	t.Run("default keyring", func(t *testing.T) {
		kr, err := AptKeyring(filepath.Join("testdata", "root"), nil, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		data := read(t, "testdata", "debian", "bookworm-security_InRelease")
		text, _ := ExtractCleartext(data)
		if _, _, err := VerifyInRelease(data, kr, releaseDate(t, text).Add(time.Hour)); err != nil {
			t.Errorf("Debian InRelease with trusted.gpg.d keys: %v", err)
		}
	})
}

func TestLoadKeyringProblems(t *testing.T) {
	dir := filepath.Join("testdata", "gpg")
	missing := filepath.Join(dir, "missing.gpg")
	kr, err := LoadKeyring([]string{missing, filepath.Join(dir, "archive.asc")}, read(t, dir, "second.asc"))
	if err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("err = %v, want it to name %s", err, missing)
	}
	if n := len(kr.Fingerprints()); n != 2 {
		t.Errorf("keyring holds %d keys, want the 2 that could be read", n)
	}

	// Several armored blocks in one input, as a hand-made .asc may hold.
	both := append(read(t, dir, "archive.asc"), read(t, dir, "stranger.asc")...)
	if kr, err := LoadKeyring(nil, both); err != nil || len(kr.Fingerprints()) != 2 {
		t.Errorf("two armored blocks: %v, %d keys", err, len(kr.Fingerprints()))
	}

	if _, err := LoadKeyring(nil, []byte("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nnot base64\n-----END PGP PUBLIC KEY BLOCK-----\n")); err == nil {
		t.Error("garbage armored key accepted")
	}
	if _, err := LoadKeyring(nil, read(t, dir, "Release.gpg")); err == nil {
		t.Error("armored signature accepted as a key")
	}
	if _, err := LoadKeyring(nil, make([]byte, MaxKeyringSize+1)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("oversized key: err = %v, want ErrTooLarge", err)
	}
	if kr, err := DefaultKeyring(t.TempDir()); err != nil || len(kr.Fingerprints()) != 0 {
		t.Errorf("DefaultKeyring(empty root) = %d keys, %v", len(kr.Fingerprints()), err)
	}
	if _, err := (&Keyring{}).Restrict([]string{"ABCD"}); err == nil {
		t.Error("Restrict accepted a short key ID as a fingerprint")
	}
}

func TestLimits(t *testing.T) {
	big := make([]byte, MaxInReleaseSize+1)
	copy(big, beginSigned+"\n")
	if _, _, err := VerifyInRelease(big, nil, time.Now()); !errors.Is(err, ErrTooLarge) {
		t.Errorf("InRelease: err = %v, want ErrTooLarge", err)
	}
	if _, err := VerifyDetached(big, []byte("x"), nil, time.Now()); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Release: err = %v, want ErrTooLarge", err)
	}
	if _, err := VerifyDetached(nil, make([]byte, MaxSignatureSize+1), nil, time.Now()); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Release.gpg: err = %v, want ErrTooLarge", err)
	}
}

func FuzzVerifyInRelease(f *testing.F) {
	dir := filepath.Join("testdata", "gpg")
	for _, name := range []string{"two-signers_InRelease", "dashes_InRelease", "sha1_InRelease",
		"stranger_InRelease", "expired_InRelease", "Release"} {
		f.Add(read(f, dir, name))
	}
	kr := keyring(f, filepath.Join(dir, "trusted.gpg"))
	now := gpgNow(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		body, res, err := VerifyInRelease(data, kr, now)
		text, xerr := ExtractCleartext(data)
		if err != nil {
			return
		}
		if len(res.Good) == 0 || slices.Contains(statuses(res), StatusBad) {
			t.Fatalf("accepted with statuses %v", statuses(res))
		}
		if xerr != nil || !bytes.Equal(body, text) {
			t.Fatalf("verified body differs from ExtractCleartext (%v)", xerr)
		}
	})
}

func FuzzVerifyDetached(f *testing.F) {
	dir := filepath.Join("testdata", "gpg")
	f.Add(read(f, dir, "Release.gpg"))
	f.Add(read(f, dir, "Release.sig"))
	kr := keyring(f, filepath.Join(dir, "trusted.gpg"))
	release := read(f, dir, "Release")
	now := gpgNow(f)
	f.Fuzz(func(t *testing.T, sig []byte) {
		res, err := VerifyDetached(release, sig, kr, now)
		if err == nil && (len(res.Good) == 0 || slices.Contains(statuses(res), StatusBad)) {
			t.Fatalf("accepted with statuses %v", statuses(res))
		}
	})
}
