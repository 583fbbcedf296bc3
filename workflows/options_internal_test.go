package workflows

import (
	"os"
	"regexp"
	"slices"
	"strconv"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/distroscope/distroscope/activities"
)

// TestRetriesSpanMinutes: every activity's transient failures are retried
// over minutes — a mirror or store hiccup, not 15 s — whoever times the
// retries: the activity (long ones, activities.Backoff, at its shortest
// jitter) or the policy. Bad input stays final and a stopped worker's
// attempt is retried; the table at the top of options.go says what the
// options are.
func TestRetriesSpanMinutes(t *testing.T) {
	src, err := os.ReadFile("options.go")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile(`(?m)^//\s+(\w+)\s+(remote|long|local|short)\s+.*?\s(\d+)\s+~\d+ min`)
	table := map[string]int32{}
	for _, m := range row.FindAllStringSubmatch(string(src), -1) {
		n, _ := strconv.Atoi(m[3])
		table[m[1]] = int32(n)
	}
	for _, tc := range []struct {
		activity   string
		policy     *temporal.RetryPolicy
		heartbeats bool // a long activity, which times its own failures
	}{
		{"ResolveRelease", resolveOptions.RetryPolicy, true},
		{"IngestIndex", ingestOptions.RetryPolicy, true},
		{"CommitSnapshot", commitOptions.RetryPolicy, true},
		{"CompareSnapshots", compareOptions.RetryPolicy, true},
		{"LocateSnapshot", locateOptions.RetryPolicy, false},
		{"SyncReleases", syncReleasesOptions.RetryPolicy, false},
	} {
		p := tc.policy
		var span time.Duration
		interval := p.InitialInterval
		for attempt := int32(1); attempt < p.MaximumAttempts; attempt++ {
			if tc.heartbeats {
				span += activities.DefaultBackoff.Delay(attempt) * 3 / 4
			} else {
				span += interval
				interval = min(time.Duration(float64(interval)*p.BackoffCoefficient), p.MaximumInterval)
			}
		}
		if span < 2*time.Minute {
			t.Errorf("%s: %d attempts retry transient failures over %v, want minutes", tc.activity, p.MaximumAttempts, span)
		}
		if table[tc.activity] != p.MaximumAttempts {
			t.Errorf("%s: %d attempts, the table in options.go says %d", tc.activity, p.MaximumAttempts, table[tc.activity])
		}
		for _, final := range []string{activities.ErrTypeCorrupt, activities.ErrTypeInvalid} {
			if !slices.Contains(p.NonRetryableErrorTypes, final) {
				t.Errorf("%s: %s is retried", tc.activity, final)
			}
		}
		if slices.Contains(p.NonRetryableErrorTypes, activities.ErrTypeInterrupted) || p.InitialInterval > time.Second {
			t.Errorf("%s: a stopped worker's attempt is not retried at once: %+v", tc.activity, p)
		}
	}
}
