package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/distroscope/distroscope/activities"
)

// Every activity's options, in one place. A timeout is how long a dead
// worker's attempt holds a run up, so each is sized to its activity's work,
// not to the worst case of all of them:
//
//	activity            kind       start-to-close  heartbeat  attempts  transient failures retried over
//	ResolveRelease      remote     10 min          15 s       10        ~5 min (2 s … 1 min apart, jittered)
//	IngestIndex         long       30 min          15 s       10        ~5 min (2 s … 1 min apart, jittered)
//	CommitSnapshot      long       15 min          15 s       10        ~5 min (2 s … 1 min apart, jittered)
//	LocateSnapshot      local      30 s            —          10        ~4 min (1 s … 1 min apart)
//	CompareSnapshots    long       15 min          15 s       8         ~3 min (2 s … 1 min apart, jittered)
//	SyncReleases        short      30 s            —          10        ~4 min (1 s … 1 min apart)
//	FindNightly         local      30 s            —          10        ~4 min (1 s … 1 min apart)
//	RecordNightly       short      10 s            —          10        ~4 min (1 s … 1 min apart)
//	AwaitRun            long       24 h            15 s       10        ~4 min (1 s … 1 min apart)
//	PlanTrends          long       10 min          15 s       10        ~4 min (1 s … 1 min apart)
//	RemoveTrendsStates  long       10 min          15 s       10        ~4 min (1 s … 1 min apart)
//	ApplyTrends         long       15 min          15 s       8         ~3 min (1 s … 1 min apart)
//	ApplyRetention      long       10 min          15 s       10        ~4 min (1 s … 1 min apart)
//	AnalyzeImage        long       60 min          15 s       5         ~15 s (1 s … 8 s apart)
//
// Long and remote activities heartbeat every second from their own
// goroutine while they run (activities.HeartbeatInterval), whatever the
// work is doing; the SDK forwards a heartbeat to the server at most every
// HeartbeatThrottle, and the server gives an attempt up when none came for
// HeartbeatTimeout. So after a SIGKILL the attempt is retried 10–15 s later
// (the timeout less the age of the last forwarded beat) plus the first
// retry interval, a second. integration/kill_test.go measures it: a worker
// killed during ingest or during commit and restarted at once, the run
// finished 15.9–16.8 s after the restart. Their start-to-close is only a
// cap on an attempt that is alive but stuck; the fetcher fails a mirror
// that stalls or trickles long before it (repo.Fetcher's limits).
//
// The same beats end an attempt the server no longer wants: its heartbeat
// refused (timed out, its run terminated), the SDK cancels its context
// within a HeartbeatThrottle and the work stops, freeing its worker slot
// (integration/stuck_test.go).
//
// A worker stopped with SIGTERM does better: it ends what is still running
// when its --drain is over and reports it (activities.ErrTypeInterrupted),
// so the retry starts at once (activities.InterruptedRetryDelay) on another
// worker (workers/main.go).
//
// Retries span minutes, not seconds: a mirror that answered 500 twice per
// file failed a whole-file format's resolve — one attempt per failure, five
// attempts — after 15 s. The long activities time their own transient
// failures (activities.Backoff: 2 s doubling to a minute, ±25 % at random,
// so the indexes of a snapshot, or the snapshots of one mirror, failing
// together do not come back together; Temporal's policy has no jitter), and
// the policies below give them the attempts: nine failures wait about five
// minutes. The policy's own intervals (1 s doubling to a minute) time what
// the activity cannot report itself — a timeout, a local or short
// activity's failure. Each attempt, with its reason and when the next
// comes, is printed by the CLI as it is scheduled.
//
// Short activities do not heartbeat: their start-to-close of tens of
// seconds bounds a dead worker's attempt on its own. LocateSnapshot is a
// local activity: it runs inside the workflow task, so a dead worker's
// attempt ends with the workflow task's own timeout (10 s) and runs again
// with the task.
//
// Corrupt input and invalid requests are never retried; an attempt its
// worker stopped (activities.ErrTypeInterrupted) is, at once.
const (
	// HeartbeatTimeout is three HeartbeatThrottle windows: two forwarded
	// beats may be lost or late — a loaded 2-core CI machine, a slow
	// server — before a live attempt is taken for dead; 2 s would not
	// survive a busy collector or a swapping machine.
	HeartbeatTimeout = 15 * time.Second
	// HeartbeatThrottle is how often the worker forwards its activities'
	// heartbeats to the server (worker.Options.MaxHeartbeatThrottleInterval).
	// The SDK's default is 80% of the heartbeat timeout: 12 s here, which
	// would leave a live attempt 3 s of margin before the server gave it up.
	HeartbeatThrottle = 5 * time.Second
)

var nonRetryable = []string{activities.ErrTypeCorrupt, activities.ErrTypeInvalid}

// retry is the retry policy of the activities: the first retry after a
// second — the common failure is a dropped connection or a stopped worker,
// which the next attempt fixes at once — backing off to a minute between
// attempts for a mirror or store that is down for a while. The long
// activities set the delay after their own failures (see above); attempts
// is what spreads the retries over minutes.
func retry(attempts int32) *temporal.RetryPolicy {
	return &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute,
		MaximumAttempts: attempts, NonRetryableErrorTypes: nonRetryable}
}

var (
	// resolveOptions: fetching and verifying a Release takes about a
	// second, but a whole-file format (APKINDEX, pacman databases) fetches
	// every index once to pin its hash — tens of MB from a slow mirror —
	// and the fetcher waits up to a minute for a mirror's first byte: it
	// heartbeats rather than guessing a short bound.
	resolveOptions = workflow.ActivityOptions{
		StartToCloseTimeout: 10 * time.Minute,
		HeartbeatTimeout:    HeartbeatTimeout,
		RetryPolicy:         retry(10),
	}
	// ingestOptions: one index, up to ~100 MB compressed (Debian's largest
	// is 65 MB); 30 minutes is a 100 KB/s mirror. Mirrors fail mid-sync
	// more often than anything else here: ten attempts, five minutes.
	ingestOptions = workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Minute,
		HeartbeatTimeout:    HeartbeatTimeout,
		RetryPolicy:         retry(10),
	}
	// commitOptions: about a second for the fixture; a snapshot of every
	// Debian architecture concatenates a few hundred MB of staged parts
	// into one object, minutes on a slow store. A store restarting (an RGW
	// daemon, a MinIO upgrade) is minutes: ten attempts.
	commitOptions = workflow.ActivityOptions{
		StartToCloseTimeout: 15 * time.Minute,
		HeartbeatTimeout:    HeartbeatTimeout,
		RetryPolicy:         retry(10),
	}
	// compareOptions: bookworm → trixie takes under a second and every
	// architecture of two releases some seconds; the input is committed
	// and the work deterministic, so what fails it transiently is the
	// store: eight attempts, three minutes.
	compareOptions = workflow.ActivityOptions{
		StartToCloseTimeout: 15 * time.Minute,
		HeartbeatTimeout:    HeartbeatTimeout,
		RetryPolicy:         retry(8),
	}
	// syncReleasesOptions: a few local CSV files of ~50 KB in, one small
	// partition per distribution out: well under a second; what fails it
	// transiently is the store.
	syncReleasesOptions = workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy:         retry(10),
	}
	// awaitOptions: waits for a snapshot run started elsewhere, as long as
	// that run may take (its execution timeout is a day); it heartbeats, so
	// a dead worker's wait moves to another within HeartbeatTimeout.
	awaitOptions = workflow.ActivityOptions{
		StartToCloseTimeout: 24 * time.Hour,
		HeartbeatTimeout:    HeartbeatTimeout,
		RetryPolicy:         retry(10),
	}
	// recordNightlyOptions: one JSON object of some KB to the store, well
	// under a second. The start-to-close is what a worker killed while
	// recording costs the run (it does not heartbeat): at 30 s the proof's
	// kill there took 31 s to move again, at 10 s 11 s. A store that needs
	// longer for some KB gets the next of ten attempts.
	recordNightlyOptions = workflow.ActivityOptions{
		StartToCloseTimeout: 10 * time.Second,
		RetryPolicy:         retry(10),
	}
	// planTrendsOptions: lists a release's snapshots and trends states and
	// reads one manifest per state — a year of daily snapshots is ~1,100
	// small reads, seconds on a local store, longer on a remote one: it
	// heartbeats.
	planTrendsOptions = workflow.ActivityOptions{
		StartToCloseTimeout: 10 * time.Minute,
		HeartbeatTimeout:    HeartbeatTimeout,
		RetryPolicy:         retry(10),
	}
	// removeTrendsOptions: a few deletions per stale state; a backfill of
	// a year makes at most a year of states stale.
	removeTrendsOptions = workflow.ActivityOptions{
		StartToCloseTimeout: 10 * time.Minute,
		HeartbeatTimeout:    HeartbeatTimeout,
		RetryPolicy:         retry(10),
	}
	// applyTrendsOptions: one state — the previous history, the snapshot
	// and its peers read, three small tables written — is about a
	// comparison's work (bench/trends), seconds for sid; what fails it
	// transiently is the store.
	applyTrendsOptions = workflow.ActivityOptions{
		StartToCloseTimeout: 15 * time.Minute,
		HeartbeatTimeout:    HeartbeatTimeout,
		RetryPolicy:         retry(8),
	}
	// retentionOptions: a first pass over a year of daily snapshots is
	// ~2,400 store calls (listing, intents, manifests, deletions), a minute
	// on a remote store; later nights remove a snapshot or two. It
	// heartbeats every second, and every step is safe to run again.
	retentionOptions = workflow.ActivityOptions{
		StartToCloseTimeout: 10 * time.Minute,
		HeartbeatTimeout:    HeartbeatTimeout,
		RetryPolicy:         retry(10),
	}
	// analyzeImageOptions: a debootstrap root filesystem takes about a
	// second (bench:image), a multi-gigabyte image from a remote registry
	// minutes; the heartbeat, not this cap, notices a dead worker. What
	// fails it transiently is the registry or the store.
	analyzeImageOptions = workflow.ActivityOptions{
		StartToCloseTimeout: 60 * time.Minute,
		HeartbeatTimeout:    HeartbeatTimeout,
		RetryPolicy:         retry(5),
	}
	// compareImagesOptions: the diff reads two committed analyses (a
	// minbase tree's are some MB of Parquet) and writes one; seconds,
	// minutes for images of hundreds of thousands of files. It heartbeats.
	compareImagesOptions = workflow.ActivityOptions{
		StartToCloseTimeout: 20 * time.Minute,
		HeartbeatTimeout:    HeartbeatTimeout,
		RetryPolicy:         retry(5),
	}
	// locateOptions: lists the snapshots table's manifests, a few reads
	// per committed snapshot, within the workflow task (see above).
	locateOptions = workflow.LocalActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy:         retry(10),
	}
)
