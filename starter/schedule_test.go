package main

import (
	"bytes"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/distroscope/distroscope/plan"
	"github.com/distroscope/distroscope/workflows"
)

func readPlan(t *testing.T, path string) *plan.Plan {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := plan.Parse(f, path)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func parsePlan(t *testing.T, text string) *plan.Plan {
	t.Helper()
	p, err := plan.Parse(strings.NewReader(text), "inline.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// scheduleOptions turns a plan into the schedule the docs promise: the
// plan's spec and time zone, BUFFER_ONE, a catch-up window of one
// interval, the plan's timeout and pause-on-failure, and the nightly's
// input with the schedule's ID and no logical date of its own.
func TestScheduleOptions(t *testing.T) {
	in := workflows.NightlyInput{Plan: "x", SetSearchAttributes: true, LogicalDate: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	for _, tc := range []struct {
		name           string
		plan           *plan.Plan
		cron           []string
		intervals      []client.ScheduleIntervalSpec
		timeZone       string
		catchup        time.Duration
		timeout        time.Duration
		pauseOnFailure bool
	}{
		{name: "cron", plan: readPlan(t, "../plan/testdata/nightly.yaml"), cron: []string{"30 2 * * * # 30 2 * * *"},
			timeZone: "Europe/Berlin", catchup: 24 * time.Hour, timeout: 24 * time.Hour * 9 / 10},
		{name: "interval", plan: readPlan(t, "../plan/testdata/interval.yaml"),
			intervals: []client.ScheduleIntervalSpec{{Every: 6 * time.Hour, Offset: 30 * time.Minute}},
			timeZone:  "UTC", catchup: 6 * time.Hour, timeout: 6 * time.Hour * 9 / 10},
		{name: "timeout and pause on failure", plan: parsePlan(t, "name: weekdays\nschedule: {cron: \"0 4 * * 1-5\"}\ntimeout: 12h\npause_on_failure: true\nsnapshots: [{source: debian}]\n"),
			cron: []string{"0 4 * * 1-5 # 0 4 * * 1-5"}, timeZone: "UTC", catchup: 24 * time.Hour, timeout: 12 * time.Hour, pauseOnFailure: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := scheduleOptions(tc.plan, in, "queue-q")
			id := "nightly/" + tc.plan.Name
			if o.ID != id || !slices.Equal(o.Spec.CronExpressions, tc.cron) || !slices.Equal(o.Spec.Intervals, tc.intervals) || o.Spec.TimeZoneName != tc.timeZone {
				t.Errorf("ID %q, spec %+v; want %s, cron %q, intervals %v in %s", o.ID, o.Spec, id, tc.cron, tc.intervals, tc.timeZone)
			}
			if o.Overlap != enumspb.SCHEDULE_OVERLAP_POLICY_BUFFER_ONE || o.CatchupWindow != tc.catchup || o.PauseOnFailure != tc.pauseOnFailure {
				t.Errorf("policies: overlap %v, catch-up %v, pause on failure %v; want BUFFER_ONE, %v, %v", o.Overlap, o.CatchupWindow, o.PauseOnFailure, tc.catchup, tc.pauseOnFailure)
			}
			a, ok := o.Action.(*client.ScheduleWorkflowAction)
			if !ok {
				t.Fatalf("action %T", o.Action)
			}
			if a.ID != workflows.NightlyScheduleWorkflowID(tc.plan.Name) || a.Workflow != workflows.NightlyWorkflowName || a.TaskQueue != "queue-q" ||
				a.WorkflowExecutionTimeout != tc.timeout || a.StaticSummary != "nightly "+tc.plan.Name {
				t.Errorf("action %+v; want ID %s, %s on queue-q, timeout %v, summary \"nightly %s\"", a, id, workflows.NightlyWorkflowName, tc.timeout, tc.plan.Name)
			}
			got := a.Args[0].(workflows.NightlyInput)
			if len(a.Args) != 1 || got.ScheduleID != id || !got.LogicalDate.IsZero() || !got.SetSearchAttributes || got.Plan != "x" {
				t.Errorf("input %+v; want one with schedule ID %s, no logical date (the scheduled time is), search attributes as given", got, id)
			}
			if tc.timeout >= tc.plan.Schedule.Interval() {
				t.Errorf("run timeout %v is not shorter than the interval %v", tc.timeout, tc.plan.Schedule.Interval())
			}
		})
	}
}

// described is the schedule o as the server describes it: cron
// expressions compiled into calendars, which keep the comment, and the
// arguments as payloads.
func described(t *testing.T, o client.ScheduleOptions) client.Schedule {
	t.Helper()
	spec := o.Spec
	spec.Calendars = nil
	for _, c := range o.Spec.CronExpressions {
		_, comment, _ := strings.Cut(c, " # ")
		spec.Calendars = append(spec.Calendars, client.ScheduleCalendarSpec{Comment: comment})
	}
	spec.CronExpressions = nil
	a := *o.Action.(*client.ScheduleWorkflowAction)
	payload, err := converter.GetDefaultDataConverter().ToPayload(a.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	a.Args = []any{payload}
	return client.Schedule{Action: &a, Spec: &spec, Policy: &client.SchedulePolicies{Overlap: o.Overlap, CatchupWindow: o.CatchupWindow, PauseOnFailure: o.PauseOnFailure},
		State: &client.ScheduleState{}}
}

// apply compares the described schedule with the plan's: nothing when it
// is the same, else one line per change, in the plan's terms.
func TestScheduleChanges(t *testing.T) {
	snap := func(name string) workflows.NightlySnapshot {
		return workflows.NightlySnapshot{Name: name, WorkflowID: "snapshot-" + name}
	}
	in := workflows.NightlyInput{Plan: "p", Snapshots: []workflows.NightlySnapshot{snap("debian/bookworm"), snap("debian/trixie")}}
	p := parsePlan(t, "name: p\nschedule: {cron: \"0 2 * * *\"}\nsnapshots: [{source: debian}]\n")
	cur := described(t, scheduleOptions(p, in, "q"))
	if ch := scheduleChanges(cur, scheduleOptions(p, in, "q")); len(ch) != 0 {
		t.Errorf("the same plan again: changes %q, want none", ch)
	}

	changed := parsePlan(t, "name: p\nschedule: {cron: \"30 3 * * *\", time_zone: Europe/Berlin}\ntimeout: 20h\nconcurrency: 3\npause_on_failure: true\nsnapshots: [{source: debian}]\n")
	in2 := in
	in2.Snapshots = []workflows.NightlySnapshot{snap("debian/trixie"), snap("debian/forky")}
	in2.Window = 3
	want := []string{
		`spec: cron "0 2 * * *" in UTC → cron "30 3 * * *" in Europe/Berlin`,
		"catch-up window: 24h0m0s → 23h0m0s", // the day Berlin's clocks go forward
		"pause on failure: false → true",
		"task queue: q → q2",
		"run timeout: 21h36m0s → 20h0m0s",
		"snapshots: +debian/forky −debian/bookworm",
		"concurrency: 8 (default) → 3",
	}
	if ch := scheduleChanges(cur, scheduleOptions(changed, in2, "q2")); !slices.Equal(ch, want) {
		t.Errorf("changes:\n%s\nwant:\n%s", strings.Join(ch, "\n"), strings.Join(want, "\n"))
	}

	// A schedule made outside distroscope, with the server's defaults.
	cur.Policy = &client.SchedulePolicies{CatchupWindow: 365 * 24 * time.Hour}
	want = []string{"overlap: SKIP (the server's default) → BUFFER_ONE", "catch-up window: 8760h0m0s → 24h0m0s"}
	if ch := scheduleChanges(cur, scheduleOptions(p, in, "q")); !slices.Equal(ch, want) {
		t.Errorf("changes from the server's defaults:\n%s\nwant:\n%s", strings.Join(ch, "\n"), strings.Join(want, "\n"))
	}

	// Same names, another mirror: still a change.
	cur = described(t, scheduleOptions(p, in, "q"))
	in3 := in
	in3.Snapshots = slices.Clone(in.Snapshots)
	in3.Snapshots[0].Spec.Mirror = "http://mirror.invalid/debian"
	if ch := scheduleChanges(cur, scheduleOptions(p, in3, "q")); len(ch) != 1 || !strings.HasPrefix(ch[0], "input: the sources' specs") {
		t.Errorf("another mirror: changes %q, want the input's specs", ch)
	}
}

func TestParseScheduleTime(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		in   string
		end  bool
		want time.Time
	}{
		{"2026-12-05T02:30:00Z", false, time.Date(2026, 12, 5, 2, 30, 0, 0, time.UTC)},
		{"2026-12-05T02:30:00+01:00", true, time.Date(2026, 12, 5, 1, 30, 0, 0, time.UTC)},
		{"2026-12-05T02:30", false, time.Date(2026, 12, 5, 2, 30, 0, 0, berlin)},
		{"2026-12-05 02:30", true, time.Date(2026, 12, 5, 2, 30, 0, 0, berlin)},
		{"2026-12-05", false, time.Date(2026, 12, 5, 0, 0, 0, 0, berlin)},
		{"2026-12-05", true, time.Date(2026, 12, 5, 23, 59, 59, 0, berlin)},
	} {
		got, err := parseScheduleTime(tc.in, berlin, tc.end)
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("parseScheduleTime(%q, end %v) = %v, %v; want %v", tc.in, tc.end, got, err, tc.want)
		}
	}
	if _, err := parseScheduleTime("yesterday", berlin, false); err == nil || !strings.Contains(err.Error(), `"yesterday"`) {
		t.Errorf("parseScheduleTime(yesterday) = %v, want an error naming it", err)
	}
}

// apply refuses a plan with mistakes, naming each with its line, before
// it dials Temporal (none answers at this address).
func TestScheduleApplyRefusesAPlanWithMistakes(t *testing.T) {
	env := map[string]string{"DISTROSCOPE_APT_ROOT": t.TempDir(), "DISTROSCOPE_CATALOG": "../plan/testdata/catalog.yaml", "TEMPORAL_ADDRESS": "127.0.0.1:1"}
	var out, errb bytes.Buffer
	code := run([]string{"schedule", "apply", "../plan/testdata/mistakes.yaml"}, strings.NewReader(""), &out, &errb, func(k string) string { return env[k] })
	if code != 1 || out.Len() != 0 || !strings.Contains(errb.String(), `mistakes.yaml line 7: unknown key "suits" in a snapshot`) {
		t.Errorf("schedule apply mistakes.yaml: exit %d, printed %q, said %q", code, out.String(), errb.String())
	}
}
