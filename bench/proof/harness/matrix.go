package harness

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/distroscope/distroscope/workflows"
)

// Bound is the requirement for every disruption: the work it makes
// the run repeat, and the time from the restart to the run's next
// progress, each stay under 30 s.
const Bound = 30 * time.Second

// Point is a place in a run where it is disrupted.
type Point struct {
	Name string
	// Arm sets the point up — a hold on the request the run will send
	// there — and returns what waits for the run to reach it. The first
	// point is armed before the run starts, each next one while the worker
	// is down after the disruption before: the run cannot move then, so a
	// hold never takes a request of an earlier step.
	Arm func() Reached
	// Disrupt replaces the default disruption — SIGKILL of the worker and
	// its immediate restart — and returns when the restart began.
	Disrupt func(ctx context.Context, s *Session) (restarted time.Time, err error)
	// Detail, when set, says where exactly the run was held.
	Detail func() string
}

// Reached blocks until the run is at a point and returns when its work
// stopped there: a hold's HitAt, or now.
type Reached func(ctx context.Context, r *Run) (time.Time, error)

// AtHold is reached when h holds its request.
func AtHold(h *Hold) Reached {
	return func(ctx context.Context, _ *Run) (time.Time, error) {
		select {
		case <-h.Hit():
			return h.HitAt(), nil
		case <-ctx.Done():
			return time.Time{}, ctx.Err()
		}
	}
}

// AfterChildren is reached as soon as n of the nightly's child runs have
// completed: the run is between two stages.
func AfterChildren(n int) Reached {
	return func(ctx context.Context, r *Run) (time.Time, error) {
		for {
			done, err := r.ChildrenDone(ctx)
			if err == nil && done >= n {
				return time.Now(), nil
			}
			select {
			case <-ctx.Done():
				return time.Time{}, ctx.Err()
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
}

// Outcome is what one disruption cost.
type Outcome struct {
	Point   string
	Running []Activity
	// Redone is the activity work the disrupted attempts had done, from
	// each one's start to the kill: what their retries
	// repeat.
	Redone time.Duration
	// ToProgress is the time from the restart to the run's next completed
	// step, and Progress that step.
	ToProgress time.Duration
	Progress   string
}

// Within says whether the outcome meets Bound.
func (o Outcome) Within() bool { return o.Redone < Bound && o.ToProgress < Bound }

// Session runs nightlies on a worker binary against a Temporal server.
type Session struct {
	Client client.Client
	Worker WorkerConfig
	Logf   func(format string, args ...any)
	worker *Worker
}

// Pass is one nightly run, disrupted at its points.
type Pass struct {
	ID       string
	Outcomes []Outcome
	Took     time.Duration
	Result   workflows.NightlyResult
}

// Run starts a worker, starts the nightly with start (which returns its
// workflow ID), disrupts it at each point in turn, and waits (at most
// limit) for it to end. A point the run ends without reaching is an error.
func (s *Session) Run(ctx context.Context, start func(context.Context) (string, error), points []Point, limit time.Duration) (Pass, error) {
	var p Pass
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	w, err := StartWorker(s.Worker)
	if err != nil {
		return p, err
	}
	s.worker = w
	defer func() { s.worker.Stop() }()
	began := time.Now()
	var next Reached
	if len(points) > 0 {
		next = points[0].Arm()
	}
	p.ID, err = start(ctx)
	if err != nil {
		return p, err
	}
	run := &Run{Client: s.Client, ID: p.ID}
	ended := make(chan error, 1)
	runCtx, runEnded := context.WithCancel(ctx)
	defer runEnded()
	go func() {
		err := s.wait(ctx, p.ID, &p.Result)
		runEnded()
		ended <- err
	}()
	for i, pt := range points {
		var arm func() Reached
		if i+1 < len(points) {
			arm = points[i+1].Arm
		}
		o, armed, err := s.disrupt(ctx, runCtx, run, pt, next, arm)
		next = armed
		if err != nil {
			if runCtx.Err() != nil && ctx.Err() == nil {
				err = errors.New("the run ended first")
			}
			return p, fmt.Errorf("point %d (%s): %w", i+1, pt.Name, err)
		}
		s.Logf("point %d/%d, %s: %s; redone %.1fs; next progress %.1fs after the restart: %s", i+1, len(points), o.Point,
			running(o.Running), o.Redone.Seconds(), o.ToProgress.Seconds(), o.Progress)
		p.Outcomes = append(p.Outcomes, o)
	}
	if err := <-ended; err != nil {
		return p, fmt.Errorf("nightly %s: %w", p.ID, err)
	}
	p.Took = time.Since(began)
	return p, nil
}

// disrupt waits for the run to reach pt, disrupts it, arms the next
// point while the run is stopped, and measures the work redone and the
// time to the next progress.
//
// runCtx ends with the run: waiting for a point stops there; waiting for
// progress does not, as the run's end is progress too.
func (s *Session) disrupt(ctx, runCtx context.Context, run *Run, pt Point, reached Reached, armNext func() Reached) (o Outcome, next Reached, err error) {
	o = Outcome{Point: pt.Name}
	// The hold's time is when the mirror or the store stopped answering;
	// the attempt may still have worked on what it had received, so the
	// work is counted to the kill, right after.
	if _, err = reached(runCtx, run); err != nil {
		return o, nil, err
	}
	if o.Running, err = run.Running(ctx); err != nil {
		return o, nil, err
	}
	killed := time.Now()
	for _, a := range o.Running {
		if d := killed.Sub(a.Started); d > 0 {
			o.Redone += d
		}
	}
	disrupt := pt.Disrupt
	if disrupt == nil {
		disrupt = func(ctx context.Context, s *Session) (time.Time, error) { return s.KillWorker(ctx, armNext, &next) }
	} else if armNext != nil {
		next = armNext()
	}
	restarted, err := disrupt(ctx, s)
	if err != nil {
		return o, nil, err
	}
	if pt.Detail != nil { // after the kill: it reads the held file
		o.Point += " (" + pt.Detail() + ")"
	}
	p, err := s.progress(ctx, run, restarted, next)
	if err != nil {
		return o, nil, err
	}
	o.ToProgress, o.Progress = p.At.Sub(restarted), p.What
	return o, next, nil
}

// progress waits for the run's next completed step after restarted, or
// for it to reach the next point, whichever comes first: a point inside
// the same activity as the one disrupted (a comparison's read, then its
// write) holds the retried attempt before it can complete, and reaching
// it is progress past where the disruption stopped the run.
func (s *Session) progress(ctx context.Context, run *Run, restarted time.Time, next Reached) (Progress, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	reached := make(chan time.Time, 1)
	if next != nil {
		go func() {
			if at, err := next(ctx, run); err == nil {
				reached <- at
			}
		}()
	}
	done := make(chan error, 1)
	var p Progress
	go func() {
		var err error
		p, err = run.NextProgress(ctx, restarted, 2*time.Minute)
		done <- err
	}()
	select {
	case err := <-done:
		return p, err
	case at := <-reached:
		// A step may have completed before, unseen yet by the polling.
		if p, ok, err := run.progressAfter(ctx, restarted); err == nil && ok && p.At.Before(at) {
			return p, nil
		}
		return Progress{At: at, What: "reached the next point"}, nil
	}
}

// wait waits for the nightly to end, through a restart of the server.
func (s *Session) wait(ctx context.Context, id string, res *workflows.NightlyResult) error {
	for {
		err := s.Client.GetWorkflow(ctx, id, "").Get(ctx, res)
		var failed *temporal.WorkflowExecutionError
		if err == nil || errors.As(err, &failed) || ctx.Err() != nil {
			return err
		}
		select { // the server is restarting: ask again
		case <-ctx.Done():
			return err
		case <-time.After(time.Second):
		}
	}
}

// Abandon kills the session's worker, if one runs: for a harness that is
// interrupted.
func (s *Session) Abandon() {
	if w := s.worker; w != nil {
		w.Kill()
	}
}

// KillWorker kills the worker with SIGKILL, arms the next point (if any)
// into next, and starts the worker again at once.
func (s *Session) KillWorker(ctx context.Context, arm func() Reached, next *Reached) (time.Time, error) {
	s.worker.Kill()
	if arm != nil {
		*next = arm()
	}
	restarted := time.Now()
	w, err := StartWorker(s.Worker)
	if err != nil {
		return restarted, err
	}
	s.worker = w
	return restarted, nil
}

func running(as []Activity) string {
	if len(as) == 0 {
		return "no activity running"
	}
	var s []string
	for _, a := range as {
		s = append(s, a.String())
	}
	return strings.Join(s, ", ")
}

// PrintTable prints one line per outcome: the point, what was running,
// the work redone and the time from the restart to the next progress.
func PrintTable(w io.Writer, outs []Outcome) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tpoint\twhat was running\tredone\trestart→progress\tnext progress\t")
	for i, o := range outs {
		verdict := ""
		if !o.Within() {
			verdict = fmt.Sprintf("  OVER %v", Bound)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%.1fs\t%.1fs\t%s%s\t\n", i+1, o.Point, running(o.Running), o.Redone.Seconds(),
			o.ToProgress.Seconds(), o.Progress, verdict)
	}
	tw.Flush()
}
