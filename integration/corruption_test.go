package integration

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	enumspb "go.temporal.io/api/enums/v1"

	"github.com/distroscope/distroscope/activities"
	"github.com/distroscope/distroscope/analysis/compare"
	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/internal/testenv"
	"github.com/distroscope/distroscope/repo/formats/formatstest"
	"github.com/distroscope/distroscope/store"
	"github.com/distroscope/distroscope/store/s3store"
	"github.com/distroscope/distroscope/store/storetest"
)

// TestCompareRefusesAFlippedBit reproduces silent corruption at rest: two
// releases are snapshotted through the CLI by the worker binary into a
// local folder and into MinIO, then one bit of one package name in the
// newer one's committed packages file is flipped, as haskell-monad-loops
// became haskell-monad-lomps. Arrow reads such a file without complaint,
// so `compare` used to commit one package removed and a made-up one
// added. It must fail, promptly and without retrying, naming the file,
// and commit no comparison.
func TestCompareRefusesAFlippedBit(t *testing.T) {
	worker := buildWorker(t)
	for _, tc := range []struct {
		name  string
		store func(t *testing.T) (store.Store, []string)
	}{
		{"local folder", func(t *testing.T) (store.Store, []string) {
			dir, st := folderStore(t)
			return st, []string{"DISTROSCOPE_STORE=" + dir}
		}},
		{"MinIO", func(t *testing.T) (store.Store, []string) {
			s3 := testenv.MinIO(t)
			bucket := randomName("ds-corrupt-")
			st, err := s3store.New(context.Background(), bucket, "datasets", s3store.Options{Endpoint: s3.Endpoint, Region: s3.Region,
				AccessKey: s3.AccessKey, SecretKey: s3.SecretKey, CreateBucket: true})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				for _, k := range listKeys(t, st, "") {
					st.Delete(context.Background(), k)
				}
			})
			return st, []string{"DISTROSCOPE_STORE=s3://" + bucket + "/datasets", "DISTROSCOPE_S3_ENDPOINT=" + s3.Endpoint,
				"DISTROSCOPE_S3_REGION=" + s3.Region, "AWS_ACCESS_KEY_ID=" + s3.AccessKey, "AWS_SECRET_ACCESS_KEY=" + s3.SecretKey}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, storeEnv := tc.store(t)
			e := newVerifyEnv(t)
			startWorkerProcess(t, worker, workerEnv(t, &harness{queue: e.queue}, storeEnv...))
			run := func(args ...string) cliRun {
				t.Helper()
				cmd := e.command(t, args...)
				cmd.Env = append(cmd.Env, storeEnv...)
				var out, errb bytes.Buffer
				cmd.Stdout, cmd.Stderr = &out, &errb
				err := cmd.Run()
				r := cliRun{stdout: out.String(), stderr: errb.String()}
				var ee *exec.ExitError
				if errors.As(err, &ee) {
					r.code = ee.ExitCode()
				} else if err != nil {
					t.Fatal(err)
				}
				return r
			}

			names, byName := stanzas(t, "../ecosystem/deb/testdata/bookworm-main-amd64.Packages")
			var entries []string
			for _, n := range names {
				entries = append(entries, byName[n])
			}
			snapshot := func(codename string) datasets.Partition {
				ref := committedSnapshot(t, run("snapshot", "--mirror", formatstest.Serve(t, unsignedRepo(t, codename, entries)), "--suite", codename,
					"--components", "main", "--arch", "amd64", "--allow-unsigned"))
				parts := strings.Split(ref, "/")
				if len(parts) != 3 {
					t.Fatalf("snapshot committed %q, not DISTRO/RELEASE/SNAPSHOT", ref)
				}
				return datasets.Partition{Distro: parts[0], Release: parts[1], Snapshot: parts[2]}
			}
			old, nw := snapshot("oldrel"), snapshot("newrel")

			key := datasets.Packages.DataKey(nw)
			data := storetest.Get(t, st, key)
			off, bit, name, misread := silentFlip(t, data)
			data[off] ^= 1 << bit
			storetest.Put(t, st, key, data)
			t.Logf("flipped bit %d of byte %d of %s: Arrow reads %s as %s", bit, off, key, name, misread)

			start := time.Now()
			r := run("compare", "--allow-unverified", old.Distro+"/"+old.Release, nw.Distro+"/"+nw.Release)
			took := time.Since(start)
			t.Logf("compare after the flip: %s", r)
			if r.code == 0 || !strings.Contains(r.stderr, key) || !strings.Contains(r.stderr, "corrupt") {
				t.Errorf("compare after a bit flip in %s = %s\nwant a failure naming the file as corrupt", key, r)
			}
			if took > time.Minute {
				t.Errorf("compare took %v to fail", took.Round(time.Second))
			}
			for _, tb := range []datasets.Table{datasets.PackageChanges, datasets.SourceChanges, datasets.CompareSummaries} {
				if keys := listKeys(t, st, tb.Prefix()); len(keys) != 0 {
					t.Errorf("a refused comparison committed %v", keys)
				}
			}
			runs := startedRuns(t, r.stderr)
			if len(runs) != 1 {
				t.Fatalf("compare printed %d runs, want its one: %s", len(runs), r)
			}
			checkFailedOnce(t, e, runs[0], "CompareSnapshots", activities.ErrTypeCorrupt)
		})
	}
}

// silentFlip finds the first bit of the package column of packages file
// data that, flipped, Arrow reads without an error as one package's name
// changed and nothing else: the corruption a comparison used to commit.
func silentFlip(t *testing.T, data []byte) (off int, bit uint, name, misread string) {
	t.Helper()
	ctx := context.Background()
	clean, err := compare.ReadSnapshot(ctx, bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	col, ok := f.Schema().Lookup("package")
	if !ok {
		t.Fatal("the packages file has no package column")
	}
	chunk := f.Metadata().RowGroups[0].Columns[col.ColumnIndex].MetaData
	start := chunk.DataPageOffset
	if chunk.DictionaryPageOffset > 0 {
		start = min(start, chunk.DictionaryPageOffset)
	}
	b := bytes.Clone(data)
	for off := int(start); off < int(start+chunk.TotalCompressedSize); off++ {
		for bit := range uint(8) {
			b[off] ^= 1 << bit
			s, err := compare.ReadSnapshot(ctx, bytes.NewReader(b), int64(len(b)))
			b[off] ^= 1 << bit
			if err != nil || s.Len() != clean.Len() {
				continue
			}
			var changed []int
			for i := range s.Len() {
				if s.Row(i) != clean.Row(i) {
					changed = append(changed, i)
				}
			}
			if len(changed) == 1 {
				if was, is := clean.Row(changed[0]), s.Row(changed[0]); was.Package != is.Package {
					return off, bit, was.Package, is.Package
				}
			}
		}
	}
	t.Fatal("no single bit of the package column reads as another name")
	return
}

// checkFailedOnce: run failed, and activityType ran exactly once, failing
// with a non-retryable application failure of errType.
func checkFailedOnce(t *testing.T, e *verifyEnv, run startedRun, activityType, errType string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	scheduled := map[int64]string{}
	var attempts int
	var failed, runFailed bool
	it := e.c.GetWorkflowHistory(ctx, run.id, run.runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		if a := ev.GetActivityTaskScheduledEventAttributes(); a != nil {
			scheduled[ev.GetEventId()] = a.GetActivityType().GetName()
		}
		if a := ev.GetActivityTaskStartedEventAttributes(); a != nil && scheduled[a.GetScheduledEventId()] == activityType {
			attempts = max(attempts, int(a.GetAttempt()))
		}
		if a := ev.GetActivityTaskFailedEventAttributes(); a != nil && scheduled[a.GetScheduledEventId()] == activityType {
			info := a.GetFailure().GetApplicationFailureInfo()
			if info.GetType() != errType || !info.GetNonRetryable() {
				t.Errorf("%s failed with %v, want a non-retryable %s failure", activityType, a.GetFailure(), errType)
			}
			failed = true
		}
		runFailed = runFailed || ev.GetEventType() == enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED
	}
	if attempts != 1 || !failed || !runFailed {
		t.Errorf("%s: %d attempts, failed %v, run %s failed %v; want one attempt, failed, failing the run", activityType, attempts, failed, run.id, runFailed)
	}
}
