// Command hostile serves each hostile index of issue 9 on 127.0.0.1, runs a
// snapshot of it on a fresh worker process (bin/distroscope-worker) against
// a Temporal dev server, and prints per case what happened, how long until
// the ingest gave its worker slot back (the activity failed, or the
// snapshot ended) and the worker's peak RSS (VmHWM). It exits non-zero when
// a case takes a worker past 150 MB or holds its slot past a minute, or
// ends otherwise than the case expects.
//
// Run it as `go tool task hostile`, which builds the binaries and the
// Temporal CLI first. Large inputs (the decompression bombs) are generated
// once into -cache.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/distroscope/distroscope/bench/internal/measure"
	"github.com/distroscope/distroscope/workflows"
)

// The bounds every case must stay within (issue 9, "Done means").
const (
	maxRSS  = 150 << 20
	maxHold = time.Minute
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "hostile:", err)
		os.Exit(1)
	}
}

type opts struct {
	bin, tools, state, cache string
	only                     string
}

func run() error {
	var o opts
	flag.StringVar(&o.bin, "bin", "bin", "folder with distroscope-worker")
	flag.StringVar(&o.tools, "tools", ".tools/bin", "folder with the temporal binary")
	flag.StringVar(&o.state, "state", ".state/hostile", "state folder (Temporal, workers, stores)")
	flag.StringVar(&o.cache, "cache", ".cache/hostile", "folder for the generated inputs, kept between runs")
	flag.StringVar(&o.only, "run", "", "run only the cases whose name matches this regular expression")
	flag.Parse()
	for _, p := range []*string{&o.bin, &o.tools, &o.state, &o.cache} {
		abs, err := filepath.Abs(*p)
		if err != nil {
			return err
		}
		*p = abs
	}
	only, err := regexp.Compile(o.only)
	if err != nil {
		return err
	}
	os.RemoveAll(o.state)
	for _, d := range []string{o.state, o.cache} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}

	var run []hostileCase
	for _, c := range cases() {
		if only.MatchString(c.name) {
			run = append(run, c)
		}
	}
	if len(run) == 0 {
		return fmt.Errorf("no case matches %q", o.only)
	}
	fmt.Printf("generating %d cases into %s\n", len(run), o.cache)
	for i := range run {
		dir := filepath.Join(o.cache, run[i].name)
		if err := run[i].build(dir); err != nil {
			return fmt.Errorf("%s: %w", run[i].name, err)
		}
		run[i].dir = dir
	}

	tc, down, err := startTemporal(o)
	if err != nil {
		return err
	}
	defer down()
	defer tc.Close()

	fmt.Printf("\n%-26s %-9s %8s %9s  %s\n", "case", "verdict", "held", "peak RSS", "outcome")
	failed := 0
	for _, c := range run {
		r, err := runCase(o, tc, c)
		if err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
		verdict := "ok"
		switch {
		case r.rss > maxRSS:
			verdict = "RSS>150MB"
		case r.held > maxHold:
			verdict = "held>1min"
		case !strings.Contains(r.outcome, c.want):
			verdict = "unexpected"
		}
		if verdict != "ok" {
			failed++
		}
		fmt.Printf("%-26s %-9s %7.1fs %7.1fMB  %s\n", c.name, verdict, r.held.Seconds(), float64(r.rss)/(1<<20), cut(r.outcome, 120))
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d cases out of bounds (RSS ≤ 150 MB, slot released within a minute) or not as expected", failed, len(run))
	}
	fmt.Printf("\nevery case within bounds: worker RSS ≤ %d MB, slot released within %s\n", maxRSS>>20, maxHold)
	return nil
}

// startTemporal starts a dev server of its own on free ports
// (scripts/stack.sh, as the other benchmarks do) and dials it.
func startTemporal(o opts) (client.Client, func(), error) {
	script := filepath.Join(filepath.Dir(o.bin), "scripts", "stack.sh")
	tstate := filepath.Join(o.state, "temporal")
	port, ui := measure.FreePort(), measure.FreePort()
	start := exec.Command("bash", script, "temporal", tstate, strconv.Itoa(port), strconv.Itoa(ui))
	start.Env = append(os.Environ(), "BIN_DIR="+o.tools)
	if out, err := start.CombinedOutput(); err != nil {
		return nil, nil, fmt.Errorf("start Temporal: %v: %s", err, out)
	}
	down := func() { exec.Command("bash", script, "down", tstate).Run() }
	addr := "127.0.0.1:" + strconv.Itoa(port)
	tc, err := client.Dial(client.Options{HostPort: addr, Logger: quietLogger{}})
	if err != nil {
		down()
		return nil, nil, err
	}
	os.Setenv("TEMPORAL_ADDRESS", addr)
	return tc, down, nil
}

type result struct {
	outcome string
	held    time.Duration
	rss     int64
}

// runCase serves c, starts a worker of its own for it, runs a snapshot and
// waits for its first ingest failure or its end.
func runCase(o opts, tc client.Client, c hostileCase) (result, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return result{}, err
	}
	var h http.Handler = http.FileServer(http.Dir(c.dir))
	if c.handler != nil {
		h = c.handler(h)
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(l)
	defer srv.Close()
	mirror := "http://" + l.Addr().String()

	queue := "hostile-" + c.name
	state := filepath.Join(o.state, c.name)
	if err := os.MkdirAll(filepath.Join(state, "tmp"), 0o755); err != nil {
		return result{}, err
	}
	wlog, err := os.Create(filepath.Join(state, "worker.log"))
	if err != nil {
		return result{}, err
	}
	worker := exec.Command(filepath.Join(o.bin, "distroscope-worker"))
	worker.Env = append(os.Environ(),
		"DISTROSCOPE_TASK_QUEUE="+queue,
		"DISTROSCOPE_STORE="+filepath.Join(state, "store"),
		"DISTROSCOPE_TEMP_DIR="+filepath.Join(state, "tmp"),
		"DISTROSCOPE_LOG_LEVEL=warn",
	)
	worker.Env = append(worker.Env, c.env...)
	worker.Stdout, worker.Stderr = wlog, wlog
	err = worker.Start()
	wlog.Close()
	if err != nil {
		return result{}, err
	}
	defer func() {
		worker.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { worker.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			worker.Process.Kill()
			<-done
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := waitForPoller(ctx, tc, queue); err != nil {
		return result{}, err
	}

	spec := c.spec
	spec.Mirror = mirror
	start := time.Now()
	run, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: queue + "-" + strconv.FormatInt(start.UnixNano(), 36), TaskQueue: queue},
		workflows.SnapshotWorkflowName, workflows.SnapshotInput{Source: spec})
	if err != nil {
		return result{}, err
	}
	outcome, err := firstOutcome(ctx, tc, run, start)
	if err != nil {
		return result{}, err
	}
	outcome.outcome = longHash.ReplaceAllString(strings.ReplaceAll(outcome.outcome, mirror+"/", ""), "$1…")
	outcome.rss, err = measure.PeakRSS(strconv.Itoa(worker.Process.Pid))
	if err != nil {
		return result{}, err
	}
	// The run would retry a failure that is worth retrying for minutes: one
	// failed attempt is what this measures.
	_ = tc.TerminateWorkflow(context.Background(), run.GetID(), run.GetRunID(), "hostile: measured")
	return outcome, nil
}

func waitForPoller(ctx context.Context, tc client.Client, queue string) error {
	for {
		resp, err := tc.DescribeTaskQueue(ctx, queue, enumspb.TASK_QUEUE_TYPE_ACTIVITY)
		if err == nil && len(resp.GetPollers()) > 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("no worker polls %s: %w", queue, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// firstOutcome waits until the snapshot ends or one of its activities has
// failed an attempt, whichever comes first: either way the worker slot that
// ran the attempt is free again. It gives up at twice maxHold.
func firstOutcome(ctx context.Context, tc client.Client, run client.WorkflowRun, start time.Time) (result, error) {
	ended := make(chan error, 1)
	go func() {
		var res workflows.SnapshotResult
		ended <- run.Get(ctx, &res)
	}()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-ended:
			held := time.Since(start)
			if err == nil {
				return result{outcome: "committed", held: held}, nil
			}
			return result{outcome: innermost(err), held: held}, nil
		case <-tick.C:
		}
		if time.Since(start) > 2*maxHold {
			return result{outcome: "still running after " + (2 * maxHold).String(), held: time.Since(start)}, nil
		}
		d, err := tc.DescribeWorkflowExecution(ctx, run.GetID(), run.GetRunID())
		if err != nil {
			continue
		}
		for _, pa := range d.GetPendingActivities() {
			if f := pa.GetLastFailure(); f != nil {
				return result{outcome: fmt.Sprintf("%s attempt %d failed: %s", pa.GetActivityType().GetName(), pa.GetAttempt()-1, f.GetMessage()),
					held: time.Since(start)}, nil
			}
		}
	}
}

// innermost is the message of the error at the bottom of err's chain: the
// activity's own words without the workflow's framing.
func innermost(err error) string {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			// Temporal's framing of the cause it carried, "(type:
			// corruptError, retryable: true)", describes the Go error, not
			// the failure, which was not retried.
			return framing.ReplaceAllString(err.Error(), "")
		}
		err = next
	}
}

var framing = regexp.MustCompile(` \(type: [^()]*\)$`)

// longHash is a SHA256 in a file name, shortened in outcomes.
var longHash = regexp.MustCompile(`([0-9a-f]{8})[0-9a-f]{56}`)

func cut(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// quietLogger keeps the SDK's client logs out of the table.
type quietLogger struct{}

func (quietLogger) Debug(string, ...any) {}
func (quietLogger) Info(string, ...any)  {}
func (quietLogger) Warn(string, ...any)  {}
func (quietLogger) Error(string, ...any) {}
