package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/distroscope/distroscope/internal/config"
	"github.com/distroscope/distroscope/repo"
	"github.com/distroscope/distroscope/repo/catalog"
	"github.com/distroscope/distroscope/workflows"
)

const snapshotLong = `Snapshot repository suites into the packages and snapshots datasets: one SnapshotWorkflow per
suite (and per mirror, where a source serves some architectures from another), all followed until
they finish.

With no arguments it snapshots the suites of this machine's first apt source (or those of --suite),
with that source's mirror, components, architectures and Signed-By keyring; a suite the apt sources
do not list comes from the same mirror. With DISTRO[/SUITE] arguments it takes them from the sources
catalogue (see 'distroscope sources ls'); flags then override the catalogue's values.

The workflow ID comes from the business key (mirror, suite, components, architectures) and the run's
identity: its verification policy (the keys of its keyring, by fingerprint, and --allow-unsigned,
--allow-expired), the task queue and the store. A second start of the same key and identity while
one runs attaches to it; a start that verifies differently runs on its own, so a strict start is
never answered by a lax run. A Release that is already committed is reused, not written again. It
exits 1 with the failing step's message and a Temporal UI link when a run fails.

Before starting, it asks the server who polls the task queue: when no worker does, it exits 1
saying so (the queue, the server, the namespace) instead of waiting in silence, and it does the
same while following when every worker has gone (the runs stay queued for a worker started
later). --wait keeps waiting instead; --detach starts the runs anyway, saying that no worker
takes them yet.`

const snapshotExample = `  # the suites of this machine's first apt source
  distroscope snapshot

  # named suites, with explicit components and architectures
  distroscope snapshot --suite bookworm,trixie --components main,contrib --arch amd64,arm64

  # from the sources catalogue
  distroscope snapshot fedora/41 alpine/v3.20

  # start and return at once; follow the runs in the Temporal UI
  distroscope snapshot --detach debian/trixie`

type snapshotFlags struct {
	suites, components, archs, mirror, keyring, compression string
	allowUnsigned, allowExpired, detach, wait               bool
}

func snapshotCommand(c *cli) *cobra.Command {
	var f snapshotFlags
	cmd := &cobra.Command{
		Use:               "snapshot [DISTRO[/SUITE]...]",
		Short:             "Snapshot repository suites into the packages and snapshots datasets",
		Long:              snapshotLong,
		Example:           snapshotExample,
		ValidArgsFunction: c.completeRefs(-1, false, true),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := c.config(cmd)
			if err != nil {
				return err
			}
			sources, err := chooseSources(cfg, args, f, c.stderr)
			if err != nil {
				return usageError{fmt.Errorf("snapshot: %w", err)}
			}
			return c.snapshot(cfg, sources, f.detach, f.wait)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.suites, "suite", "", "suites to snapshot, comma-separated (default: the first apt source's suites; or name DISTRO/SUITE from the catalogue as arguments)")
	fl.StringVar(&f.components, "components", "", "components, comma-separated (default: the apt source's, else main)")
	fl.StringVar(&f.archs, "arch", "", "architectures, comma-separated (default: the apt source's, else this machine's)")
	fl.StringVar(&f.mirror, "mirror", "", "mirror base URL, the part before dists/ (default: from the apt sources)")
	fl.StringVar(&f.keyring, "keyring", "", "keyring files to verify the Release with (default: the apt source's Signed-By)")
	fl.StringVar(&f.compression, "compression", "", "index compressions to try, in order (default zst,gz,xz,bz2,plain)")
	fl.BoolVar(&f.allowUnsigned, "allow-unsigned", false, "accept unsigned or unverifiable Release files")
	fl.BoolVar(&f.allowExpired, "allow-expired", false, "accept a Release past its Valid-Until")
	fl.BoolVar(&f.detach, "detach", false, "start the runs and exit without waiting")
	addWaitFlag(cmd, &f.wait)
	return cmd
}

// chooseSources turns the command line into specs: catalogue references
// when there are arguments, else the machine's apt sources (repo/catalog
// decides both; notes about its choices go to notes).
func chooseSources(cfg config.Config, refs []string, f snapshotFlags, notes io.Writer) ([]repo.Spec, error) {
	o := catalog.Overrides{
		Suites: splitList(f.suites), Components: splitList(f.components), Architectures: splitList(f.archs),
		Mirror: f.mirror, Keyring: splitList(f.keyring), AllowUnsigned: f.allowUnsigned, AllowExpired: f.allowExpired,
	}
	if f.compression != "" {
		var err error
		if o.Compression, err = repo.ParseCompressionOrder(f.compression); err != nil {
			return nil, err
		}
	}
	if len(refs) == 0 {
		specs, ns, err := catalog.FromMachine(cfg.AptRoot, o)
		for _, n := range ns {
			fmt.Fprintln(notes, n)
		}
		return specs, err
	}
	if len(o.Suites) > 0 {
		name, _, _ := strings.Cut(refs[0], "/")
		return nil, fmt.Errorf("give suites in the reference (%s/SUITE) or with --suite, not both", name)
	}
	cat, err := catalog.Load(cfg.CatalogPath(), cfg.AptRoot)
	if err != nil {
		return nil, err
	}
	return cat.Select(refs, cfg.AptRoot, o)
}

func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
}

// snapshot starts one run per source and, unless detached, follows them
// all to the end — unless no worker polls the task queue, and wait is
// false: then it fails before starting them, or stops following them when
// every worker has gone.
func (c *cli) snapshot(cfg config.Config, sources []repo.Spec, detach, wait bool) error {
	tc, err := c.dial(cfg)
	if err != nil {
		return err
	}
	defer tc.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	missing, err := c.requireWorker(ctx, tc, cfg, wait, detach)
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	setSA := searchAttributesRegistered(ctx, tc, cfg.Temporal.Namespace)

	type started struct {
		src   repo.Spec
		run   client.WorkflowRun
		start time.Time
	}
	var runs []started
	for _, src := range sources {
		opts := client.StartWorkflowOptions{
			ID:                       snapshotRunID(cfg, src),
			TaskQueue:                cfg.Temporal.TaskQueue,
			WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
			WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
			WorkflowExecutionTimeout: 24 * time.Hour,
			StaticSummary:            "snapshot " + label(src),
			StaticDetails:            fmt.Sprintf("%s %s, components %s, architectures %s", src.FormatOrApt(), src.Mirror, strings.Join(src.Components, ", "), strings.Join(src.Architectures, ", ")),
		}
		run, err := tc.ExecuteWorkflow(ctx, opts, workflows.SnapshotWorkflowName,
			workflows.SnapshotInput{Source: src, SetSearchAttributes: setSA})
		if err != nil {
			return fmt.Errorf("snapshot %s: start: %w", src.Suite, err)
		}
		fmt.Fprintf(c.stderr, "%s: run %s (%s)\n", label(src), run.GetID(), uiLink(cfg, run.GetID(), run.GetRunID()))
		runs = append(runs, started{src, run, time.Now()})
	}
	if detach {
		return nil
	}

	out := &lockedWriters{stdout: c.stdout, stderr: c.stderr}
	ctx, stopWatching := c.followWorkers(ctx, tc, cfg, wait, missing, out)
	defer stopWatching()
	var (
		failed []string
		wg     sync.WaitGroup
	)
	for _, r := range runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name, link := label(r.src), uiLink(cfg, r.run.GetID(), r.run.GetRunID())
			done := make(chan struct{})
			go follow(ctx, tc, r.run, name, out, done, func(p workflows.SnapshotProgress) string {
				return snapshotProgressLine(name, p, time.Since(r.start))
			})
			var res workflows.SnapshotResult
			err := r.run.Get(ctx, &res)
			close(done)
			out.Lock()
			defer out.Unlock()
			if noWorker(ctx) != nil {
				return // said once, below
			}
			if err != nil {
				failed = append(failed, name)
				fmt.Fprintf(c.stderr, "%s: FAILED after %s: %s\n  see %s\n", name,
					time.Since(r.start).Round(time.Millisecond), rootCause(err), link)
				return
			}
			printSnapshotResult(c.stdout, cfg, name, res, time.Since(r.start), link)
		}()
	}
	wg.Wait()
	if nw := noWorker(ctx); nw != nil {
		return fmt.Errorf("snapshot: %w", leftQueued(nw))
	}
	if len(failed) > 0 {
		return fmt.Errorf("snapshot failed for %s", strings.Join(failed, ", "))
	}
	return nil
}

// runIdentity is what, beside a run's business key, makes it the run a
// start attaches to: its verification policy, the task queue and the store
// (see workflows.RunIdentity).
func runIdentity(cfg config.Config, policy string) workflows.RunIdentity {
	st := storeRoot(cfg)
	if strings.HasPrefix(st, "s3://") {
		st += "@" + cfg.Store.S3Endpoint
	}
	return workflows.RunIdentity{Policy: policy, TaskQueue: cfg.Temporal.TaskQueue, Store: st}
}

// snapshotRunID is the workflow ID of a snapshot of src started with cfg:
// its keys are read here, as the worker will read them, so that the same
// keys under another path are the same run and other keys another.
func snapshotRunID(cfg config.Config, src repo.Spec) string {
	return workflows.SnapshotRunID(src, runIdentity(cfg, catalog.PolicyOf(src).String()))
}

// printSnapshotResult says what a finished run committed — or, for a
// Release committed before, which files it reused.
func printSnapshotResult(w io.Writer, cfg config.Config, suite string, res workflows.SnapshotResult, took time.Duration, link string) {
	state, verb := "committed", "wrote"
	if res.Reused {
		state, verb = "already committed, reused", "reused"
	}
	p := res.Partition
	fmt.Fprintf(w, "%s: %s %s/%s snapshot %s: %d rows from %d indexes, %s of Parquet, in %s\n",
		suite, state, p.Distro, p.Release, p.Snapshot, res.Rows, res.Indexes, humanBytes(res.ParquetSize), took.Round(time.Millisecond))
	for _, k := range res.DataKeys {
		fmt.Fprintf(w, "  %s %s\n", verb, storeLocation(cfg, k))
	}
	fmt.Fprintf(w, "  run %s\n", link)
}

// label names a spec in progress lines: "bookworm", "fedora/40".
func label(s repo.Spec) string {
	if s.Distro != "" {
		return s.Distro + "/" + s.Suite
	}
	return s.Suite
}
