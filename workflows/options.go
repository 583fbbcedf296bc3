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
//	activity          kind       start-to-close  heartbeat  retries (first after 1 s, ×2)
//	ResolveRelease    remote     10 min          15 s       5 attempts, ≤ 1 min apart
//	IngestIndex       long       30 min          15 s       6 attempts, ≤ 1 min apart
//	CommitSnapshot    long       15 min          15 s       5 attempts, ≤ 1 min apart
//	LocateSnapshot    local      30 s            —          5 attempts, ≤ 1 min apart
//	CompareSnapshots  long       15 min          15 s       3 attempts, ≤ 1 min apart
//	SyncReleases      short      30 s            —          5 attempts, ≤ 1 min apart
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
// cap on an attempt that is alive but stuck — a mirror that stops sending
// mid-file keeps the worker heartbeating.
//
// A worker stopped with SIGTERM does better: it ends what is still running
// when its --drain is over and reports it (activities.ErrTypeInterrupted),
// so the retry starts a second later on another worker (workers/main.go).
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
// attempts for a mirror or store that is down for a while.
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
		RetryPolicy:         retry(5),
	}
	// ingestOptions: one index, up to ~100 MB compressed (Debian's largest
	// is 65 MB); 30 minutes is a 100 KB/s mirror. Six attempts, as mirrors
	// fail mid-sync more often than anything else here.
	ingestOptions = workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Minute,
		HeartbeatTimeout:    HeartbeatTimeout,
		RetryPolicy:         retry(6),
	}
	// commitOptions: about a second for the fixture; a snapshot of every
	// Debian architecture concatenates a few hundred MB of staged parts
	// into one object, minutes on a slow store.
	commitOptions = workflow.ActivityOptions{
		StartToCloseTimeout: 15 * time.Minute,
		HeartbeatTimeout:    HeartbeatTimeout,
		RetryPolicy:         retry(5),
	}
	// compareOptions: bookworm → trixie takes under a second and every
	// architecture of two releases some seconds; the input is committed
	// and the work deterministic, so a third failure will not be the last.
	compareOptions = workflow.ActivityOptions{
		StartToCloseTimeout: 15 * time.Minute,
		HeartbeatTimeout:    HeartbeatTimeout,
		RetryPolicy:         retry(3),
	}
	// syncReleasesOptions: a few local CSV files of ~50 KB in, one small
	// partition per distribution out: well under a second.
	syncReleasesOptions = workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy:         retry(5),
	}
	// locateOptions: lists the snapshots table's manifests, a few reads
	// per committed snapshot, within the workflow task (see above).
	locateOptions = workflow.LocalActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy:         retry(5),
	}
)
