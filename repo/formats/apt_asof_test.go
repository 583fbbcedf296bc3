package formats_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/distroscope/distroscope/internal/aptarchive"
	"github.com/distroscope/distroscope/repo"
	"github.com/distroscope/distroscope/repo/formats"
)

// TestResolveAsOfTheArchiveDate resolves a Release from a dated archive:
// signed by a key that expired since and past its Valid-Until today, it
// verifies as of the archive's date, and only then.
func TestResolveAsOfTheArchiveDate(t *testing.T) {
	now := time.Now().UTC()
	day := now.Truncate(24*time.Hour).AddDate(0, 0, -100)
	published := day.Add(10 * time.Hour)
	key, err := aptarchive.Key(day.AddDate(0, 0, -30), day.AddDate(0, 0, 40)) // expired 60 days ago
	if err != nil {
		t.Fatal(err)
	}
	stanzas, err := aptarchive.ReadStanzas("testdata/apt/stanzas/main-amd64")
	if err != nil {
		t.Fatal(err)
	}
	root, keyring := t.TempDir(), filepath.Join(t.TempDir(), "archive.gpg")
	if err := aptarchive.WriteKeyring(keyring, key); err != nil {
		t.Fatal(err)
	}
	a := aptarchive.Archive{Root: root, Name: "fx", Suite: "fixture", Origin: "Distroscope Archive", Codename: "fixture", Key: key}
	if err := a.Write(aptarchive.State{At: published, Packages: map[string]aptarchive.Stanzas{"main/amd64": stanzas}, ValidFor: 7 * 24 * time.Hour}); err != nil {
		t.Fatal(err)
	}
	base := aptarchive.URL(aptarchive.Serve(t, root), "fx")
	spec := repo.Spec{Archive: base, Suite: "fixture", Components: []string{"main"}, Architectures: []string{"amd64"}, SignedBy: []string{keyring}}
	resolve := func(at time.Time, allowExpired bool) (*repo.Resolved, error) {
		s, err := spec.AtDate(at)
		if err != nil {
			t.Fatal(err)
		}
		s.AllowExpired = allowExpired
		return formats.Apt{}.Resolve(testContext(t), repo.DefaultFetcher(), s, now)
	}

	endOfDay := day.Add(24*time.Hour - time.Second)
	rel, err := resolve(endOfDay, false)
	if err != nil {
		t.Fatalf("as of the archive's date: %v", err)
	}
	if !rel.VerifiedAsOf.Equal(endOfDay) || !rel.Date.Equal(published) || len(rel.Signers) != 1 || len(rel.Indexes) != 1 {
		t.Errorf("resolved: verified as of %s (want %s), date %s (want %s), signers %v", rel.VerifiedAsOf, endOfDay, rel.Date, published, rel.Signers)
	}

	// The same Release today: its key has expired (whatever Valid-Until).
	today := spec
	today.Mirror = repo.ExpandArchive(base, endOfDay)
	for _, allow := range []bool{false, true} {
		today.AllowExpired = allow
		if _, err := (formats.Apt{}).Resolve(testContext(t), repo.DefaultFetcher(), today, now); !errors.Is(err, repo.ErrCorrupt) || !strings.Contains(err.Error(), "key expired") {
			t.Errorf("today (allow expired %t): %v, want the expired key refused", allow, err)
		}
	}
	// As of a date past Valid-Until but with the key still valid.
	late := day.AddDate(0, 0, 10)
	if _, err := resolve(late, false); !errors.Is(err, repo.ErrCorrupt) || !strings.Contains(err.Error(), "Valid-Until, checked as of "+late.Format(time.RFC3339)) {
		t.Errorf("as of a date past Valid-Until: %v", err)
	}
	if _, err := resolve(late, true); err != nil {
		t.Errorf("as of a date past Valid-Until, allowed: %v", err)
	}
	// As of a date past the key's expiry, Valid-Until allowed.
	if _, err := resolve(day.AddDate(0, 0, 50), true); err == nil || !strings.Contains(err.Error(), "key expired") {
		t.Errorf("as of a date past the key's expiry: %v", err)
	}
	// Before the archive's first state there is nothing.
	if _, err := resolve(day, false); !errors.Is(err, repo.ErrNoSuchSuite) {
		t.Errorf("before the first state: %v", err)
	}
}
