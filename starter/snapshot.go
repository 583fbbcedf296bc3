package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/distroscope/distroscope/ecosystem/deb/aptsources"
	"github.com/distroscope/distroscope/internal/config"
	"github.com/distroscope/distroscope/internal/temporalclient"
	"github.com/distroscope/distroscope/repo"
	"github.com/distroscope/distroscope/repo/catalog"
	"github.com/distroscope/distroscope/workflows"
)

func splitList(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		out = append(out, f)
	}
	return out
}

// debianArch maps GOARCH to the Debian architecture name of this machine,
// the default when neither the flag nor the apt source names one.
func debianArch() string {
	switch runtime.GOARCH {
	case "386":
		return "i386"
	case "arm":
		return "armhf"
	case "ppc64le":
		return "ppc64el"
	case "mips64le":
		return "mips64el"
	}
	return runtime.GOARCH
}

type snapshotFlags struct {
	suites, components, archs, mirror, keyring, compression string
	allowUnsigned, allowExpired                             bool
}

// buildSources resolves what to snapshot: flags first, then the machine's
// apt sources (mirror, components, Signed-By) for each suite.
func buildSources(cfg config.Config, f snapshotFlags, notes io.Writer) ([]repo.Spec, error) {
	entries, aptErr := aptsources.Load(cfg.AptRoot)
	suites := splitList(f.suites)
	if len(suites) == 0 {
		if aptErr != nil {
			return nil, fmt.Errorf("no --suite given and the apt sources cannot be read: %w", aptErr)
		}
		if e, _, ok := firstDebEntry(entries); ok {
			suites = e.Suites
		}
		if len(suites) == 0 {
			return nil, fmt.Errorf("no --suite given and no deb entry in the apt sources under %s", cfg.AptRoot)
		}
	}
	var order []repo.Compression
	if f.compression != "" {
		var err error
		if order, err = repo.ParseCompressionOrder(f.compression); err != nil {
			return nil, err
		}
	}
	var out []repo.Spec
	for _, suite := range suites {
		src := repo.Spec{Suite: suite, Mirror: f.mirror, AptRoot: cfg.AptRoot,
			AllowUnsigned: f.allowUnsigned, AllowExpired: f.allowExpired, CompressionOrder: order,
			Components: splitList(f.components), Architectures: splitList(f.archs), SignedBy: splitList(f.keyring)}
		e, uri, found := aptsources.Find(entries, suite)
		if !found && src.Mirror == "" {
			// One archive serves every suite of a distribution: a suite the
			// machine does not use (trixie on a bookworm host) is taken from
			// the mirror, and trusted with the keyring, of the first deb entry.
			e, uri, found = firstDebEntry(entries)
			if !found {
				if aptErr != nil {
					return nil, fmt.Errorf("suite %s: no --mirror given and the apt sources cannot be read: %w", suite, aptErr)
				}
				return nil, fmt.Errorf("suite %s: no deb entry in the apt sources; pass --mirror URL", suite)
			}
			fmt.Fprintf(notes, "%s: not in the apt sources; using the mirror and keyring of %s:%d\n", suite, e.File, e.Line)
			if len(splitList(f.components)) == 0 {
				e.Components = nil // the entry's components belong to its own suites
			}
		}
		if src.Mirror == "" {
			src.Mirror = uri
		}
		if found && strings.TrimRight(uri, "/") == strings.TrimRight(src.Mirror, "/") {
			if len(src.Components) == 0 {
				src.Components = e.Components
			}
			if len(src.Architectures) == 0 {
				src.Architectures = e.Architectures
			}
			if len(src.SignedBy) == 0 {
				for _, p := range e.SignedBy {
					src.SignedBy = append(src.SignedBy, filepath.Join(cfg.AptRoot, p))
				}
				src.SignedByInline = string(e.SignedByInline)
				src.SignedByFingerprints = e.SignedByFingerprints
			}
			src.AllowUnsigned = src.AllowUnsigned || e.Trusted
		}
		if len(src.Components) == 0 {
			src.Components = []string{"main"}
		}
		if len(src.Architectures) == 0 {
			src.Architectures = []string{debianArch()}
		}
		out = append(out, src)
	}
	return out, nil
}

// catalogSources resolves DISTRO[/SUITE] references through the sources
// catalogue; flags given on the command line override the catalogue's values.
func catalogSources(cfg config.Config, refs []string, f snapshotFlags) ([]repo.Spec, error) {
	cat, err := catalog.Load(cfg.CatalogPath(), cfg.AptRoot)
	if err != nil {
		return nil, err
	}
	if f.suites != "" {
		return nil, fmt.Errorf("give suites in the reference (%s/SUITE) or with --suite, not both", refs[0])
	}
	var order []repo.Compression
	if f.compression != "" {
		if order, err = repo.ParseCompressionOrder(f.compression); err != nil {
			return nil, err
		}
	}
	var out []repo.Spec
	for _, ref := range refs {
		specs, err := cat.Specs(ref, debianArch())
		if err != nil {
			return nil, err
		}
		for _, s := range specs {
			if f.mirror != "" {
				s.Mirror = f.mirror
			}
			if c := splitList(f.components); len(c) > 0 {
				s.Components = c
			}
			if a := splitList(f.archs); len(a) > 0 {
				s.Architectures = a
			}
			if k := splitList(f.keyring); len(k) > 0 {
				s.SignedBy = k
			}
			s.AllowUnsigned = s.AllowUnsigned || f.allowUnsigned
			s.AllowExpired = s.AllowExpired || f.allowExpired
			if order != nil {
				s.CompressionOrder = order
			}
			s.AptRoot = cfg.AptRoot
			out = append(out, s)
		}
	}
	return out, nil
}

func firstDebEntry(entries []aptsources.Entry) (aptsources.Entry, string, bool) {
	for _, e := range entries {
		if len(e.URIs) > 0 && containsStr(e.Types, "deb") {
			return e, e.URIs[0], true
		}
	}
	return aptsources.Entry{}, "", false
}

func containsStr(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func cmdSnapshot(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("distroscope snapshot", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f snapshotFlags
	fs.StringVar(&f.suites, "suite", "", "suites to snapshot, comma-separated (default: the first apt source's suites; or name DISTRO/SUITE from the catalogue as arguments)")
	fs.StringVar(&f.components, "components", "", "components, comma-separated (default: the apt source's, else main)")
	fs.StringVar(&f.archs, "arch", "", "architectures, comma-separated (default: the apt source's, else this machine's)")
	fs.StringVar(&f.mirror, "mirror", "", "mirror base URL, the part before dists/ (default: from the apt sources)")
	fs.StringVar(&f.keyring, "keyring", "", "keyring files to verify the Release with (default: the apt source's Signed-By)")
	fs.StringVar(&f.compression, "compression", "", "index compressions to try, in order (default zst,gz,xz,bz2,plain)")
	fs.BoolVar(&f.allowUnsigned, "allow-unsigned", false, "accept unsigned or unverifiable Release files")
	fs.BoolVar(&f.allowExpired, "allow-expired", false, "accept a Release past its Valid-Until")
	detach := fs.Bool("detach", false, "start the runs and exit without waiting")
	cfg, err := config.Load(fs, args, os.Getenv)
	if err != nil {
		return exitError{2, err}
	}
	var sources []repo.Spec
	if fs.NArg() > 0 {
		sources, err = catalogSources(cfg, fs.Args(), f)
	} else {
		sources, err = buildSources(cfg, f, stderr)
	}
	if err != nil {
		return exitError{2, fmt.Errorf("snapshot: %w", err)}
	}
	// The CLI's own Temporal logs would drown the progress lines.
	quiet := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	c, err := temporalclient.Dial(cfg.Temporal, quiet, nil)
	if err != nil {
		return err
	}
	defer c.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	setSA := searchAttributesRegistered(ctx, c, cfg.Temporal.Namespace)

	type started struct {
		src   repo.Spec
		run   client.WorkflowRun
		start time.Time
	}
	var runs []started
	for _, src := range sources {
		opts := client.StartWorkflowOptions{
			ID:                       workflows.SnapshotWorkflowID(src),
			TaskQueue:                cfg.Temporal.TaskQueue,
			WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
			WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
			WorkflowExecutionTimeout: 24 * time.Hour,
		}
		run, err := c.ExecuteWorkflow(ctx, opts, workflows.SnapshotWorkflowName,
			workflows.SnapshotInput{Source: src, SetSearchAttributes: setSA})
		if err != nil {
			return fmt.Errorf("snapshot %s: start: %w", src.Suite, err)
		}
		fmt.Fprintf(stderr, "%s: run %s (%s)\n", label(src), run.GetID(), uiLink(cfg, run.GetID(), run.GetRunID()))
		runs = append(runs, started{src, run, time.Now()})
	}
	if *detach {
		return nil
	}

	var (
		mu     sync.Mutex
		failed []string
		wg     sync.WaitGroup
	)
	for _, r := range runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			done := make(chan struct{})
			go followProgress(ctx, c, label(r.src), r.run, r.start, stderr, &mu, done)
			var res workflows.SnapshotResult
			err := r.run.Get(ctx, &res)
			close(done)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failed = append(failed, label(r.src))
				fmt.Fprintf(stderr, "%s: FAILED after %s: %s\n  see %s\n", label(r.src),
					time.Since(r.start).Round(time.Millisecond), rootCause(err), uiLink(cfg, r.run.GetID(), r.run.GetRunID()))
				return
			}
			printSnapshotResult(stdout, cfg, label(r.src), res, time.Since(r.start), uiLink(cfg, r.run.GetID(), r.run.GetRunID()))
		}()
	}
	wg.Wait()
	if len(failed) > 0 {
		return fmt.Errorf("snapshot failed for %s", strings.Join(failed, ", "))
	}
	return nil
}

func printSnapshotResult(w io.Writer, cfg config.Config, suite string, res workflows.SnapshotResult, took time.Duration, link string) {
	state := "committed"
	if res.Reused {
		state = "already committed, reused"
	}
	p := res.Partition
	fmt.Fprintf(w, "%s: %s %s/%s snapshot %s: %d rows from %d indexes, %s of Parquet, in %s\n",
		suite, state, p.Distro, p.Release, p.Snapshot, res.Rows, res.Indexes, humanBytes(res.ParquetSize), took.Round(time.Millisecond))
	for _, k := range res.DataKeys {
		fmt.Fprintf(w, "  wrote %s\n", storeLocation(cfg, k))
	}
	fmt.Fprintf(w, "  run %s\n", link)
}

// label names a spec in progress lines: "bookworm", "fedora/40 (rpm-md)".
func label(s repo.Spec) string {
	if s.Distro != "" {
		return s.Distro + "/" + s.Suite
	}
	return s.Suite
}

// followProgress prints a line whenever the run's progress query changes.
func followProgress(ctx context.Context, c client.Client, suite string, run client.WorkflowRun, start time.Time, w io.Writer, mu *sync.Mutex, done <-chan struct{}) {
	followQuery(ctx, c, run, done, func(p workflows.SnapshotProgress) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(w, "%s: %-10s %d/%d indexes  %d rows  %s  %s\n", suite, p.Phase, p.IndexesDone, p.IndexesTotal, p.Rows,
			p.Partition, time.Since(start).Round(100*time.Millisecond))
	})
}

// followQuery polls a run's progress query every half second until done
// and calls changed with each answer that differs from the one before.
// A query that fails (the run not yet picked up, a server hiccup) is
// tried again at the next tick: progress lines are a courtesy, not part
// of the result.
func followQuery[P comparable](ctx context.Context, c client.Client, run client.WorkflowRun, done <-chan struct{}, changed func(P)) {
	var last P
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-done:
			return
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		qctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		v, err := c.QueryWorkflow(qctx, run.GetID(), run.GetRunID(), workflows.ProgressQuery)
		cancel()
		if err != nil {
			continue
		}
		var p P
		if v.Get(&p) != nil || p == last {
			continue
		}
		last = p
		changed(p)
	}
}

// searchAttributesRegistered reports whether the namespace knows the
// Distroscope* search attributes; runs only set them when it does.
func searchAttributesRegistered(ctx context.Context, c client.Client, ns string) bool {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	resp, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: ns})
	if err != nil {
		return false
	}
	_, a := resp.GetCustomAttributes()[workflows.SearchAttrDistro]
	_, b := resp.GetCustomAttributes()[workflows.SearchAttrRelease]
	return a && b
}

func uiLink(cfg config.Config, id, runID string) string {
	return fmt.Sprintf("%s/namespaces/%s/workflows/%s/%s/history", strings.TrimRight(cfg.UIURL, "/"),
		url.PathEscape(cfg.Temporal.Namespace), url.PathEscape(id), url.PathEscape(runID))
}

// rootCause finds the application error behind the workflow → activity
// chain and says it the way a person reads it: message and error type.
func rootCause(err error) string {
	var ae *temporal.ApplicationError
	if errors.As(err, &ae) {
		msg := ae.Message()
		if ae.Type() != "" {
			msg += " [" + ae.Type() + "]"
		}
		return msg
	}
	var te *temporal.TimeoutError
	if errors.As(err, &te) {
		return te.Error()
	}
	return err.Error()
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
