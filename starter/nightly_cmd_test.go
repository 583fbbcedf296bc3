package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/distroscope/distroscope/activities"
	"github.com/distroscope/distroscope/internal/config"
	"github.com/distroscope/distroscope/plan"
	"github.com/distroscope/distroscope/repo/catalog"
	"github.com/distroscope/distroscope/workflows"
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

// TestNightlyLines: the progress line comes from the query's answer (a
// workflows.NightlyProgress, decoded into the comparable nightlyLine
// follow needs), and the outcomes say each stage's status and why.
func TestNightlyLines(t *testing.T) {
	p := workflows.NightlyProgress{Plan: "nightly", Stage: "snapshots", Snapshots: workflows.StageCounts{Total: 5, Done: 1, Reused: 1, Running: 2, Failed: 1},
		Comparisons: workflows.StageCounts{Total: 3}, Running: []string{"debian/trixie", "alpine/v3.21"}}
	data, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var l nightlyLine
	if err := json.Unmarshal(data, &l); err != nil {
		t.Fatal(err)
	}
	want := "nightly [snapshots]: snapshots 3/5 (2 running, 1 reused, 1 failed)  comparisons 0/3  running: debian/trixie, alpine/v3.21  4.1s"
	if got := l.line(4100 * time.Millisecond); got != want {
		t.Errorf("line\n%s\nwant\n%s", got, want)
	}
	rec := activities.NightlyRecord{Plan: "nightly", LogicalDate: time.Date(2026, 12, 6, 1, 30, 0, 0, time.UTC),
		Snapshots: []activities.Outcome{{Name: "debian/trixie", Status: "done", Summary: "debian/trixie/X committed: 1 rows"},
			{Name: "alpine/v3.21", Status: "failed", Error: "corrupt"}},
		Comparisons: []activities.Outcome{{Name: "debian/trixie → alpine/v3.21", Status: "skipped", Error: "snapshot alpine/v3.21 failed"}}}
	var b strings.Builder
	printNightlyRecord(&b, rec, false)
	wantRec := `nightly nightly of 2026-12-06T01:30:00Z: finished, 2 of 3 stages failed or skipped
  snapshots:
    debian/trixie: done — debian/trixie/X committed: 1 rows
    alpine/v3.21: failed — corrupt
  comparisons:
    debian/trixie → alpine/v3.21: skipped — snapshot alpine/v3.21 failed
`
	if b.String() != wantRec {
		t.Errorf("outcomes\n%s\nwant\n%s", b.String(), wantRec)
	}
	if got := strings.Join(failedStages(rec), ", "); got != "alpine/v3.21 (failed), debian/trixie → alpine/v3.21 (skipped)" {
		t.Errorf("failed stages %q", got)
	}
}

// TestNightlyImages: a plan's image pairs go into the nightly's input
// under their titles, local paths absolute (the worker reads them from
// its own directory), registry references as written; the run's details,
// its progress line and its record say them.
func TestNightlyImages(t *testing.T) {
	p, err := plan.Parse(strings.NewReader(`name: x
schedule: {every: 24h}
images:
  - a: dir:rootfs/bookworm
    b: registry:example.org/library/debian:trixie
    platform: linux/arm64
    probe: true
  - {a: dir:/srv/a, b: dir:/srv/b, name: ab}
`), "plans/x.yaml")
	if err != nil {
		t.Fatal(err)
	}
	g, err := plan.Resolve(p, &catalog.Catalog{})
	if err != nil {
		t.Fatal(err)
	}
	in, err := nightlyInput(config.Config{}, g, &catalog.Catalog{})
	if err != nil {
		t.Fatal(err)
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	want := []workflows.NightlyImageComparison{
		{Name: "image dir:plans/rootfs/bookworm → registry:example.org/library/debian:trixie (linux/arm64, probe)", Input: workflows.ImageCompareInput{
			A: workflows.ImageAnalyzeInput{Ref: "dir:" + filepath.Join(wd, "plans/rootfs/bookworm"), Platform: "linux/arm64", Probe: true},
			B: workflows.ImageAnalyzeInput{Ref: "registry:example.org/library/debian:trixie", Platform: "linux/arm64", Probe: true}}},
		{Name: "image ab", Input: workflows.ImageCompareInput{
			A: workflows.ImageAnalyzeInput{Ref: "dir:/srv/a"}, B: workflows.ImageAnalyzeInput{Ref: "dir:/srv/b"}}},
	}
	if !reflect.DeepEqual(in.Images, want) {
		t.Errorf("images\n%+v\nwant\n%+v", in.Images, want)
	}
	if len(in.Snapshots) != 0 || len(in.Comparisons) != 0 {
		t.Errorf("a plan of images alone gave snapshots %v, comparisons %v", in.Snapshots, in.Comparisons)
	}
	if d := nightlyDetails(g); !strings.HasPrefix(d, "plan x (plans/x.yaml): 0 snapshots, 0 comparisons, 2 image comparisons\n") ||
		!strings.Contains(d, "- compare images dir:/srv/a ⇄ dir:/srv/b\n") {
		t.Errorf("details:\n%s", d)
	}

	l := nightlyLine{Stage: "images", Images: workflows.StageCounts{Total: 2, Done: 1, Running: 1}, Running: "image ab"}
	if got, want := l.line(time.Second), "nightly [images]: snapshots 0/0  comparisons 0/0  images 1/2 (1 running)  running: image ab  1s"; got != want {
		t.Errorf("line\n%s\nwant\n%s", got, want)
	}
	rec := activities.NightlyRecord{Plan: "x", LogicalDate: time.Date(2026, 12, 6, 1, 30, 0, 0, time.UTC),
		Images: []activities.Outcome{{Name: "image ab", Status: "failed", Error: "analyze dir:/srv/a: no such directory"}}}
	var b strings.Builder
	printNightlyRecord(&b, rec, false)
	if got, want := b.String(), `nightly x of 2026-12-06T01:30:00Z: finished, 1 of 1 stages failed or skipped
  images:
    image ab: failed — analyze dir:/srv/a: no such directory
`; got != want {
		t.Errorf("outcomes\n%s\nwant\n%s", got, want)
	}
	if got := strings.Join(failedStages(rec), ", "); got != "image ab (failed)" {
		t.Errorf("failed stages %q", got)
	}
}
