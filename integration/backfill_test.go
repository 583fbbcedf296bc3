package integration

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/internal/aptarchive"
	"github.com/distroscope/distroscope/repo"
	"github.com/distroscope/distroscope/store/localfs"
)

// TestBackfillThroughTheCLI backfills five days of a dated archive with
// the worker binary and the CLI: three states of a real Packages index,
// edited by the test (a package removed and one re-versioned on the third
// day, one added on the fourth), signed by a key that expired two months
// ago, each Release past its Valid-Until today. The backfill commits
// exactly the three distinct snapshots, each verified as of the first date
// that served it; the same range again writes nothing; a snapshot of the
// same archive today is refused; a source without archive is refused.
func TestBackfillThroughTheCLI(t *testing.T) {
	e := newVerifyEnv(t)
	now := time.Now().UTC()
	day0 := now.Truncate(24*time.Hour).AddDate(0, 0, -100)
	at := func(d int) time.Time { return day0.AddDate(0, 0, d).Add(10 * time.Hour) }
	endOf := func(d int) time.Time { return day0.AddDate(0, 0, d+1).Add(-time.Second) }

	key, err := aptarchive.Key(day0.AddDate(0, 0, -30), day0.AddDate(0, 0, 40))
	if err != nil {
		t.Fatal(err)
	}
	real, err := aptarchive.ReadStanzas("../ecosystem/deb/testdata/bookworm-main-amd64.Packages")
	if err != nil {
		t.Fatal(err)
	}
	updates, err := aptarchive.ReadStanzas("../ecosystem/deb/testdata/bookworm-updates-main-amd64.Packages")
	if err != nil {
		t.Fatal(err)
	}
	second := real.Without("abook").Reversioned("bash", "5.2.15-2+b9")
	var added aptarchive.Stanza
	for _, s := range updates {
		if second.Version(s.Name) == "" {
			added = s
			break
		}
	}
	third := second.Plus(added)
	states := []aptarchive.State{
		{At: at(1), Packages: map[string]aptarchive.Stanzas{"main/amd64": real}, ValidFor: 7 * 24 * time.Hour},
		{At: at(3), Packages: map[string]aptarchive.Stanzas{"main/amd64": second}, ValidFor: 7 * 24 * time.Hour},
		{At: at(4), Packages: map[string]aptarchive.Stanzas{"main/amd64": third}, ValidFor: 7 * 24 * time.Hour},
	}
	root, keyring := t.TempDir(), filepath.Join(t.TempDir(), "archive.gpg")
	if err := aptarchive.WriteKeyring(keyring, key); err != nil {
		t.Fatal(err)
	}
	a := aptarchive.Archive{Root: root, Name: "fx", Suite: "fixture", Origin: "Backfill Fixture", Codename: "fixture", Key: key}
	if err := a.Write(states...); err != nil {
		t.Fatal(err)
	}
	archive := aptarchive.URL(aptarchive.Serve(t, root), "fx")
	e.catalog = filepath.Join(t.TempDir(), "sources.yaml")
	cat := fmt.Sprintf(`sources:
  - name: fx
    format: apt
    mirror: %s
    archive: "%s"
    suites: [fixture]
    components: [main]
    architectures: [amd64]
    keyring: [%s]
  - name: plain
    format: apt
    mirror: %s
    suites: [fixture]
    components: [main]
    architectures: [amd64]
    keyring: [%s]
`, repo.ExpandArchive(archive, now), archive, keyring, repo.ExpandArchive(archive, now), keyring)
	if err := os.WriteFile(e.catalog, []byte(cat), 0o644); err != nil {
		t.Fatal(err)
	}
	startWorkerProcess(t, buildWorker(t), []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(),
		"TEMPORAL_ADDRESS=" + e.temporal, "TEMPORAL_NAMESPACE=default", "DISTROSCOPE_TASK_QUEUE=" + e.queue,
		"DISTROSCOPE_STORE=" + e.store, "DISTROSCOPE_METRICS_ADDR=", "DISTROSCOPE_LOG_LEVEL=info"})

	from, to := endOf(1).Format(time.DateOnly), endOf(5).Format(time.DateOnly)
	r := e.run(t, "backfill", "fx", "--from", from, "--to", to)
	if r.code != 0 || !strings.Contains(r.stdout, "fx: 5 dates, 3 distinct snapshots (3 committed, 0 already committed), 0 failed") {
		t.Fatalf("backfill: %s", r)
	}
	// Then the release's trends, over the three snapshots.
	if !strings.Contains(r.stdout, "3 snapshots, 3 states computed, 0 already committed") {
		t.Errorf("the backfill did not bring the trends up to date:\n%s", r.stdout)
	}
	if !strings.Contains(r.stderr, "backfill fx: 1 suites × 5 dates: run backfill/fx/") || !strings.Contains(r.stderr, "/5 dates, ") {
		t.Errorf("no start or progress line: %s", r.stderr)
	}

	// Exactly the three states, each dated by its own Release, verified as
	// of the first date that served it, with its own rows.
	st, err := localfs.New(e.store)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ms, err := datasets.ListManifests(context.Background(), st, datasets.Snapshots)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 3 {
		t.Fatalf("%d snapshots committed, want 3: %v", len(ms), ms)
	}
	firstServed := []time.Time{endOf(1), endOf(3), endOf(4)}
	for i, m := range ms {
		rows, err := readAll[datasets.SnapshotRow](t, st, m.Files[0].Key)
		if err != nil || len(rows) != 1 {
			t.Fatalf("%s: %d rows, %v", m.Partition, len(rows), err)
		}
		row := rows[0]
		want := len(states[i].Packages["main/amd64"])
		if !row.ReleaseDate.Equal(states[i].At) || !row.VerifiedAsOf.Equal(firstServed[i]) || row.Rows != int64(want) ||
			!strings.HasPrefix(m.Partition.Snapshot, states[i].At.Format(repo.ArchiveDateLayout)) ||
			row.Mirror != repo.ExpandArchive(archive, firstServed[i]) || row.FetchedAt.Before(now.Add(-time.Minute)) {
			t.Errorf("snapshot %d (%s): release date %s (want %s), verified as of %s (want %s), %d rows (want %d), mirror %s, fetched %s",
				i, m.Partition.Snapshot, row.ReleaseDate, states[i].At, row.VerifiedAsOf, firstServed[i], row.Rows, want, row.Mirror, row.FetchedAt)
		}
		if !strings.Contains(r.stdout, fmt.Sprintf("%s %s/%s/%s committed", firstServed[i].Format(repo.ArchiveDateLayout),
			m.Partition.Distro, m.Partition.Release, m.Partition.Snapshot)) {
			t.Errorf("the output does not name snapshot %s at %s:\n%s", m.Partition.Snapshot, firstServed[i].Format(repo.ArchiveDateLayout), r.stdout)
		}
	}

	// The same range again finds every Release committed and writes nothing.
	before := storeListing(t, e.store)
	r = e.run(t, "backfill", "fx", "--from", from, "--to", to)
	if r.code != 0 || !strings.Contains(r.stdout, "fx: 5 dates, 3 distinct snapshots (0 committed, 3 already committed), 0 failed") {
		t.Fatalf("backfill again: %s", r)
	}
	if after := storeListing(t, e.store); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("the second backfill changed the store:\nbefore %v\nafter  %v", before, after)
	}

	// Today, the newest of those Releases is refused: its key has expired,
	// whatever --allow-expired says of Valid-Until.
	for _, args := range [][]string{{"snapshot", "fx/fixture"}, {"snapshot", "--allow-expired", "fx/fixture"}} {
		r = e.run(t, args...)
		if r.code != 1 || !strings.Contains(r.stderr, "no good signature by a trusted key") || !strings.Contains(r.stderr, "key expired") {
			t.Errorf("%v today: %s", args, r)
		}
	}

	// A source without a dated archive is refused, naming the field.
	r = e.run(t, "backfill", "plain", "--from", from, "--to", to)
	if r.code != 2 || !strings.Contains(r.stderr, `backfill: source "plain" has no dated archive: its catalogue entry (`+e.catalog+` line 10) needs an archive field`) {
		t.Errorf("a source without archive: %s", r)
	}
}
