package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/distroscope/distroscope/activities"
	"github.com/distroscope/distroscope/repo/formats/formatstest"
	"github.com/distroscope/distroscope/workflows"
)

// TestScheduleOfAPlan drives `distroscope schedule` through a plan's life
// against the real dev server, with the real worker binary and the
// fixture repository served on 127.0.0.1: apply creates the schedule with
// the policies the docs promise; a second apply changes nothing; a changed
// plan updates it, saying what changed; a backfill of the last two nights
// runs them one after another, each with its scheduled time as its
// logical date (its result, its record), not the wall clock; a trigger
// runs now; pause and unpause show in describe and ls; delete removes the
// schedule and leaves the runs' records.
func TestScheduleOfAPlan(t *testing.T) {
	e := newVerifyEnv(t)
	base, keyring := formatstest.Repo(t)
	e.catalog = filepath.Join(t.TempDir(), "sources.yaml")
	cat := fmt.Sprintf("sources:\n  - name: fixture\n    format: apt\n    mirror: %s\n    suites: [%s]\n"+
		"    components: [main, contrib]\n    architectures: [amd64, arm64]\n    keyring: [%s]\n", base, formatstest.Suite, keyring)
	if err := os.WriteFile(e.catalog, []byte(cat), 0o644); err != nil {
		t.Fatal(err)
	}
	name := randomName("sched-")
	// A daily plan whose hour is half a day away: no night of its own
	// comes while the test runs.
	hour := (time.Now().UTC().Hour() + 12) % 24
	cron := fmt.Sprintf("0 %d * * *", hour)
	planFile := filepath.Join(t.TempDir(), "nightly.yaml")
	writePlan := func(extra string) {
		text := "name: " + name + "\nschedule: {cron: \"" + cron + "\"}\nsnapshots: [{source: fixture}]\n" + extra
		if err := os.WriteFile(planFile, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	id := "nightly/" + name
	t.Cleanup(func() { e.c.ScheduleClient().GetHandle(context.Background(), id).Delete(context.Background()) })
	startWorkerProcess(t, buildWorker(t), workerEnv(t, &harness{queue: e.queue}, "DISTROSCOPE_STORE="+e.store))

	ok := func(args ...string) cliRun {
		t.Helper()
		r := e.run(t, args...)
		if r.code != 0 {
			t.Fatalf("distroscope %s: %s", strings.Join(args, " "), r)
		}
		return r
	}
	describe := func() map[string]string {
		t.Helper()
		out := ok("schedule", "describe", name).stdout
		fields := map[string]string{"": out}
		for _, l := range strings.Split(out, "\n") {
			if k, v, found := strings.Cut(strings.TrimSpace(l), ": "); found {
				fields[k] = strings.TrimSpace(v)
			}
		}
		return fields
	}

	writePlan("")
	if r := ok("schedule", "apply", planFile); !strings.Contains(r.stdout, id+": created from") {
		t.Errorf("first apply: %s", r)
	}
	d := describe()
	for k, want := range map[string]string{"spec": fmt.Sprintf("cron %q in UTC", cron), "overlap": "BUFFER_ONE", "catch-up window": "24h0m0s",
		"run timeout": "21h36m0s", "pause on failure": "false", "state": "active"} {
		if d[k] != want {
			t.Errorf("describe: %s is %q, want %q\n%s", k, d[k], want, d[""])
		}
	}
	if r := ok("schedule", "apply", planFile); !strings.Contains(r.stdout, id+": unchanged") {
		t.Errorf("the same plan again: %s", r)
	}
	writePlan("timeout: 12h\nconcurrency: 2\n")
	r := ok("schedule", "apply", planFile)
	for _, want := range []string{id + ": updated from", "run timeout: 21h36m0s → 12h0m0s", "concurrency: 8 (default) → 2"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("apply of the changed plan printed no %q: %s", want, r)
		}
	}
	if d := describe(); d["run timeout"] != "12h0m0s" {
		t.Errorf("describe after the update: run timeout %q, want 12h0m0s\n%s", d["run timeout"], d[""])
	}

	// The plan's last two nights.
	now := time.Now().UTC()
	night2 := now.Truncate(24 * time.Hour).Add(time.Duration(hour) * time.Hour)
	if night2.After(now) {
		night2 = night2.Add(-24 * time.Hour)
	}
	night1 := night2.Add(-24 * time.Hour)
	r = ok("schedule", "backfill", name, "--from", night1.Format(time.RFC3339), "--to", night2.Format(time.RFC3339))
	if !strings.Contains(r.stdout, "backfilling 2 runs") {
		t.Errorf("backfill: %s", r)
	}
	first := waitNightly(t, e, name, night1)
	second := waitNightly(t, e, name, night2)
	if second.started.Before(first.closed) {
		t.Errorf("the backfill's second night started at %v, before the first ended at %v: not one after another", second.started, first.closed)
	}

	before := time.Now()
	r = ok("schedule", "trigger", name)
	m := regexp.MustCompile(`triggered run ` + regexp.QuoteMeta(workflows.NightlyScheduleWorkflowID(name)) + `-(\S+),`).FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("trigger printed no run: %s", r)
	}
	scheduled, err := time.Parse(time.RFC3339, m[1])
	if err != nil {
		t.Fatal(err)
	}
	if scheduled.Before(before.Add(-2*time.Second)) || scheduled.After(time.Now().Add(2*time.Second)) {
		t.Errorf("the triggered run is scheduled for %v, not now (%v)", scheduled, before)
	}
	waitNightly(t, e, name, scheduled)

	ok("schedule", "pause", name, "--note", "mirror maintenance")
	if d := describe(); d["state"] != "paused: mirror maintenance" {
		t.Errorf("describe after pause: state %q\n%s", d["state"], d[""])
	}
	// ls reads the visibility store, which may lag a little.
	var ls cliRun
	waitFor(t, 20*time.Second, "ls to list the paused schedule", func() bool {
		ls = ok("schedule", "ls")
		_, found := lineWith(ls.stdout, name, "paused: mirror maintenance", "completed")
		return found
	})
	ok("schedule", "unpause", name)
	d = describe()
	if d["state"] != "active" || !strings.HasPrefix(d["runs"], "3 started") {
		t.Errorf("describe after unpause: state %q, runs %q; want active, 3 started\n%s", d["state"], d["runs"], d[""])
	}
	for _, night := range []time.Time{night1, night2} {
		if _, found := lineWith(d[""], night.Format(time.RFC3339), "completed"); !found {
			t.Errorf("describe lists no completed run of %v:\n%s", night, d[""])
		}
	}

	if r := ok("schedule", "delete", name); !strings.Contains(r.stdout, id+": deleted") {
		t.Errorf("delete: %s", r)
	}
	if r := e.run(t, "schedule", "describe", name); r.code != 1 || !strings.Contains(r.stderr, "not found") {
		t.Errorf("describe of the deleted schedule: %s", r)
	}
	for _, night := range []time.Time{night1, night2, scheduled} {
		if _, err := os.Stat(filepath.Join(e.store, filepath.FromSlash(activities.NightlyKey(name, night)))); err != nil {
			t.Errorf("the record of %v is gone with the schedule: %v", night, err)
		}
	}
}

// scheduledNightly is one finished run a schedule started.
type scheduledNightly struct {
	started, closed time.Time
}

// waitNightly waits for the schedule's run of night to finish and checks
// that it, and the record it committed, are that night's.
func waitNightly(t *testing.T, e *verifyEnv, plan string, night time.Time) scheduledNightly {
	t.Helper()
	id := workflows.NightlyScheduleWorkflowID(plan) + "-" + night.UTC().Format(time.RFC3339)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// A buffered run does not exist until the one before it ends.
	waitFor(t, time.Minute, "run "+id+" to start", func() bool {
		_, err := e.c.DescribeWorkflowExecution(ctx, id, "")
		return err == nil
	})
	var res workflows.NightlyResult
	if err := e.c.GetWorkflow(ctx, id, "").Get(ctx, &res); err != nil {
		t.Fatalf("run %s: %v", id, err)
	}
	if !res.Record.LogicalDate.Equal(night) || res.Reused || len(res.Record.Snapshots) != 1 || res.Record.Snapshots[0].Status == activities.StatusFailed {
		t.Errorf("run %s = %+v; want the record of %v with its snapshot, not reused", id, res, night)
	}
	data, err := os.ReadFile(filepath.Join(e.store, filepath.FromSlash(activities.NightlyKey(plan, night))))
	if err != nil {
		t.Fatalf("the record of %v: %v", night, err)
	}
	var rec activities.NightlyRecord
	if err := json.Unmarshal(data, &rec); err != nil {
		t.Fatal(err)
	}
	if !rec.LogicalDate.Equal(night) || rec.ScheduleID != "nightly/"+plan || rec.WorkflowID != id {
		t.Errorf("the record of %v says logical date %v, schedule %q, run %s; want %v, nightly/%s, %s", night, rec.LogicalDate, rec.ScheduleID, rec.WorkflowID, night, plan, id)
	}
	desc, err := e.c.DescribeWorkflowExecution(ctx, id, "")
	if err != nil {
		t.Fatal(err)
	}
	info := desc.GetWorkflowExecutionInfo()
	return scheduledNightly{started: info.GetStartTime().AsTime(), closed: info.GetCloseTime().AsTime()}
}
