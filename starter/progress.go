package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode"

	enumspb "go.temporal.io/api/enums/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/distroscope/distroscope/internal/config"
	"github.com/distroscope/distroscope/workflows"
)

// This file is how the CLI reports a run while it is in flight and when it
// ends: progress lines, retry lines, the failure's message and the UI link.

// followInterval is how often a run in flight is asked for its progress.
const followInterval = 500 * time.Millisecond

// lockedWriters serialises the lines of several runs followed at once
// (snapshot follows one run per suite).
type lockedWriters struct {
	sync.Mutex
	stdout, stderr io.Writer
}

func (w *lockedWriters) progress(line string) {
	w.Lock()
	defer w.Unlock()
	fmt.Fprintln(w.stderr, line)
}

// follow reports a run until done is closed: a line (made by line, unless
// nil) each time its progress query answers something new, and a line for each new
// attempt of an activity being retried — the run's own or a child's it
// waits on — so that a transient failure shows while it happens, not only
// when the last attempt fails. A query or describe that fails (the run not
// yet picked up, a server hiccup) is tried again at the next tick: progress
// is a courtesy, not part of the result.
func follow[P comparable](ctx context.Context, c client.Client, run client.WorkflowRun, label string, out *lockedWriters, done <-chan struct{}, line func(P) string) {
	var last P
	seen := retries{}
	tick := time.NewTicker(followInterval)
	defer tick.Stop()
	for {
		select {
		case <-done:
			return
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if line == nil {
			// no progress query (the releases workflow has none)
		} else if p, ok := queryProgress[P](ctx, c, run); ok && p != last {
			last = p
			if s := line(p); s != "" {
				out.progress(s)
			}
		}
		for _, s := range seen.lines(label, run.GetID(), pendingActivities(ctx, c, run.GetID(), run.GetRunID()), time.Now()) {
			out.progress(s)
		}
	}
}

func queryProgress[P any](ctx context.Context, c client.Client, run client.WorkflowRun) (P, bool) {
	var p P
	qctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	v, err := c.QueryWorkflow(qctx, run.GetID(), run.GetRunID(), workflows.ProgressQuery)
	if err != nil || v.Get(&p) != nil {
		return p, false
	}
	return p, true
}

// pendingActivity is one activity a run (or its child) is running or
// waiting to retry.
type pendingActivity struct {
	workflowID string
	info       *workflowpb.PendingActivityInfo
}

// pendingActivities describes the run and, one level down, the children it
// waits on (a comparison's snapshot of a missing side). Nil when the server
// does not answer.
func pendingActivities(ctx context.Context, c client.Client, id, runID string) []pendingActivity {
	describe := func(id, runID string) (acts []pendingActivity, children []*workflowpb.PendingChildExecutionInfo) {
		dctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		resp, err := c.DescribeWorkflowExecution(dctx, id, runID)
		if err != nil {
			return nil, nil
		}
		for _, a := range resp.GetPendingActivities() {
			acts = append(acts, pendingActivity{id, a})
		}
		return acts, resp.GetPendingChildren()
	}
	acts, children := describe(id, runID)
	for _, ch := range children {
		more, _ := describe(ch.GetWorkflowId(), ch.GetRunId())
		acts = append(acts, more...)
	}
	return acts
}

// retries remembers the attempt last reported for each pending activity,
// so that each new attempt is said once.
type retries map[string]int32

// lines are the retry lines for the attempts not reported yet. A child's
// line says which child: a nightly follows dozens.
func (r retries) lines(label, runID string, pending []pendingActivity, now time.Time) []string {
	var out []string
	for _, p := range pending {
		key := p.workflowID + "\x00" + p.info.GetActivityId()
		attempt := p.info.GetAttempt()
		if attempt < 2 || attempt <= r[key] {
			continue
		}
		r[key] = attempt
		l := label
		if p.workflowID != runID {
			l += " › " + childName(p.workflowID)
		}
		out = append(out, retryLine(l, p.info, now))
	}
	return out
}

// childName is a child's workflow ID without the hashes that end it:
// "snapshot/debian/bookworm/0a1b2c3d4e5f/…" is "snapshot/debian/bookworm".
func childName(id string) string {
	parts := strings.Split(id, "/")
	for len(parts) > 1 && isHash(parts[len(parts)-1]) {
		parts = parts[:len(parts)-1]
	}
	return strings.Join(parts, "/")
}

func isHash(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
			return false
		}
	}
	return true
}

// retryLine says that an activity failed and will run again, when, how
// many attempts it has, and why the last one failed:
//
//	bookworm: retrying ResolveRelease in 4 s (attempt 2 of 5): connection refused
func retryLine(label string, a *workflowpb.PendingActivityInfo, now time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: retrying %s", label, a.GetActivityType().GetName())
	if next := a.GetNextAttemptScheduleTime(); next != nil {
		if wait := next.AsTime().Sub(now); wait > 0 {
			b.WriteString(" in " + humanWait(wait))
		}
	}
	fmt.Fprintf(&b, " (attempt %d", a.GetAttempt())
	if m := a.GetMaximumAttempts(); m > 0 {
		fmt.Fprintf(&b, " of %d", m)
	}
	b.WriteString(")")
	if f := a.GetLastFailure(); f != nil {
		b.WriteString(": " + rootCause(temporal.GetDefaultFailureConverter().FailureToError(f)))
	}
	return b.String()
}

// humanWait is a retry's backoff in whole seconds (at least one), or
// minutes once it is long.
func humanWait(d time.Duration) string {
	s := int((d + time.Second/2) / time.Second)
	switch {
	case s < 1:
		s = 1
	case s >= 120:
		return fmt.Sprintf("%d min", (s+30)/60)
	}
	return fmt.Sprintf("%d s", s)
}

// snapshotProgressLine is one line of a snapshot run's progress.
func snapshotProgressLine(label string, p workflows.SnapshotProgress, elapsed time.Duration) string {
	return fmt.Sprintf("%s: %-10s %d/%d indexes  %d rows  %s  %s", label, p.Phase, p.IndexesDone, p.IndexesTotal, p.Rows,
		p.Partition, elapsed.Round(100*time.Millisecond))
}

// compareProgressLine is one line per phase of a comparison (locating,
// snapshotting a side, comparing), so a run that must first snapshot a
// release says so while it waits; "" when it is done (the result follows).
func compareProgressLine(p workflows.CompareProgress, elapsed time.Duration) string {
	if p.Phase == "done" || p.Phase == "" {
		return ""
	}
	what := p.Phase
	if p.Side != "" {
		what += " " + p.Side
	}
	return fmt.Sprintf("compare: %s  %s", what, elapsed.Round(100*time.Millisecond))
}

// uiLink is the run's page in the Temporal UI.
func uiLink(cfg config.Config, id, runID string) string {
	return fmt.Sprintf("%s/namespaces/%s/workflows/%s/%s/history", strings.TrimRight(cfg.UIURL, "/"),
		url.PathEscape(cfg.Temporal.Namespace), url.PathEscape(id), url.PathEscape(runID))
}

// rootCause says why a run failed the way a person reads it: the message
// of the first error in the chain that carries one of its own — the
// workflow's failing step, "resolve bookworm: …" — with the causes it
// quotes said again without the tags Temporal adds to Error() ("(type:
// wrapError, retryable: true)", "activity error (type: …, scheduledEventID:
// …)"). The UI link printed beside it has the rest.
func rootCause(err error) string {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if _, ok := ownMessage(e); ok {
			return say(e)
		}
	}
	return err.Error()
}

// say renders e, which carries a message, and its causes.
func say(e error) string {
	own, _ := ownMessage(e)
	cause := errors.Unwrap(e)
	// Workflow code often builds its message from its cause's text (the
	// cause's Message, or its Error with every tag): that part is said again,
	// cleanly, from the cause itself.
	for inner := cause; inner != nil; inner = errors.Unwrap(inner) {
		texts := []string{inner.Error()}
		if m, ok := ownMessage(inner); ok {
			texts = append(texts, m)
		}
		for _, t := range texts {
			if t != "" && strings.HasSuffix(own, t) {
				return strings.TrimSuffix(own, t) + rootCause(inner)
			}
		}
	}
	if cause == nil {
		return own
	}
	if own == "" {
		return rootCause(cause)
	}
	return own + ": " + rootCause(cause)
}

// ownMessage is the text an error carries itself, without its cause's
// and without tags. ok is false for the errors that only wrap another
// with tags (workflow, child workflow and activity errors) and for errors
// from outside Temporal.
func ownMessage(err error) (msg string, ok bool) {
	switch e := err.(type) {
	case *temporal.ApplicationError:
		return e.Message(), true
	case *temporal.TimeoutError:
		if e.Message() != "" {
			return e.Message(), true
		}
		return timeoutName(e.TimeoutType()) + " timeout", true
	case *temporal.CanceledError:
		return e.Error(), true
	case *temporal.TerminatedError:
		return e.Error(), true
	case *temporal.PanicError:
		return e.Error(), true
	case *temporal.ServerError:
		return e.Message(), true
	}
	return "", false
}

// timeoutName says a timeout type in words: StartToClose → start-to-close.
func timeoutName(t enumspb.TimeoutType) string {
	return lowerWords(t.String(), '-')
}

// lowerWords splits an enum's CamelCase name into lower-case words joined
// by sep: StartToClose → start-to-close.
func lowerWords(name string, sep byte) string {
	var b strings.Builder
	for i, r := range name {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte(sep)
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}
