package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distroscope/distroscope/activities"
	"github.com/distroscope/distroscope/analysis/compare"
	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/datasets/datasetstest"
	"github.com/distroscope/distroscope/internal/app"
	"github.com/distroscope/distroscope/repo"
	"github.com/distroscope/distroscope/repo/formats/formatstest"
	"github.com/distroscope/distroscope/workflows"
)

// writeCatalogue writes a catalogue naming the fixture distribution with
// its keyring, and fedora with none, and returns its path.
func writeCatalogue(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sources.yaml")
	text := fmt.Sprintf(`sources:
  - name: distroscope-fixture
    format: apt
    mirror: http://127.0.0.1:1/fixture
    suites: [fixture]
    components: [main]
    architectures: [amd64]
    keyring: [%s]
  - name: fedora
    format: rpm-md
    mirror: http://127.0.0.1:1/fedora
    suites: ["41"]
    components: [Everything]
    architectures: [x86_64]
`, formatstest.Path(t, "keyring.gpg"))
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// Each side of a comparison trusts the keys the catalogue names for its
// distribution; without them it needs --allow-unverified.
func TestCompareInputTrust(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	cfg.AptRoot = t.TempDir()
	cfg.Catalog = writeCatalogue(t)
	fpr := formatstest.Fingerprint(t)
	for _, tc := range []struct {
		name            string
		refs            []string
		allowUnverified bool
		check           func(t *testing.T, in workflows.CompareInput)
		err             string
	}{
		{"the catalogue's keys", []string{"distroscope-fixture/fixture", "distroscope-fixture/fixture"}, false, func(t *testing.T, in workflows.CompareInput) {
			tr := in.New.Trust
			if tr == nil || len(tr.Keys) != 1 || tr.Keys[0] != fpr || tr.AllowUnverified || !strings.Contains(tr.By, "distroscope-fixture") {
				t.Errorf("trust = %+v, want the fixture key %s", tr, fpr)
			}
			if in.New.Spec == nil || !strings.HasPrefix(in.New.SnapshotWorkflowID, workflows.SnapshotWorkflowID(*in.New.Spec)+"/") {
				t.Errorf("side = %+v, want a spec and its run ID", in.New)
			}
		}, ""},
		{"--allow-unverified keeps the keys, to say who verified", []string{"distroscope-fixture/fixture", "distroscope-fixture/fixture"}, true, func(t *testing.T, in workflows.CompareInput) {
			if tr := in.Old.Trust; tr == nil || !tr.AllowUnverified || len(tr.Keys) != 1 {
				t.Errorf("trust = %+v", tr)
			}
		}, ""},
		{"a source the catalogue takes unverified", []string{"fedora/41", "fedora/41"}, false, func(t *testing.T, in workflows.CompareInput) {
			if tr := in.Old.Trust; tr == nil || !tr.AllowUnverified {
				t.Errorf("trust = %+v, want unverified accepted", tr)
			}
		}, ""},
		{"a distribution the catalogue does not know", []string{"debian/bookworm", "debian/trixie"}, false, nil,
			`compare: debian/bookworm: catalog: no source called "debian": nothing says which keys debian's snapshots must be verified by; name its keyring in the sources catalogue (see 'distroscope sources ls'), or pass --allow-unverified`},
		{"…with --allow-unverified", []string{"debian/bookworm", "debian/trixie"}, true, func(t *testing.T, in workflows.CompareInput) {
			if tr := in.Old.Trust; tr == nil || !tr.AllowUnverified || len(tr.Keys) != 0 {
				t.Errorf("trust = %+v", tr)
			}
		}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in, err := compareInput(cfg, tc.refs, tc.allowUnverified)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("error = %v\nwant %s", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, in)
		})
	}
}

// A snapshot's run ID reads the keys, not the paths: the same keyring
// elsewhere is the same run, another keyring, an opt-out, another queue or
// store another run.
func TestSnapshotRunIDReadsTheKeys(t *testing.T) {
	cfg := testConfig(t, "/srv/store")
	keyring := formatstest.Path(t, "keyring.gpg")
	data, err := os.ReadFile(keyring)
	if err != nil {
		t.Fatal(err)
	}
	moved := filepath.Join(t.TempDir(), "moved.gpg")
	if err := os.WriteFile(moved, data, 0o644); err != nil {
		t.Fatal(err)
	}
	src := repo.Spec{Mirror: "http://127.0.0.1:1/fixture", Suite: "fixture", Components: []string{"main"}, Architectures: []string{"amd64"},
		SignedBy: []string{keyring}}
	id := snapshotRunID(cfg, src)
	same := src
	same.SignedBy = []string{moved}
	if snapshotRunID(cfg, same) != id {
		t.Errorf("the same keyring at another path is another run")
	}
	other := src
	other.SignedBy = []string{formatstest.Path(t, "other-keyring.gpg")}
	lax := src
	lax.AllowUnsigned = true
	queue, st := cfg, cfg
	queue.Temporal.TaskQueue = "elsewhere"
	st.Store.URL = "s3://bucket/distroscope"
	for name, got := range map[string]string{"another keyring": snapshotRunID(cfg, other), "--allow-unsigned": snapshotRunID(cfg, lax),
		"another queue": snapshotRunID(queue, src), "another store": snapshotRunID(st, src)} {
		if got == id {
			t.Errorf("%s: the same run ID %s", name, id)
		}
	}
}

// A comparison's output names each side's snapshot and who verified it,
// and what it passed over.
func TestPrintSides(t *testing.T) {
	trust := &compare.Trust{Keys: []string{"AAAA"}, By: "the keyring of catalogue source debian"}
	res := activities.CompareResult{
		Old: compare.Located{Candidate: compare.Candidate{Partition: datasets.Partition{Distro: "debian", Release: "bookworm", Snapshot: "20260101T000000Z-aaaaaaaaaaaa"},
			SignedBy: []string{"AAAA"}}, Trust: trust, Trusted: true},
		New: compare.Located{Candidate: compare.Candidate{Partition: datasets.Partition{Distro: "debian", Release: "trixie", Snapshot: "20260202T000000Z-bbbbbbbbbbbb"},
			SignedBy: []string{"AAAA"}}, Trust: trust, Trusted: true, PassedOver: []compare.Candidate{
			{Partition: datasets.Partition{Distro: "debian", Release: "trixie", Snapshot: "20270101T000000Z-cccccccccccc"}}}},
	}
	var b bytes.Buffer
	printSides(&b, res)
	want := "  old debian/bookworm/20260101T000000Z-aaaaaaaaaaaa: verified, signed by AAAA, the keyring of catalogue source debian\n" +
		"  new debian/trixie/20260202T000000Z-bbbbbbbbbbbb: verified, signed by AAAA, the keyring of catalogue source debian\n" +
		"      passed over 20270101T000000Z-cccccccccccc (unverified): not verified by the keyring of catalogue source debian\n"
	if b.String() != want {
		t.Errorf("printSides:\n%s\nwant\n%s", b.String(), want)
	}
	b.Reset()
	printSides(&b, activities.CompareResult{})
	if b.Len() != 0 {
		t.Errorf("a result without sides (an older worker's) printed %q", b.String())
	}
}

// `datasets ls` says who verified each snapshot, and whether that is the
// keyring the catalogue names for the distribution.
func TestDatasetsLsSaysWhoVerified(t *testing.T) {
	dir := t.TempDir()
	fpr := formatstest.Fingerprint(t)
	signed := datasets.Partition{Distro: "distroscope-fixture", Release: "fixture", Snapshot: "20261123T004514Z-aaaaaaaaaaaa"}
	impostor := datasets.Partition{Distro: "distroscope-fixture", Release: "fixture", Snapshot: "20261201T000000Z-bbbbbbbbbbbb"}
	forged := datasets.Partition{Distro: "distroscope-fixture", Release: "fixture", Snapshot: "20261202T000000Z-cccccccccccc"}
	ctx := context.Background()
	st, err := app.OpenStore(ctx, testConfig(t, dir))
	if err != nil {
		t.Fatal(err)
	}
	for p, signers := range map[datasets.Partition][]string{signed: {fpr}, impostor: nil, forged: {"0123456789ABCDEF0123456789ABCDEF01234567"}} {
		datasetstest.CommitSnapshot(t, st, p, signers...)
	}
	app.CloseStore(st)
	var out, errb bytes.Buffer
	env := map[string]string{"DISTROSCOPE_STORE": dir, "DISTROSCOPE_APT_ROOT": t.TempDir(), "DISTROSCOPE_CATALOG": writeCatalogue(t)}
	if code := run([]string{"datasets", "ls"}, strings.NewReader(""), &out, &errb, func(k string) string { return env[k] }); code != 0 {
		t.Fatalf("datasets ls: exit %d: %s", code, errb.String())
	}
	for snapshot, want := range map[string]string{
		signed.Snapshot:   "signed by " + fpr + " (the catalogue's keyring)",
		impostor.Snapshot: "unverified",
		forged.Snapshot:   "signed by 0123456789ABCDEF0123456789ABCDEF01234567 (NOT the catalogue's keyring for distroscope-fixture)",
	} {
		line := ""
		for _, l := range strings.Split(out.String(), "\n") {
			if strings.Contains(l, snapshot) {
				line = l
			}
		}
		if !strings.HasSuffix(strings.TrimSpace(line), want) {
			t.Errorf("the line of %s = %q, want it to end %q\n%s", snapshot, line, want, out.String())
		}
	}
	if !strings.Contains(out.String(), "VERIFIED") {
		t.Errorf("no VERIFIED column:\n%s", out.String())
	}
}
