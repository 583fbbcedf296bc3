package integration

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	proof "github.com/distroscope/distroscope/bench/proof/harness"
	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/internal/testenv"
	"github.com/distroscope/distroscope/repo/formats/formatstest"
	"github.com/distroscope/distroscope/store/s3store"
)

// TestProofNightlyKilled is the short form of `go tool task proof`
// (bench/proof), with the same harness: a nightly of the fixture
// repository and a release derived from it, plus their comparison, run
// through the CLI on the worker binary against MinIO, once undisturbed and
// once with the worker SIGKILLed and restarted at once mid-ingest,
// mid-commit and twice mid-compare (reading a snapshot, then writing
// package_changes: the second point is inside the retried attempt of the
// first). The
// disrupted run must commit the undisturbed run's datasets, row for row,
// with no duplicate or missing object, and each kill must cost under 30 s
// of redone work and of time from the restart to the next progress.
func TestProofNightlyKilled(t *testing.T) {
	s3 := testenv.MinIO(t)
	tc, err := client.Dial(client.Options{HostPort: testenv.Temporal(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	bin := buildWorker(t)
	cli := cliBinary(t)

	fixture, err := proof.ServeMirror(formatstest.Path(t, "repo"))
	if err != nil {
		t.Fatal(err)
	}
	defer fixture.Close()
	next, err := proof.ServeMirror(nextRelease(t))
	if err != nil {
		t.Fatal(err)
	}
	defer next.Close()
	catalog, plan := proofPlan(t, fixture.URL, next.URL)

	// Each run gets its own logical date: the nightly's ID is the plan's
	// and the date's, whatever the store.
	date := time.Date(2026, 10, 1, 2, 30, 0, 0, time.UTC)
	runs := 0
	pass := func(name string, points func(*proof.S3Proxy) []proof.Point) (proof.Pass, proof.Contents) {
		t.Helper()
		runs++
		proxy, err := proof.NewS3Proxy(s3.Endpoint)
		if err != nil {
			t.Fatal(err)
		}
		defer proxy.Close()
		bucket := randomName("ds-proof-")
		env := append(os.Environ(), "TEMPORAL_ADDRESS="+testenv.Temporal(t), "DISTROSCOPE_TASK_QUEUE="+randomName("proof-"),
			"DISTROSCOPE_STORE=s3://"+bucket+"/datasets", "DISTROSCOPE_S3_ENDPOINT="+proxy.Addr, "DISTROSCOPE_S3_REGION="+s3.Region,
			"AWS_ACCESS_KEY_ID="+s3.AccessKey, "AWS_SECRET_ACCESS_KEY="+s3.SecretKey, "DISTROSCOPE_CATALOG="+catalog,
			"DISTROSCOPE_TEMP_DIR="+t.TempDir(), "DISTROSCOPE_METRICS_ADDR=", "DISTROSCOPE_LOG_LEVEL=info")
		log := &syncBuffer{}
		s := &proof.Session{Client: tc, Worker: proof.WorkerConfig{Bin: bin, Env: env, Log: log}, Logf: t.Logf}
		var pts []proof.Point
		if points != nil {
			pts = points(proxy)
		}
		p, err := s.Run(context.Background(), proof.StartNightly(cli, env, plan, date.AddDate(0, 0, runs)), pts, 3*time.Minute)
		if err != nil {
			t.Fatalf("%s: %v\nworker output:\n%s", name, err, log.String())
		}
		st, err := s3store.New(context.Background(), bucket, "datasets", s3store.Options{Endpoint: s3.Endpoint, Region: s3.Region,
			AccessKey: s3.AccessKey, SecretKey: s3.SecretKey})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			for _, k := range listKeys(t, st, "") {
				st.Delete(context.Background(), k)
			}
		})
		c, err := proof.ReadContents(context.Background(), st)
		if err != nil {
			t.Fatal(err)
		}
		objects, rows := c.RowCount()
		t.Logf("%s: nightly %s took %v; committed %d objects, %d Parquet files, %d rows", name, p.ID, p.Took.Round(time.Millisecond),
			len(c.Keys), objects, rows)
		return p, c
	}

	_, want := pass("undisturbed", nil)
	// Two snapshots of two tables, one comparison of three, the trends
	// of both releases of three: their data and manifests, whatever else
	// (reports) besides.
	if objects, rows := want.RowCount(); objects != 13 || rows == 0 {
		t.Fatalf("the undisturbed run committed %d Parquet files (%d rows), want 13", objects, rows)
	}
	fixturePart := "distro=distroscope-fixture/release=fixture/"
	got, c := pass("killed", func(p *proof.S3Proxy) []proof.Point {
		return []proof.Point{
			proof.MirrorPoint(fixture, "mid-ingest fixture: main/amd64 at 50%", "/dists/fixture/main/binary-amd64/", 0.5),
			proof.S3Point(p, "mid-commit fixture: packages data PUT", proof.PUT, datasets.Packages.Prefix()+fixturePart, "part-00000.parquet"),
			proof.S3Point(p, "mid-compare: reading fixture", proof.GET, datasets.Packages.Prefix()+fixturePart, "part-00000.parquet"),
			proof.S3Point(p, "mid-compare: package_changes PUT", proof.PUT, datasets.PackageChanges.Prefix(), ".parquet"),
			proof.S3Point(p, "mid-trends: package_history PUT", proof.PUT, datasets.PackageHistory.Prefix(), ".parquet"),
		}
	})
	var table strings.Builder
	proof.PrintTable(&table, got.Outcomes)
	t.Logf("kills:\n%s", table.String())
	for i, o := range got.Outcomes {
		if !o.Within() {
			t.Errorf("kill %d (%s): redone %v, restart→progress %v: over %v", i+1, o.Point, o.Redone, o.ToProgress, proof.Bound)
		}
		if len(o.Running) == 0 {
			t.Errorf("kill %d (%s): nothing was running", i+1, o.Point)
		}
	}
	if diff := c.Diff(want); len(diff) > 0 {
		t.Errorf("the killed run's datasets differ from the undisturbed run's:\n%s", strings.Join(diff, "\n"))
	}
}

// nextRelease writes an unsigned release "nextrel" of the fixture's
// main/amd64 stanzas, the first left out and the second at a new version,
// for the nightly to compare the fixture with.
func nextRelease(t *testing.T) string {
	t.Helper()
	names, by := stanzas(t, filepath.Join(formatstest.IndexDir(formatstest.Path(t, "repo"), "main/amd64"), "Packages"))
	var entries []string
	for i, n := range names {
		switch i {
		case 0:
			continue
		case 1:
			s := by[n]
			v := strings.SplitN(strings.SplitN(s, "\nVersion: ", 2)[1], "\n", 2)[0]
			entries = append(entries, strings.Replace(s, "\nVersion: "+v+"\n", "\nVersion: "+v+"+proof1\n", 1))
		default:
			entries = append(entries, by[n])
		}
	}
	return unsignedRepo(t, "nextrel", entries)
}

// proofPlan writes a catalogue of the two releases and the plan of their
// nightly: both snapshots, then their comparison, one child at a time.
func proofPlan(t *testing.T, fixtureURL, nextURL string) (catalog, plan string) {
	t.Helper()
	dir := t.TempDir()
	catalog, plan = filepath.Join(dir, "catalog.yaml"), filepath.Join(dir, "plan.yaml")
	cat := fmt.Sprintf(`sources:
  - name: fixture
    format: apt
    mirror: %s
    suites: [fixture]
    components: [main, contrib]
    architectures: [amd64, arm64]
    keyring: [%s]
  - name: nextrel
    format: apt
    mirror: %s
    suites: [nextrel]
    components: [main]
    architectures: [amd64]
    allow_unsigned: true
`, fixtureURL, formatstest.Path(t, "keyring.gpg"), nextURL)
	pl := fmt.Sprintf(`name: %s
schedule:
  cron: "30 2 * * *"
  time_zone: UTC
snapshots:
  - source: fixture
  - source: nextrel
comparisons:
  - from: fixture/fixture
    to: nextrel/nextrel
concurrency: 1
`, randomName("proof-"))
	for f, data := range map[string]string{catalog: cat, plan: pl} {
		if err := os.WriteFile(f, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return catalog, plan
}
