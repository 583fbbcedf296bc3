package compare

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/datasets/datasetstest"
	"github.com/distroscope/distroscope/store/localfs"
	"github.com/distroscope/distroscope/store/storetest"
)

const (
	debianKey = "4CB50190207B4758A3F73A796ED0E7B82643E131"
	otherKey  = "483056A4A9F2DBD60F43A83C37F760FFA70F9223"
)

// TestFind locates by name under a trust: Debian's signed snapshot beside
// newer ones whose Release folded onto the same names — one unsigned, one
// signed by a key the catalogue does not name — and snapshots that cannot
// tell who verified them.
func TestFind(t *testing.T) {
	st, err := localfs.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	part := func(release, snapshot string) datasets.Partition {
		return datasets.Partition{Distro: "debian", Release: release, Snapshot: snapshot}
	}
	var (
		real     = part("bookworm", "20261123T004514Z-aaaaaaaaaaaa")
		impostor = part("bookworm", "20261201T000000Z-bbbbbbbbbbbb")
		forged   = part("bookworm", "20261202T000000Z-cccccccccccc")
		apkOwn   = part("v3.20", "20260101T000000Z-dddddddddddd")
		apkNot   = part("v3.20", "20260102T000000Z-eeeeeeeeeeee")
		broken   = part("sid", "20260101T000000Z-ffffffffffff")
	)
	datasetstest.CommitSnapshot(t, st, real, debianKey)
	datasetstest.CommitSnapshot(t, st, impostor)
	datasetstest.CommitSnapshot(t, st, forged, otherKey)
	datasetstest.CommitSnapshot(t, st, apkOwn, "alpine-devel.rsa.pub")
	datasetstest.CommitSnapshot(t, st, apkNot, "alpine-devel.rsa.pub (not verified)")
	datasetstest.CommitSnapshot(t, st, broken, debianKey)
	ctx := context.Background()
	if err := st.Put(ctx, datasets.Snapshots.DataKey(broken), strings.NewReader("not parquet"), 11); err != nil {
		t.Fatal(err)
	}
	debian := &Trust{Keys: []string{debianKey}, By: "the keyring of catalogue source debian"}
	alpine := &Trust{Keys: []string{"alpine-devel.rsa.pub"}, By: "the keyring of catalogue source alpine"}
	anyDebian := &Trust{Keys: []string{debianKey}, AllowUnverified: true, By: debian.By}
	s := Storage{Store: st}
	for _, tc := range []struct {
		name              string
		release, snapshot string
		trust             *Trust
		found             bool
		want              datasets.Partition
		trusted           bool
		passed            []datasets.Partition
	}{
		{"the signed one, passing over newer impostors", "bookworm", "", debian, true, real, true, []datasets.Partition{forged, impostor}},
		{"by id", "bookworm", real.Snapshot, debian, true, real, true, nil},
		{"an impostor by id", "bookworm", impostor.Snapshot, debian, false, datasets.Partition{}, false, []datasets.Partition{impostor}},
		{"unverified allowed: the newest", "bookworm", "", anyDebian, true, forged, false, nil},
		{"no trust (runs started before it): the newest", "bookworm", "", nil, true, forged, false, nil},
		{"another key trusted", "bookworm", "", &Trust{Keys: []string{otherKey}}, true, forged, true, nil},
		{"apk: a signer reported without a check does not count", "v3.20", "", alpine, true, apkOwn, true, []datasets.Partition{apkNot}},
		{"a snapshots file that cannot be read is unverified", "sid", "", debian, false, datasets.Partition{}, false, []datasets.Partition{broken}},
		{"…and still found without trust", "sid", "", nil, true, broken, false, nil},
		{"a release with none", "trixie", "", debian, false, datasets.Partition{}, false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, found, err := s.Find(ctx, "debian", tc.release, tc.snapshot, tc.trust)
			if err != nil {
				t.Fatal(err)
			}
			var passed []datasets.Partition
			for _, c := range l.PassedOver {
				passed = append(passed, c.Partition)
			}
			if found != tc.found || l.Partition != tc.want || l.Trusted != tc.trusted || !slices.Equal(passed, tc.passed) {
				t.Errorf("Find = %+v, found %v\nwant %+v, found %v, trusted %v, passed over %v", l, found, tc.want, tc.found, tc.trusted, tc.passed)
			}
		})
	}

	// What a side says about the snapshot it used.
	l, _, _ := s.Find(ctx, "debian", "bookworm", "", debian)
	if got := l.Describe(); !strings.Contains(got, "debian/bookworm/"+real.Snapshot+": verified, signed by "+debianKey+", the keyring of catalogue source debian") {
		t.Errorf("Describe of the signed snapshot = %q", got)
	}
	if got := l.PassedOver[1].Verification(); got != "unverified" {
		t.Errorf("Verification of the unsigned impostor = %q", got)
	}
	l, _, _ = s.Find(ctx, "debian", "bookworm", "", anyDebian)
	if got := l.Describe(); !strings.Contains(got, "signed by "+otherKey+", NOT the keyring of catalogue source debian") {
		t.Errorf("Describe of a snapshot signed by another key = %q", got)
	}
	l, _, _ = s.Find(ctx, "debian", "bookworm", impostor.Snapshot, anyDebian)
	if got := l.Describe(); !strings.Contains(got, "UNVERIFIED") {
		t.Errorf("Describe of the unsigned impostor = %q", got)
	}
	l, _, _ = s.Find(ctx, "debian", "bookworm", impostor.Snapshot, debian)
	err = debian.Refusal("debian/bookworm", l.PassedOver)
	if err == nil || !strings.Contains(err.Error(), impostor.Snapshot+" (unverified)") || !strings.Contains(err.Error(), "--allow-unverified") {
		t.Errorf("Refusal = %v", err)
	}
	// Locate, which takes any snapshot, agrees with Find without trust.
	if p, found, err := s.Locate(ctx, "debian", "bookworm", ""); err != nil || !found || p != forged {
		t.Errorf("Locate = %+v, %v, %v", p, found, err)
	}
}

// TestSignedByRefusesFlippedBits: signed_by decides what a comparison may
// use, so the snapshots file is read checked against its manifest — a bit
// flipped in it fails as corrupt, naming the file, instead of reading as
// no key, or as another.
func TestSignedByRefusesFlippedBits(t *testing.T) {
	st, err := localfs.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	p := datasets.Partition{Distro: "debian", Release: "bookworm", Snapshot: "20261123T004514Z-aaaaaaaaaaaa"}
	datasetstest.CommitSnapshot(t, st, p, debianKey)
	ctx := context.Background()
	s := Storage{Store: st}
	if got, err := s.SignedBy(ctx, p); err != nil || !slices.Equal(got, []string{debianKey}) {
		t.Fatalf("SignedBy as committed = %v, %v", got, err)
	}
	key := datasets.Snapshots.DataKey(p)
	clean := storetest.Get(t, st, key)
	offsets := []int{4, len(clean) / 2, len(clean) - 9}
	if i := bytes.Index(clean, []byte(debianKey)); i >= 0 {
		offsets = append(offsets, i+3) // the key itself, if stored plain
	}
	for _, off := range offsets {
		flipped := bytes.Clone(clean)
		flipped[off] ^= 1
		storetest.Put(t, st, key, flipped)
		got, err := s.SignedBy(ctx, p)
		if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), key) {
			t.Errorf("byte %d flipped: SignedBy = %v, %v; want an error wrapping ErrCorrupt naming %s", off, got, err, key)
		}
	}
}
