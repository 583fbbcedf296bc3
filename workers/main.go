// Command distroscope-worker runs distroscope's workflows and activities on
// a Temporal task queue. It shares its configuration with the CLI (see
// internal/config); on SIGTERM or SIGINT it stops polling and lets running
// activities finish for up to --drain before exiting.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/distroscope/distroscope/activities"
	"github.com/distroscope/distroscope/analysis/crossmap"
	"github.com/distroscope/distroscope/internal/app"
	"github.com/distroscope/distroscope/internal/config"
	"github.com/distroscope/distroscope/internal/temporalclient"
	"github.com/distroscope/distroscope/internal/version"
	"github.com/distroscope/distroscope/repo"
	"github.com/distroscope/distroscope/telemetry"
	"github.com/distroscope/distroscope/workflows"
)

func main() {
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
	memLimit := fs.Int64("memory-limit-mib", 100, "soft Go heap limit in MiB (GOMEMLIMIT overrides; 0 = none)")
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

	w := worker.New(c, cfg.Temporal.TaskQueue, worker.Options{
		MaxConcurrentActivityExecutionSize: *concurrency,
		WorkerStopTimeout:                  *drain,
		EnableSessionWorker:                false,
	})
	w.RegisterWorkflowWithOptions(workflows.SnapshotWorkflow, workflow.RegisterOptions{Name: workflows.SnapshotWorkflowName})
	w.RegisterWorkflowWithOptions(workflows.ReleasesWorkflow, workflow.RegisterOptions{Name: workflows.ReleasesWorkflowName})
	w.RegisterActivity(&activities.Releases{Store: st})
	w.RegisterWorkflowWithOptions(workflows.CompareWorkflow, workflow.RegisterOptions{Name: workflows.CompareWorkflowName})
	rules, err := loadRules(cfg.CompareRules)
	if err != nil {
		return err
	}
	w.RegisterActivity(&activities.Compare{Store: st, TempDir: cfg.TempDir, Producer: version.String(), Rules: rules, Heap: heap})
	w.RegisterActivity(&activities.Snapshot{
		Store: st, Fetcher: repo.DefaultFetcher(), TempDir: cfg.TempDir, Metrics: metrics,
		Producer: version.String(),
	})
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
