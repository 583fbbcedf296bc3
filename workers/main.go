// Command distroscope-worker runs distroscope's workflows and activities on
// a Temporal task queue. It shares its configuration with the CLI (see
// internal/config), builds every dependency once and registers each
// business area with it (workflows.RegisterSnapshot, RegisterCompare,
// RegisterReleases).
//
// On SIGTERM or SIGINT it stops polling at once and lets running activities
// finish for up to --drain. What is still running then is stopped and
// reported to the server as a retryable failure before the process exits,
// so Temporal hands it to another worker straight away (after the retry
// policy's first interval, a second) instead of waiting for a timeout.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/distroscope/distroscope/activities"
	"github.com/distroscope/distroscope/analysis/crossmap"
	"github.com/distroscope/distroscope/internal/app"
	"github.com/distroscope/distroscope/internal/config"
	"github.com/distroscope/distroscope/internal/sandbox"
	"github.com/distroscope/distroscope/internal/temporalclient"
	"github.com/distroscope/distroscope/internal/version"
	"github.com/distroscope/distroscope/telemetry"
	"github.com/distroscope/distroscope/workflows"
)

func main() {
	// The image probe's sandbox re-executes this binary as its init.
	sandbox.Init()
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "distroscope-worker:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("distroscope-worker", flag.ContinueOnError)
	showVersion := fs.Bool("version", false, "print the version and exit")
	concurrency := fs.Int("activities", 2, "activities run at once (each ingest holds ~50 MB and one core)")
	drain := fs.Duration("drain", 30*time.Second, "on SIGTERM, how long running activities may take to finish")
	// 85 MiB of Go heap and ~45 MB of binary and runtime keep the worker
	// within its 150 MB target on any index: under GOGC=400 the heap grows
	// to the limit during an ingest, so the limit, not the live data, sets
	// the peak. At 100 MiB decompression bombs and 480 KB Depends lines
	// peaked at 146–156 MB; at 85 they peak at 121–134 MB, and the sid
	// benchmark's ingest takes about as long (bench/hostile, bench/snapshot).
	memLimit := fs.Int64("memory-limit-mib", 85, "soft Go heap limit in MiB (GOMEMLIMIT overrides; 0 = none)")
	cfg, err := config.Load(fs, args, os.Getenv)
	if err != nil {
		return err
	}
	if *showVersion {
		fmt.Println(version.String())
		return nil
	}
	heap := app.TuneGC(*memLimit << 20)
	metrics := telemetry.NewMetrics()
	logger, flush, err := app.Logger(cfg, "worker", os.Stdout, metrics)
	if err != nil {
		return err
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = flush(ctx)
	}()

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	go func() {
		if err := telemetry.Serve(ctx, cfg.MetricsAddr, metrics); err != nil {
			logger.Error("metrics endpoint failed", "addr", cfg.MetricsAddr, "err", err)
		}
	}()

	st, err := app.OpenStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer app.CloseStore(st)
	c, err := temporalclient.Dial(cfg.Temporal, logger, metrics.TemporalHandler())
	if err != nil {
		return err
	}
	defer c.Close()

	rules, err := loadRules(cfg.CompareRules)
	if err != nil {
		return err
	}
	producer := version.String()

	w := newWorker(c, cfg.Temporal.TaskQueue, *concurrency, *drain)
	workflows.RegisterSnapshot(w, &activities.Snapshot{Store: st, Fetcher: app.Fetcher(cfg), TempDir: cfg.TempDir,
		MaxUncompressed: cfg.Fetch.MaxUncompressedMiB << 20, Metrics: metrics, Producer: producer})
	workflows.RegisterCompare(w, &activities.Compare{Store: st, TempDir: cfg.TempDir, Producer: producer, Rules: rules, Heap: heap})
	workflows.RegisterReleases(w, &activities.Releases{Store: st})
	workflows.RegisterNightly(w, &activities.Nightly{Store: st, Client: c, Metrics: metrics})
	workflows.RegisterBackfill(w)
	workflows.RegisterTrends(w, &activities.Trends{Store: st, TempDir: cfg.TempDir, Producer: producer, Rules: rules, Heap: heap})
	workflows.RegisterRetention(w, &activities.Retention{Store: st})
	workflows.RegisterImage(w, &activities.Image{Store: st, TempDir: cfg.TempDir, Producer: producer, Rules: rules})

	logger.Info("worker starting", "version", version.Short(), "task_queue", cfg.Temporal.TaskQueue,
		"temporal", cfg.Temporal.Address, "namespace", cfg.Temporal.Namespace, "store", st.String())
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	<-ctx.Done()
	logger.Info("draining: no new tasks; running activities may finish", "drain", drain.String())
	w.Stop()
	logger.Info("worker stopped", "loki_dropped", metrics.LokiDropped())
	return nil
}

// reportGrace is how long activities stopped at the end of the drain have
// to return and report their failure: they end with their context (a
// request or a store call cut short), then the SDK sends one RPC.
const reportGrace = 5 * time.Second

// drainingWorker is a worker whose Stop hands back what it cannot finish.
type drainingWorker struct {
	worker.Worker
	drain          time.Duration
	stopActivities context.CancelCauseFunc
}

// newWorker makes the task queue's worker: at most concurrency activities
// at once, heartbeats forwarded every workflows.HeartbeatThrottle (the
// heartbeat timeouts are sized for it), and a Stop that drains for drain.
func newWorker(c client.Client, queue string, concurrency int, drain time.Duration) *drainingWorker {
	// Activities run under a context Stop ends itself when the drain is over.
	ctx, stop := context.WithCancelCause(context.Background())
	w := worker.New(c, queue, worker.Options{
		MaxConcurrentActivityExecutionSize: concurrency,
		BackgroundActivityContext:          ctx,
		WorkerStopTimeout:                  drain + reportGrace,
		MaxHeartbeatThrottleInterval:       workflows.HeartbeatThrottle,
	})
	return &drainingWorker{Worker: w, drain: drain, stopActivities: stop}
}

// Stop stops polling at once, lets running activities finish for the
// drain, then ends what is still running and waits (up to reportGrace)
// until it has reported to the server. The client may be closed after.
//
// Why not the SDK's WorkerStopTimeout alone: when it runs out, the SDK
// cancels the activities' context and returns from Stop without waiting
// for them, so the process exits — closing the client — before an activity
// that takes a moment to unwind has reported, and the server then waits
// for its heartbeat (or start-to-close) timeout before retrying it
// elsewhere. Ended here first, while Stop still waits for task processing
// (which includes the report), they fail as activities.ErrTypeInterrupted,
// which is retried at once.
func (w *drainingWorker) Stop() {
	over := time.AfterFunc(w.drain, func() {
		w.stopActivities(fmt.Errorf("worker stopping, its %s drain is over", w.drain))
	})
	defer over.Stop()
	w.Worker.Stop()
	w.stopActivities(nil)
}

// loadRules reads the user's cross-distro mapping rules over the defaults.
func loadRules(path string) (*crossmap.Rules, error) {
	if path == "" {
		return crossmap.DefaultRules(), nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("compare rules: %w", err)
	}
	defer f.Close()
	return crossmap.LoadRules(f, path)
}
