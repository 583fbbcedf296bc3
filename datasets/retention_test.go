package datasets_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/datasets/datasetstest"
	"github.com/distroscope/distroscope/internal/testenv"
	"github.com/distroscope/distroscope/store"
	"github.com/distroscope/distroscope/store/localfs"
	"github.com/distroscope/distroscope/store/s3store"
)

// The retention fixture: two releases in the policy, each snapshot with a
// trends state, one release outside it, and a comparison with its report.
// With retentionNow and a 30-day retention:
//
//	bookworm  b1 b2 old, removed; b3 young
//	trixie    t1 old, removed; t2 old but the newest, kept
//	sid       s1 old, not in the policy (no trends)
var (
	retentionNow  = time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)
	retentionDays = 30 * 24 * time.Hour
	bookworm      = datasets.ReleaseName{Distro: "debian", Release: "bookworm"}
	trixie        = datasets.ReleaseName{Distro: "debian", Release: "trixie"}
	sid           = datasets.ReleaseName{Distro: "debian", Release: "sid"}
	fixtureSnaps  = map[datasets.ReleaseName][]string{
		bookworm: {"20260101T000000Z-b1b1b1b1b1b1", "20260301T000000Z-b2b2b2b2b2b2", "20261130T000000Z-b3b3b3b3b3b3"},
		trixie:   {"20260201T000000Z-t1t1t1t1t1t1", "20260501T000000Z-t2t2t2t2t2t2"},
		sid:      {"20250101T000000Z-s1s1s1s1s1s1"},
	}
	comparison = datasets.ComparePartition(partOf(bookworm, 0), partOf(trixie, 0))
	reportKey  = "reports/compare/distro=" + comparison.Distro + "/release=" + comparison.Release + "/snapshot=" + comparison.Snapshot + "/index.html"
)

func partOf(r datasets.ReleaseName, i int) datasets.Partition {
	return datasets.Partition{Distro: r.Distro, Release: r.Release, Snapshot: fixtureSnaps[r][i]}
}

func retentionPolicy() datasets.RetentionPolicy {
	return datasets.RetentionPolicy{Releases: []datasets.ReleaseName{bookworm, trixie}, MaxAge: retentionDays, Now: retentionNow}
}

// commitRows commits rows as partition p of table tb, as a run commits it.
func commitRows[T any](t testing.TB, st store.Store, tb datasets.Table, p datasets.Partition, rows []T, cmp func(a, b *T) int) {
	t.Helper()
	var buf bytes.Buffer
	w := datasets.NewWriter(&buf, tb, cmp, 0)
	if err := w.WriteAll(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	key := datasets.StagingKey(tb, p, "test")
	if err := st.Put(ctx, key, bytes.NewReader(buf.Bytes()), int64(buf.Len())); err != nil {
		t.Fatal(err)
	}
	if _, err := datasets.Publish(ctx, st, datasets.PublishInput{Table: tb, Partition: p,
		Parts: []datasets.StagedPart{{Key: key, Rows: int64(len(rows))}}, TempDir: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	if err := st.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
}

// commitTrendsState commits the three trends tables of p, package_trends
// last, as a trends update does.
func commitTrendsState(t testing.TB, st store.Store, p datasets.Partition) {
	t.Helper()
	date, _ := time.Parse("20060102T150405Z", p.Snapshot[:16])
	commitRows(t, st, datasets.PackageHistory, p, []datasets.PackageHistoryRow{{Package: "hello", IndexArchitecture: "amd64",
		Version: "2.10-" + p.Snapshot[:8], Source: "hello", Upstream: "2.10", Format: "deb", FirstSnapshot: p.Snapshot,
		FirstSeen: date, LastSnapshot: p.Snapshot, LastSeen: date, Snapshots: 1, Current: true}}, datasets.ComparePackageHistoryRows)
	commitRows(t, st, datasets.PackageLag, p, []datasets.PackageLagRow{{Source: "hello", Project: "hello", Version: "2.10-1",
		Upstream: "2.10", NewestUpstream: "2.12", NewestVersion: "2.12-1", NewestDistro: "debian", NewestRelease: "sid",
		OutdatedSince: date, Binaries: []string{"hello"}}}, datasets.ComparePackageLagRows)
	commitRows(t, st, datasets.PackageTrends, p, []datasets.PackageTrendRow{{ReleaseDate: date, Packages: 1, BinaryNames: 1, Sources: 1}},
		func(a, b *datasets.PackageTrendRow) int { return a.ReleaseDate.Compare(b.ReleaseDate) })
}

var (
	fixtureOnce sync.Once
	fixtureDir  string
	fixtureErr  error
)

// retentionFixture is a local store holding the fixture, built once; tests
// copy it (copyStore) and change only their copy.
func retentionFixture(t *testing.T) store.Store {
	t.Helper()
	fixtureOnce.Do(func() {
		fixtureDir, fixtureErr = os.MkdirTemp("", "distroscope-retention-*")
		if fixtureErr != nil {
			return
		}
		st, err := localfs.New(fixtureDir)
		if err != nil {
			fixtureErr = err
			return
		}
		for rel, ids := range fixtureSnaps {
			for i := range ids {
				p := partOf(rel, i)
				datasetstest.CommitPackages(t, st, p, []datasets.PackageRow{{Component: "main", IndexArchitecture: "amd64",
					Package: "hello", Version: "2.10-" + p.Snapshot[:8], Architecture: "amd64", Source: "hello", Format: "deb"}})
				datasetstest.CommitSnapshot(t, st, p)
				if rel != sid {
					commitTrendsState(t, st, p)
				}
			}
		}
		commitRows(t, st, datasets.PackageChanges, comparison, []datasets.PackageChangeRow{{Kind: "upgraded", Package: "hello",
			IndexArchitecture: "amd64", OldVersion: "2.10-1", NewVersion: "2.12-1"}}, datasets.ComparePackageChangeRows)
		commitRows(t, st, datasets.CompareSummaries, comparison, []datasets.CompareSummaryRow{{OldDistro: "debian", OldRelease: "bookworm",
			OldSnapshot: comparison.Snapshot, NewDistro: "debian", NewRelease: "trixie", Upgraded: 1}},
			func(a, b *datasets.CompareSummaryRow) int { return strings.Compare(a.OldSnapshot, b.OldSnapshot) })
		report := []byte("<html>bookworm → trixie: 1 upgraded</html>")
		fixtureErr = st.Put(context.Background(), reportKey, bytes.NewReader(report), int64(len(report)))
	})
	if fixtureErr != nil {
		t.Fatal(fixtureErr)
	}
	st, err := localfs.New(fixtureDir)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestMain(m *testing.M) {
	code := m.Run()
	if fixtureDir != "" {
		os.RemoveAll(fixtureDir)
	}
	os.Exit(code)
}

func copyStore(t testing.TB, src, dst store.Store) {
	t.Helper()
	ctx := context.Background()
	objs, err := src.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		rc, err := src.Get(ctx, o.Key)
		if err != nil {
			t.Fatal(err)
		}
		err = dst.Put(ctx, o.Key, rc, o.Size)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
}

// contents is every key of st with the SHA-256 of its bytes.
func contents(t testing.TB, st store.Store) map[string]string {
	t.Helper()
	ctx := context.Background()
	objs, err := st.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, o := range objs {
		rc, err := st.Get(ctx, o.Key)
		if err != nil {
			t.Fatal(err)
		}
		h := sha256.New()
		_, err = io.Copy(h, rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		out[o.Key] = hex.EncodeToString(h.Sum(nil))
	}
	return out
}

// checkCommitted asserts what every reader relies on: each manifest lists
// only objects the store has, with its recorded size and SHA-256, and a
// snapshot whose snapshots manifest is there has its packages committed.
func checkCommitted(t *testing.T, st store.Store, when string) {
	t.Helper()
	ctx := context.Background()
	tmp := t.TempDir()
	for _, tb := range datasets.Tables {
		ms, err := datasets.ListManifests(ctx, st, tb)
		if err != nil {
			t.Fatalf("%s: %v", when, err)
		}
		for _, m := range ms {
			for _, f := range m.Files {
				file, err := datasets.OpenFile(ctx, st, f, tmp)
				if err != nil {
					t.Errorf("%s: %s manifest of %v: %v", when, tb.Name, m.Partition, err)
					continue
				}
				file.Close()
			}
			if tb.Name == datasets.Snapshots.Name {
				if _, ok, err := datasets.Committed(ctx, st, datasets.Packages, m.Partition); err != nil || !ok {
					t.Errorf("%s: snapshot %v is committed without its packages (%v)", when, m.Partition, err)
				}
			}
		}
	}
}

// errInjected is the failure failingStore injects.
var errInjected = errors.New("injected failure")

// failingStore fails the failAt-th call that changes the store (Put,
// Copy, Delete), without making it, and counts them all.
type failingStore struct {
	store.Store
	failAt, calls int
}

func (s *failingStore) mutate() error {
	s.calls++
	if s.calls == s.failAt {
		return fmt.Errorf("call %d: %w", s.calls, errInjected)
	}
	return nil
}

func (s *failingStore) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	if err := s.mutate(); err != nil {
		return err
	}
	return s.Store.Put(ctx, key, r, size)
}

func (s *failingStore) Copy(ctx context.Context, src, dst string) error {
	if err := s.mutate(); err != nil {
		return err
	}
	return s.Store.Copy(ctx, src, dst)
}

func (s *failingStore) Delete(ctx context.Context, key string) error {
	if err := s.mutate(); err != nil {
		return err
	}
	return s.Store.Delete(ctx, key)
}

func TestRetain(t *testing.T) {
	ctx := context.Background()
	st, err := localfs.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	copyStore(t, retentionFixture(t), st)
	before := contents(t, st)

	dry := retentionPolicy()
	dry.DryRun = true
	planned, err := datasets.Retain(ctx, st, dry, func(datasets.Partition, string) { t.Error("a dry run reported a removal") })
	if err != nil {
		t.Fatal(err)
	}
	if after := contents(t, st); !maps.Equal(before, after) {
		t.Fatal("a dry run changed the store")
	}

	var progress []string
	rep, err := datasets.Retain(ctx, st, retentionPolicy(), func(p datasets.Partition, table string) {
		progress = append(progress, table+" "+p.Release+"/"+p.Snapshot[:8])
	})
	if err != nil {
		t.Fatal(err)
	}
	var removed, kept []string
	for _, it := range rep.Removed {
		removed = append(removed, it.Table+" "+it.Partition.Release+"/"+it.Partition.Snapshot[:8]+": "+it.Why)
	}
	for _, it := range rep.Kept {
		kept = append(kept, it.Table+" "+it.Partition.Release+"/"+it.Partition.Snapshot[:8]+": "+it.Why)
	}
	wantRemoved := []string{
		"snapshots bookworm/20260101: " + datasets.WhyExpired, "packages bookworm/20260101: " + datasets.WhyExpired,
		"snapshots bookworm/20260301: " + datasets.WhyExpired, "packages bookworm/20260301: " + datasets.WhyExpired,
		"package_history bookworm/20260101: " + datasets.WhyExpired, "package_history bookworm/20260301: " + datasets.WhyExpired,
		"snapshots trixie/20260201: " + datasets.WhyExpired, "packages trixie/20260201: " + datasets.WhyExpired,
		"package_history trixie/20260201: " + datasets.WhyExpired,
	}
	if !slices.Equal(removed, wantRemoved) {
		t.Errorf("removed:\n%s\nwant:\n%s", strings.Join(removed, "\n"), strings.Join(wantRemoved, "\n"))
	}
	wantKept := []string{"snapshots trixie/20260501: " + datasets.WhyNewest, "package_history trixie/20260501: " + datasets.WhyNewestState}
	if !slices.Equal(kept, wantKept) || rep.Young != 1 {
		t.Errorf("kept %q and %d young, want %q and 1 (bookworm's newest)", kept, rep.Young, wantKept)
	}
	if !slices.Equal(planned.Removed, rep.Removed) || !slices.Equal(planned.Kept, rep.Kept) {
		t.Errorf("the dry run planned %v, the run removed %v", planned.Removed, rep.Removed)
	}
	if len(progress) != len(wantRemoved) {
		t.Errorf("progress was told %d removals, want %d: %q", len(progress), len(wantRemoved), progress)
	}

	after := contents(t, st)
	for key, sum := range before {
		gone := false
		for _, it := range rep.Removed {
			tb, _ := datasets.TableByName(it.Table)
			gone = gone || strings.HasPrefix(key, tb.PartitionPrefix(it.Partition))
		}
		if got, ok := after[key]; gone && ok {
			t.Errorf("%s is still there", key)
		} else if !gone && got != sum {
			t.Errorf("%s was changed or removed; only the expired partitions should be", key)
		}
	}
	if len(after) != len(before)-2*len(wantRemoved) {
		t.Errorf("%d objects left of %d, want %d removed (each partition a data object and a manifest)", len(after), len(before), 2*len(wantRemoved))
	}
	checkCommitted(t, st, "after retention")

	again, err := datasets.Retain(ctx, st, retentionPolicy(), nil)
	if err != nil || len(again.Removed) != 0 {
		t.Errorf("a second pass removed %v (%v), want nothing", again.Removed, err)
	}
}

// TestRetainInterruptedAtEveryStep stops a retention at each of the store
// changes it makes, in turn, and checks after each stop that readers see
// whole snapshots only and that nothing kept was touched; that the janitor
// then removes only what no manifest lists; and that a second retention
// ends where an uninterrupted one does.
func TestRetainInterruptedAtEveryStep(t *testing.T) {
	t.Run("localfs", func(t *testing.T) {
		testRetainInterrupted(t, func(t *testing.T) store.Store {
			// Hard links copy the fixture without writing it again: no
			// store call rewrites an object in place (Put renames a new
			// file over it, Delete unlinks), so the fixture stays intact.
			dir := t.TempDir()
			err := filepath.WalkDir(fixtureDir, func(path string, d os.DirEntry, err error) error {
				if err != nil || path == fixtureDir {
					return err
				}
				to := filepath.Join(dir, strings.TrimPrefix(path, fixtureDir))
				if d.IsDir() {
					return os.Mkdir(to, 0o755)
				}
				return os.Link(path, to)
			})
			if err != nil {
				t.Fatal(err)
			}
			st, err := localfs.New(dir)
			if err != nil {
				t.Fatal(err)
			}
			return st
		})
	})
	t.Run("minio", func(t *testing.T) {
		env := testenv.MinIO(t)
		testRetainInterrupted(t, func(t *testing.T) store.Store {
			ctx := context.Background()
			st, err := s3store.New(ctx, "distroscope-datasets-test", "retention-"+strings.ToLower(rand.Text())[:12],
				s3store.Options{Endpoint: env.Endpoint, Region: env.Region, AccessKey: env.AccessKey, SecretKey: env.SecretKey, CreateBucket: true})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				objs, _ := st.List(ctx, "")
				for _, o := range objs {
					st.Delete(ctx, o.Key)
				}
			})
			copyStore(t, retentionFixture(t), st)
			return st
		})
	})
}

// testRetainInterrupted runs the steps on stores newStore makes, each
// holding a copy of the fixture.
func testRetainInterrupted(t *testing.T, newStore func(*testing.T) store.Store) {
	ctx := context.Background()
	before := contents(t, retentionFixture(t))

	whole := &failingStore{Store: newStore(t)}
	if _, err := datasets.Retain(ctx, whole, retentionPolicy(), nil); err != nil {
		t.Fatal(err)
	}
	want := contents(t, whole.Store)
	steps := whole.calls
	if steps < 10 {
		t.Fatalf("a whole retention made %d changes; the fixture should need dozens", steps)
	}

	for k := 1; k <= steps; k++ {
		t.Run(fmt.Sprintf("step%02d", k), func(t *testing.T) {
			t.Parallel()
			st := &failingStore{Store: newStore(t), failAt: k}
			_, err := datasets.Retain(ctx, st, retentionPolicy(), nil)
			if !errors.Is(err, errInjected) {
				t.Fatalf("step %d of %d: retention returned %v, want the injected failure", k, steps, err)
			}
			when := fmt.Sprintf("stopped at step %d of %d", k, steps)
			checkCommitted(t, st.Store, when)
			now := contents(t, st.Store)
			for key, sum := range want {
				if now[key] != sum {
					t.Errorf("%s: %s, which retention keeps, was changed or removed", when, key)
				}
			}

			// The janitor's orphan sweep removes only what no manifest
			// lists and what retention would remove anyway.
			listed := map[string]bool{}
			for _, tb := range datasets.Tables {
				ms, err := datasets.ListManifests(ctx, st.Store, tb)
				if err != nil {
					t.Fatal(err)
				}
				for _, m := range ms {
					for _, f := range m.Files {
						listed[f.Key] = true
					}
				}
			}
			rep, err := datasets.Janitor(ctx, st.Store, 0, time.Now().Add(time.Second))
			if err != nil {
				t.Fatalf("%s: janitor: %v", when, err)
			}
			for _, key := range append(rep.StagedDeleted, rep.UncommittedFiles...) {
				if listed[key] {
					t.Errorf("%s: the janitor removed %s, which a manifest lists", when, key)
				}
				if _, kept := want[key]; kept {
					t.Errorf("%s: the janitor removed %s, which retention keeps", when, key)
				}
				if _, ours := before[key]; !ours {
					t.Errorf("%s: the janitor removed %s, which is not in the fixture", when, key)
				}
			}
			checkCommitted(t, st.Store, when+", then the janitor")

			st.failAt = 0
			if _, err := datasets.Retain(ctx, st, retentionPolicy(), nil); err != nil {
				t.Fatalf("%s: retention again: %v", when, err)
			}
			if got := contents(t, st.Store); !maps.Equal(got, want) {
				t.Errorf("%s, a second retention left %s", when, diffContents(got, want))
			}
		})
	}
}

func diffContents(got, want map[string]string) string {
	var d []string
	for k := range got {
		if _, ok := want[k]; !ok {
			d = append(d, "extra "+k)
		}
	}
	for k, v := range want {
		if g, ok := got[k]; !ok {
			d = append(d, "missing "+k)
		} else if g != v {
			d = append(d, "changed "+k)
		}
	}
	slices.Sort(d)
	return strings.Join(d, "; ")
}

// TestRetainAbandonedCommit: a packages partition whose snapshots manifest
// never came is a commit in flight while it is young, and left alone; one
// whose last write is older than the retention was abandoned, and goes.
func TestRetainAbandonedCommit(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := localfs.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	copyStore(t, retentionFixture(t), st)
	// Backfills of old dates: packages committed, the snapshot not yet.
	inFlight := datasets.Partition{Distro: "debian", Release: "trixie", Snapshot: "20260301T000000Z-f1f1f1f1f1f1"}
	abandoned := datasets.Partition{Distro: "debian", Release: "trixie", Snapshot: "20260401T000000Z-a1a1a1a1a1a1"}
	for _, p := range []datasets.Partition{inFlight, abandoned} {
		datasetstest.CommitPackages(t, st, p, []datasets.PackageRow{{Package: "hello", IndexArchitecture: "amd64", Version: "1"}})
	}
	long := retentionNow.Add(-2 * retentionDays)
	for _, key := range []string{datasets.Packages.DataKey(abandoned), datasets.Packages.ManifestKey(abandoned)} {
		if err := os.Chtimes(filepath.Join(dir, filepath.FromSlash(key)), long, long); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := datasets.Retain(ctx, st, retentionPolicy(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var abandonedGone bool
	for _, it := range rep.Removed {
		if it.Partition == inFlight {
			t.Errorf("removed %s of the commit in flight", it.Table)
		}
		abandonedGone = abandonedGone || it.Partition == abandoned && it.Table == "packages" && it.Why == datasets.WhyAbandoned
	}
	if !abandonedGone {
		t.Errorf("the abandoned commit was not removed: %v", rep.Removed)
	}
	if _, ok, _ := datasets.Committed(ctx, st, datasets.Packages, inFlight); !ok {
		t.Error("the commit in flight lost its packages")
	}
	if objs, _ := st.List(ctx, datasets.Packages.PartitionPrefix(abandoned)); len(objs) != 0 {
		t.Errorf("the abandoned commit left %v", objs)
	}
}

// TestRetainFinishesAnotherPass: an intent left by a pass that stopped is
// finished by the next, even under a policy that would keep the snapshot.
func TestRetainFinishesAnotherPass(t *testing.T) {
	ctx := context.Background()
	st := &failingStore{Store: func() store.Store {
		s, err := localfs.New(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return s
	}(), failAt: 4} // intent, snapshots manifest, packages manifest, then stop
	copyStore(t, retentionFixture(t), st.Store)
	if _, err := datasets.Retain(ctx, st, retentionPolicy(), nil); !errors.Is(err, errInjected) {
		t.Fatalf("retention returned %v, want the injected failure", err)
	}
	first := partOf(bookworm, 0)
	if _, ok, _ := datasets.Committed(ctx, st, datasets.Packages, first); ok {
		t.Fatal("the stopped pass should have un-committed the packages")
	}
	st.failAt = 0
	keepAll := retentionPolicy()
	keepAll.MaxAge = 10 * 365 * 24 * time.Hour
	rep, err := datasets.Retain(ctx, st, keepAll, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Removed) != 2 || rep.Removed[0].Partition != first || rep.Removed[0].Why != datasets.WhyInterrupted {
		t.Errorf("removed %v, want the interrupted snapshot's two tables only", rep.Removed)
	}
	if objs, _ := st.List(ctx, datasets.RetentionPrefix); len(objs) != 0 {
		t.Errorf("intents left: %v", objs)
	}
	if objs, _ := st.List(ctx, datasets.Snapshots.PartitionPrefix(first)); len(objs) != 0 {
		t.Errorf("the interrupted snapshot's data is still there: %v", objs)
	}
}
