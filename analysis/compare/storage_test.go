package compare

import (
	"bytes"
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/distroscope/distroscope/analysis/report"
	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/datasets/datasetstest"
	"github.com/distroscope/distroscope/store"
	"github.com/distroscope/distroscope/store/localfs"
)

var (
	oldPart = datasets.Partition{Distro: "debian", Release: "bookworm", Snapshot: "20260101T000000Z-aaaaaaaaaaaa"}
	newPart = datasets.Partition{Distro: "debian", Release: "bookworm-updates", Snapshot: "20260202T000000Z-bbbbbbbbbbbb"}
	// The comparison of oldPart and newPart, where its objects go: the
	// layout readers depend on, spelled out rather than derived.
	reportDir = "reports/compare/distro=debian/release=bookworm~bookworm-updates/snapshot=20260101T000000Z-aaaaaaaaaaaa~20260202T000000Z-bbbbbbbbbbbb/"
)

func localStore(t *testing.T) *localfs.Store {
	t.Helper()
	st, err := localfs.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func storageOf(t *testing.T, st store.Store) Storage {
	return Storage{Store: st, TempDir: t.TempDir(), Producer: "test",
		Now: func() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) }}
}

// committedSides commits the fixture's two sides as oldPart and newPart.
func committedSides(t *testing.T, st store.Store) {
	t.Helper()
	oldRows, newRows := fixtureSides(t)
	datasetstest.CommitPackages(t, st, oldPart, oldRows)
	datasetstest.CommitPackages(t, st, newPart, newRows)
}

// compared loads and compares the committed sides.
func compared(t *testing.T, s Storage) Result {
	t.Helper()
	o, n, err := s.LoadBoth(context.Background(), oldPart, newPart)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Compare(o, n, Options{Old: oldPart, New: newPart})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestLocate(t *testing.T) {
	st := localStore(t)
	older := datasets.Partition{Distro: "debian", Release: "trixie", Snapshot: "20250101T000000Z-111111111111"}
	newer := datasets.Partition{Distro: "debian", Release: "trixie", Snapshot: "20260101T000000Z-222222222222"}
	ubuntu := datasets.Partition{Distro: "ubuntu", Release: "trixie", Snapshot: "20270101T000000Z-333333333333"}
	for _, p := range []datasets.Partition{newer, ubuntu, older} {
		datasetstest.CommitSnapshot(t, st, p)
	}
	// packages without a snapshots manifest is a snapshot whose commit
	// did not finish: not committed.
	datasetstest.CommitPackages(t, st, datasets.Partition{Distro: "debian", Release: "sid", Snapshot: "20260101T000000Z-444444444444"},
		parseFile(t, mainFixture)[:3])
	s := storageOf(t, st)
	for _, tc := range []struct {
		name                      string
		distro, release, snapshot string
		want                      datasets.Partition
		found                     bool
	}{
		{"the newest of the release", "debian", "trixie", "", newer, true},
		{"an older one by id", "debian", "trixie", older.Snapshot, older, true},
		{"the release of another distro", "ubuntu", "trixie", "", ubuntu, true},
		{"an id that is not there", "debian", "trixie", "20240101T000000Z-555555555555", datasets.Partition{}, false},
		{"a release with none", "debian", "bookworm", "", datasets.Partition{}, false},
		{"packages committed, snapshots not", "debian", "sid", "", datasets.Partition{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, found, err := s.Locate(context.Background(), tc.distro, tc.release, tc.snapshot)
			if err != nil || found != tc.found || got != tc.want {
				t.Errorf("Locate = %+v, %v, %v; want %+v, %v", got, found, err, tc.want, tc.found)
			}
		})
	}
}

// TestCommit commits a comparison and finds it committed: three datasets
// whose rows the summary counts, the report pages and every CSV table at
// their fixed keys, nothing left staged.
func TestCommit(t *testing.T) {
	st := localStore(t)
	committedSides(t, st)
	s := storageOf(t, st)
	ctx := context.Background()
	p := datasets.ComparePartition(oldPart, newPart)
	if _, ok, err := s.Committed(ctx, p); ok || err != nil {
		t.Fatalf("Committed before the commit = %v, %v", ok, err)
	}
	res := compared(t, s)
	pub, err := s.Commit(ctx, Run{Old: oldPart, New: newPart, WorkflowID: "wf", RunID: "run"}, res)
	if err != nil {
		t.Fatal(err)
	}
	wantManifests := []string{
		"package_changes/v1/distro=debian/release=bookworm~bookworm-updates/snapshot=20260101T000000Z-aaaaaaaaaaaa~20260202T000000Z-bbbbbbbbbbbb/_manifest.json",
		"source_changes/v1/distro=debian/release=bookworm~bookworm-updates/snapshot=20260101T000000Z-aaaaaaaaaaaa~20260202T000000Z-bbbbbbbbbbbb/_manifest.json",
		"compare_summaries/v1/distro=debian/release=bookworm~bookworm-updates/snapshot=20260101T000000Z-aaaaaaaaaaaa~20260202T000000Z-bbbbbbbbbbbb/_manifest.json",
	}
	wantReports := []string{reportDir + "report.html", reportDir + "report.md"}
	if pub.Partition != p || !slices.Equal(pub.Manifests, wantManifests) || !slices.Equal(slices.Sorted(slices.Values(pub.Reports)), wantReports) {
		t.Errorf("Commit = %+v\nwant manifests %q and reports %q", pub, wantManifests, wantReports)
	}
	m, ok, err := datasets.Committed(ctx, st, datasets.PackageChanges, p)
	if err != nil || !ok || m.WorkflowID != "wf" || m.RunID != "run" || m.Producer != "test" || len(m.Inputs) != 2 {
		t.Errorf("package_changes manifest = %+v, %v, %v", m, ok, err)
	}
	sum := res.Summary
	if sum.Added+sum.Removed+sum.Upgraded+sum.Downgraded+sum.Same != m.Rows || m.Rows != int64(len(res.Changes)) {
		t.Errorf("summary %+v does not count the %d package_changes rows", sum, m.Rows)
	}
	csvs := listKeys(t, st, reportDir+"csv/")
	if len(csvs) < 8 {
		t.Errorf("CSV tables %q", csvs)
	}
	if staged := listKeys(t, st, "_staging/"); len(staged) != 0 {
		t.Errorf("staging left behind: %q", staged)
	}
	again, ok, err := s.Committed(ctx, p)
	if err != nil || !ok || again.Summary != sum || !slices.Equal(slices.Sorted(slices.Values(again.Reports)), wantReports) || !slices.Equal(again.Manifests, wantManifests) {
		t.Errorf("Committed after the commit = %+v, %v, %v", again, ok, err)
	}
}

// TestCommitOrder: the summary is committed after the other two tables,
// and the report pages after the summary and every CSV — what Committed
// and a reader of the pages rely on.
func TestCommitOrder(t *testing.T) {
	rec := &recordingStore{Store: localStore(t)}
	committedSides(t, rec.Store)
	s := storageOf(t, rec)
	if _, err := s.Commit(context.Background(), Run{Old: oldPart, New: newPart}, compared(t, s)); err != nil {
		t.Fatal(err)
	}
	at := func(suffix string) int {
		t.Helper()
		i := slices.IndexFunc(rec.writes, func(k string) bool { return strings.HasSuffix(k, suffix) })
		if i < 0 {
			t.Fatalf("nothing written to *%s in %q", suffix, rec.writes)
		}
		return i
	}
	summary := at("compare_summaries/v1/distro=debian/release=bookworm~bookworm-updates/snapshot=20260101T000000Z-aaaaaaaaaaaa~20260202T000000Z-bbbbbbbbbbbb/_manifest.json")
	for _, before := range []string{
		"package_changes/v1/distro=debian/release=bookworm~bookworm-updates/snapshot=20260101T000000Z-aaaaaaaaaaaa~20260202T000000Z-bbbbbbbbbbbb/_manifest.json",
		"source_changes/v1/distro=debian/release=bookworm~bookworm-updates/snapshot=20260101T000000Z-aaaaaaaaaaaa~20260202T000000Z-bbbbbbbbbbbb/_manifest.json",
	} {
		if at(before) > summary {
			t.Errorf("%s written after the summary's manifest", before)
		}
	}
	for _, page := range []string{"report.html", "report.md"} {
		i := at(reportDir + page)
		if i < summary {
			t.Errorf("%s written before the summary's manifest", page)
		}
		for j, k := range rec.writes {
			if strings.HasPrefix(k, reportDir+"csv/") && j > i {
				t.Errorf("%s written after %s", k, page)
			}
		}
	}
}

// TestCommitInterrupted: a commit that fails before the summary leaves
// the comparison uncommitted and without report pages; committing again
// completes it.
func TestCommitInterrupted(t *testing.T) {
	st := localStore(t)
	committedSides(t, st)
	ctx := context.Background()
	p := datasets.ComparePartition(oldPart, newPart)
	failing := &failingStore{Store: st, fail: "compare_summaries/v1/", err: errors.New("connection reset by peer")}
	s := storageOf(t, failing)
	res := compared(t, s)
	if _, err := s.Commit(ctx, Run{Old: oldPart, New: newPart}, res); err == nil || !strings.Contains(err.Error(), "connection reset") {
		t.Fatalf("Commit with a failing store = %v", err)
	}
	if _, ok, err := s.Committed(ctx, p); ok || err != nil {
		t.Errorf("Committed after a failed commit = %v, %v", ok, err)
	}
	if pages := listKeys(t, st, reportDir+"report."); len(pages) != 0 {
		t.Errorf("report pages %q stored for an uncommitted comparison", pages)
	}
	s.Store = st
	if _, err := s.Commit(ctx, Run{Old: oldPart, New: newPart}, res); err != nil {
		t.Fatal(err)
	}
	if pub, ok, err := s.Committed(ctx, p); !ok || err != nil || len(pub.Reports) != 2 {
		t.Errorf("Committed after the retry = %+v, %v, %v", pub, ok, err)
	}
}

// TestCommittedNeedsTheWholeReport: a comparison whose worker died
// between the summary and the pages, or whose report is older than a CSV
// this version renders, is not committed; committing it again renders the
// report and keeps the datasets as they were.
func TestCommittedNeedsTheWholeReport(t *testing.T) {
	for _, missing := range []string{"report.html", "report.md", "csv/" + report.CSVNames[len(report.CSVNames)-1]} {
		t.Run(missing, func(t *testing.T) {
			st := localStore(t)
			committedSides(t, st)
			s := storageOf(t, st)
			ctx := context.Background()
			p := datasets.ComparePartition(oldPart, newPart)
			res := compared(t, s)
			if _, err := s.Commit(ctx, Run{Old: oldPart, New: newPart, RunID: "first"}, res); err != nil {
				t.Fatal(err)
			}
			if err := st.Delete(ctx, reportDir+missing); err != nil {
				t.Fatal(err)
			}
			if _, ok, err := s.Committed(ctx, p); ok || err != nil {
				t.Fatalf("Committed without %s = %v, %v", missing, ok, err)
			}
			if _, err := s.Commit(ctx, Run{Old: oldPart, New: newPart, RunID: "second"}, res); err != nil {
				t.Fatal(err)
			}
			if _, ok, err := s.Committed(ctx, p); !ok || err != nil {
				t.Errorf("Committed after committing again = %v, %v", ok, err)
			}
			if m, ok, err := datasets.Committed(ctx, st, datasets.PackageChanges, p); err != nil || !ok || m.RunID != "first" {
				t.Errorf("package_changes manifest %+v, %v, %v: want the first run's, kept", m, ok, err)
			}
		})
	}
}

// TestCommittedCompletesAnOlderComparison: a comparison committed before
// source_changes existed (its summary and package_changes, no
// source_changes, no report) is not committed; committing it adds
// source_changes and the report and keeps package_changes as it was.
func TestCommittedCompletesAnOlderComparison(t *testing.T) {
	st := localStore(t)
	committedSides(t, st)
	s := storageOf(t, st)
	ctx := context.Background()
	res := compared(t, s)
	run := Run{Old: oldPart, New: newPart}
	if _, err := s.Commit(ctx, run, res); err != nil {
		t.Fatal(err)
	}
	p := datasets.ComparePartition(oldPart, newPart)
	before, _, err := datasets.Committed(ctx, st, datasets.PackageChanges, p)
	if err != nil {
		t.Fatal(err)
	}
	for _, prefix := range []string{datasets.SourceChanges.Name + "/", "reports/"} {
		for _, k := range listKeys(t, st, prefix) {
			if err := st.Delete(ctx, k); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, ok, err := s.Committed(ctx, p); ok || err != nil {
		t.Fatalf("a comparison without source_changes is committed: %v, %v", ok, err)
	}
	s.Now = func() time.Time { return time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC) }
	if _, err := s.Commit(ctx, run, res); err != nil {
		t.Fatal(err)
	}
	if pub, ok, err := s.Committed(ctx, p); !ok || err != nil || len(pub.Reports) != 2 {
		t.Errorf("Committed after completing = %+v, %v, %v", pub, ok, err)
	}
	after, _, err := datasets.Committed(ctx, st, datasets.PackageChanges, p)
	if err != nil || !after.CommittedAt.Equal(before.CommittedAt) {
		t.Errorf("package_changes recommitted: %v → %v (%v)", before.CommittedAt, after.CommittedAt, err)
	}
}

// TestLoad: a committed snapshot loads from the local folder in place and
// from an object store through a spooled copy; a missing or corrupt one
// fails with the error a caller branches on, naming the object.
// (TestLoadRefusesFlippedBits flips single bits.)
func TestLoad(t *testing.T) {
	rows := parseFile(t, mainFixture)
	for _, tc := range []struct {
		name    string
		prepare func(t *testing.T, st store.Store)
		spool   bool
		wantErr error
	}{
		{"local folder", func(t *testing.T, st store.Store) { datasetstest.CommitPackages(t, st, newPart, rows) }, false, nil},
		{"object store", func(t *testing.T, st store.Store) { datasetstest.CommitPackages(t, st, newPart, rows) }, true, nil},
		{"not committed", func(t *testing.T, st store.Store) {}, false, ErrNotCommitted},
		{"not what its manifest records", func(t *testing.T, st store.Store) {
			datasetstest.CommitPackages(t, st, newPart, rows)
			junk := []byte("PAR1 this is not a Parquet file PAR1")
			if err := st.Put(context.Background(), datasets.Packages.DataKey(newPart), bytes.NewReader(junk), int64(len(junk))); err != nil {
				t.Fatal(err)
			}
		}, true, ErrCorrupt},
		{"what its manifest records, but not Parquet", func(t *testing.T, st store.Store) {
			m := datasetstest.CommitPackages(t, st, newPart, rows)
			junk := []byte("PAR1 this is not a Parquet file PAR1")
			if err := st.Put(context.Background(), datasets.Packages.DataKey(newPart), bytes.NewReader(junk), int64(len(junk))); err != nil {
				t.Fatal(err)
			}
			d := datasets.NewDigest()
			d.Write(junk)
			m.Files[0].Bytes, m.Files[0].SHA256 = d.Size(), d.SHA256()
			datasetstest.RewriteManifest(t, st, datasets.Packages, m)
		}, false, ErrCorrupt},
		{"listed by its manifest, missing", func(t *testing.T, st store.Store) {
			datasetstest.CommitPackages(t, st, newPart, rows)
			if err := st.Delete(context.Background(), datasets.Packages.DataKey(newPart)); err != nil {
				t.Fatal(err)
			}
		}, false, ErrCorrupt},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var st store.Store = localStore(t)
			tc.prepare(t, st)
			if tc.spool {
				st = streamingStore{st}
			}
			snap, err := storageOf(t, st).Load(context.Background(), newPart)
			if tc.wantErr == nil {
				if err != nil || snap.Len() != len(rows) {
					t.Fatalf("Load = %v rows, %v; want %d rows", snap, err, len(rows))
				}
				return
			}
			if !errors.Is(err, tc.wantErr) || !strings.Contains(err.Error(), datasets.Packages.DataKey(newPart)) {
				t.Errorf("Load error = %v, want %v naming %s", err, tc.wantErr, datasets.Packages.DataKey(newPart))
			}
		})
	}
}

func listKeys(t *testing.T, st store.Store, prefix string) []string {
	t.Helper()
	objs, err := st.List(context.Background(), prefix)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range objs {
		keys = append(keys, o.Key)
	}
	return keys
}

// recordingStore records the keys written (Put or Copy), in order.
type recordingStore struct {
	store.Store
	mu     sync.Mutex
	writes []string
}

func (s *recordingStore) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	err := s.Store.Put(ctx, key, r, size)
	s.record(key, err)
	return err
}

func (s *recordingStore) Copy(ctx context.Context, src, dst string) error {
	err := s.Store.Copy(ctx, src, dst)
	s.record(dst, err)
	return err
}

func (s *recordingStore) record(key string, err error) {
	if err == nil {
		s.mu.Lock()
		s.writes = append(s.writes, key)
		s.mu.Unlock()
	}
}

// failingStore fails every write to a key starting with fail.
type failingStore struct {
	store.Store
	fail string
	err  error
}

func (s *failingStore) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	if strings.HasPrefix(key, s.fail) {
		return s.err
	}
	return s.Store.Put(ctx, key, r, size)
}

func (s *failingStore) Copy(ctx context.Context, src, dst string) error {
	if strings.HasPrefix(dst, s.fail) {
		return s.err
	}
	return s.Store.Copy(ctx, src, dst)
}

// streamingStore hands out objects as plain streams, as an S3 store does.
type streamingStore struct{ store.Store }

func (s streamingStore) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	rc, err := s.Store.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	return struct{ io.ReadCloser }{rc}, nil
}
