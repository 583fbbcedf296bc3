package workflows_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/distroscope/distroscope/activities"
	"github.com/distroscope/distroscope/analysis/trends"
	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/workflows"
)

func newTrendsEnv(t *testing.T) *testsuite.TestWorkflowEnvironment {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	workflows.RegisterTrends(env, &activities.Trends{})
	return env
}

func trixieAt(day string) datasets.Partition {
	return datasets.Partition{Distro: "debian", Release: "trixie", Snapshot: "202601" + day + "T000000Z-aaaaaaaaaaaa"}
}

// trendsPlan is a plan of three steps after one stale state.
var trendsPlan = trends.Plan{
	Steps: []trends.Step{
		{Target: trixieAt("02"), Previous: trixieAt("01").Snapshot},
		{Target: trixieAt("03"), Previous: trixieAt("02").Snapshot},
		{Target: trixieAt("04"), Previous: trixieAt("03").Snapshot},
	},
	Stale:     []datasets.Partition{trixieAt("03")},
	Snapshots: 4, UpToDate: 1,
}

// TestTrendsWorkflowAppliesThePlanInOrder: the stale state is removed
// before any step, every step is applied in snapshot order with the run's
// identity, and the result counts what was computed and reused.
func TestTrendsWorkflowAppliesThePlanInOrder(t *testing.T) {
	env := newTrendsEnv(t)
	var a *activities.Trends
	var calls []string
	env.OnActivity(a.PlanTrends, mock.Anything, mock.Anything).Return(trendsPlan, nil)
	env.OnActivity(a.RemoveTrendsStates, mock.Anything, mock.Anything).Return(
		func(_ context.Context, parts []datasets.Partition) (int, error) {
			calls = append(calls, "remove "+parts[0].Snapshot)
			return len(parts), nil
		})
	env.OnActivity(a.ApplyTrends, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.ApplyTrendsInput) (trends.Applied, error) {
			if in.WorkflowID == "" || in.RunID == "" {
				t.Errorf("step %s without the run's identity", in.Step.Target.Snapshot)
			}
			calls = append(calls, "apply "+in.Step.Target.Snapshot)
			return trends.Applied{Partition: in.Step.Target, Reused: in.Step.Target == trixieAt("02"),
				Trend: datasets.PackageTrendRow{Packages: 100, Added: 3}}, nil
		})
	env.ExecuteWorkflow(workflows.TrendsWorkflow, workflows.TrendsInput{Release: trends.Release{Distro: "debian", Release: "trixie"}})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var res workflows.TrendsResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	want := []string{"remove " + trixieAt("03").Snapshot, "apply " + trixieAt("02").Snapshot,
		"apply " + trixieAt("03").Snapshot, "apply " + trixieAt("04").Snapshot}
	if strings.Join(calls, "\n") != strings.Join(want, "\n") {
		t.Errorf("calls:\n%s\nwant:\n%s", strings.Join(calls, "\n"), strings.Join(want, "\n"))
	}
	if res.Computed != 2 || res.Reused != 1 || res.Stale != 1 || res.Snapshots != 4 || res.Last == nil || res.Last.Partition != trixieAt("04") {
		t.Errorf("result %+v", res)
	}
	if s := workflows.TrendsSummary(res); !strings.Contains(s, "2 states computed, 1 already committed, 1 stale removed") {
		t.Errorf("summary %q", s)
	}
	v, err := env.QueryWorkflow(workflows.ProgressQuery)
	if err != nil {
		t.Fatal(err)
	}
	var p workflows.TrendsProgress
	if err := v.Get(&p); err != nil {
		t.Fatal(err)
	}
	if p.Phase != "done" || p.Done != 3 || p.Steps != 3 {
		t.Errorf("progress %+v", p)
	}
}

// TestTrendsWorkflowContinuesAsNew: past StepsPerRun states the run
// continues as new with its counts, and the next run plans again.
func TestTrendsWorkflowContinuesAsNew(t *testing.T) {
	env := newTrendsEnv(t)
	var a *activities.Trends
	env.OnActivity(a.PlanTrends, mock.Anything, mock.Anything).Return(trends.Plan{Steps: trendsPlan.Steps, Snapshots: 4}, nil)
	applied := 0
	env.OnActivity(a.ApplyTrends, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.ApplyTrendsInput) (trends.Applied, error) {
			applied++
			return trends.Applied{Partition: in.Step.Target}, nil
		})
	env.ExecuteWorkflow(workflows.TrendsWorkflow, workflows.TrendsInput{Release: trends.Release{Distro: "debian", Release: "trixie"}, StepsPerRun: 2})
	err := env.GetWorkflowError()
	var can *workflow.ContinueAsNewError
	if !errors.As(err, &can) {
		t.Fatalf("want continue-as-new, got %v", err)
	}
	if applied != 2 {
		t.Errorf("applied %d steps before continuing, want 2", applied)
	}
	var next workflows.TrendsInput
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
		t.Fatal(err)
	}
	if next.Done == nil || next.Done.Computed != 2 || next.StepsPerRun != 2 {
		t.Errorf("next input %+v", next)
	}
}

// TestTrendsWorkflowFailsNamingTheStep: a corrupt input fails the run at
// once, naming the snapshot whose state could not be computed.
func TestTrendsWorkflowFailsNamingTheStep(t *testing.T) {
	env := newTrendsEnv(t)
	var a *activities.Trends
	env.OnActivity(a.PlanTrends, mock.Anything, mock.Anything).Return(trends.Plan{Steps: trendsPlan.Steps}, nil)
	attempts := 0
	env.OnActivity(a.ApplyTrends, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.ApplyTrendsInput) (trends.Applied, error) {
			attempts++
			return trends.Applied{}, temporal.NewNonRetryableApplicationError("packages file is corrupt", activities.ErrTypeCorrupt, nil)
		})
	env.ExecuteWorkflow(workflows.TrendsWorkflow, workflows.TrendsInput{Release: trends.Release{Distro: "debian", Release: "trixie"}})
	err := env.GetWorkflowError()
	if err == nil || !strings.Contains(err.Error(), "as of "+trixieAt("02").Snapshot) || !strings.Contains(err.Error(), "corrupt") {
		t.Fatalf("error %v", err)
	}
	if attempts != 1 {
		t.Errorf("%d attempts of a corrupt input, want 1", attempts)
	}
}
