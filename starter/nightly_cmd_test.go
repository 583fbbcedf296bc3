package main

import (
	"strings"
	"testing"
	"time"

	"github.com/distroscope/distroscope/plan"
)

// TestNightlyLogicalDate: a date is the plan's scheduled time that day in
// its time zone (the logical date the schedule's run of that night has),
// an RFC 3339 time is itself, nothing is now to the minute; the workflow ID
// is the one a schedule gives.
func TestNightlyLogicalDate(t *testing.T) {
	p, err := plan.Parse(strings.NewReader(`name: nightly
schedule: {cron: "30 2 * * *", time_zone: Europe/Berlin}
snapshots: [{source: debian}]
`), "nightly.yaml")
	if err != nil {
		t.Fatal(err)
	}
	weekly, err := plan.Parse(strings.NewReader(`name: weekly
schedule: {cron: "0 3 * * 0", time_zone: UTC}
snapshots: [{source: debian}]
`), "weekly.yaml")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 6, 21, 55, 13, 500, time.UTC)
	for _, tc := range []struct {
		p          *plan.Plan
		date, want string
	}{
		{p, "", "2026-12-06T21:55:00Z"},
		{p, "2026-12-01", "2026-12-01T01:30:00Z"},                // 02:30 in Berlin, winter
		{p, "2026-07-01", "2026-07-01T00:30:00Z"},                // summer time
		{p, "2026-12-01T02:30:00+01:00", "2026-12-01T01:30:00Z"}, // exact
		{weekly, "2026-12-06", "2026-12-06T03:00:00Z"},           // a Sunday
		{weekly, "2026-12-07", "2026-12-07T00:00:00Z"},           // no run that day: midnight
	} {
		got, err := nightlyLogicalDate(tc.p, tc.date, now)
		if err != nil || got.Format(time.RFC3339) != tc.want {
			t.Errorf("%s --date %q: %v, %v; want %s", tc.p.Name, tc.date, got, err, tc.want)
		}
	}
	if _, err := nightlyLogicalDate(p, "yesterday", now); err == nil || !strings.Contains(err.Error(), "want YYYY-MM-DD") {
		t.Errorf("--date yesterday: %v, want an error saying the forms", err)
	}
	logical := time.Date(2026, 12, 6, 1, 30, 0, 0, time.UTC)
	if id := nightlyWorkflowID("nightly", logical.In(time.FixedZone("x", 3600))); id != "nightly/nightly-2026-12-06T01:30:00Z" {
		t.Errorf("workflow ID %q", id)
	}
}
