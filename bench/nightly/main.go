// Command nightly-bench measures a nightly run at scale (`go tool task
// bench:nightly`, issue 10).
//
// It generates synthetic repositories in all four formats (bench/nightly/synth:
// by default 105 sources, about 2.5 million package rows, cached under
// .cache/bench-nightly), serves them on 127.0.0.1, and runs the tree's plan —
// every suite snapshotted, each source's suites compared in order, some
// pairs across distributions — twice, in one run of this program:
//
//   - in-process, without Temporal: the same activity code the worker runs
//     (ResolveRelease, IngestIndex, CommitSnapshot, CompareSnapshots), called
//     through the SDK's test activity environment — no server, no workflows,
//     no task queue — with the nightly's scheduling: at most -window
//     snapshots and comparisons in flight, a comparison started as soon as
//     both its snapshots are committed, and at most -activities activities
//     running at once, as the worker's slots allow;
//   - through Temporal: `distroscope nightly run --detach` of the same plan
//     against its own dev server and the real worker binary
//     (bin/distroscope-worker, its default of 2 activity slots), into a
//     fresh store — started as a Schedule starts it, with no command
//     following it; its time is the nightly's own, from its start to its
//     close as the server records them. The CPU time of the worker, the
//     dev server and this process is printed beside the in-process run's:
//     on one machine the server's work takes cores from the worker's.
//
// It prints rows per second per core for each, the orchestration overhead
// (the nightly's wall time against the in-process one; target ≤ 10% more),
// the worker's peak RSS (VmHWM; target ≤ 300 MB), and a projection to
// Repology's scale — 312 repositories, about 10 million package rows — on
// three workers of this machine's size, with the model it uses (target:
// under an hour). Both runs must commit the same snapshots with the same row
// counts, or it fails.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"golang.org/x/sync/errgroup"

	"github.com/distroscope/distroscope/activities"
	"github.com/distroscope/distroscope/analysis/crossmap"
	"github.com/distroscope/distroscope/bench/internal/measure"
	"github.com/distroscope/distroscope/bench/nightly/synth"
	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/internal/app"
	"github.com/distroscope/distroscope/internal/config"
	"github.com/distroscope/distroscope/internal/membudget"
	"github.com/distroscope/distroscope/plan"
	"github.com/distroscope/distroscope/repo/catalog"
	"github.com/distroscope/distroscope/store"
	"github.com/distroscope/distroscope/store/localfs"
	"github.com/distroscope/distroscope/workflows"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type opts struct {
	bin, tools, state, cache string
	gen                      synth.Config
	window, slots            int
	noTemporal               bool
	cpuprofile               string
}

// workerSlots is the worker binary's default number of activity slots
// (distroscope-worker -activities), which the Temporal run uses: the stack
// of bench/internal/measure starts the worker without arguments.
const workerSlots = 2

// Repology's scale, the projection's target.
const (
	repologyRepos = 312
	repologyRows  = 10_000_000
	workers       = 3
)

func run() error {
	var o opts
	o.gen = synth.DefaultConfig()
	flag.StringVar(&o.bin, "bin", "bin", "folder with distroscope and distroscope-worker")
	flag.StringVar(&o.tools, "tools", ".tools/bin", "folder with the temporal binary")
	flag.StringVar(&o.state, "state", ".state/bench-nightly", "state folder (Temporal, worker, stores)")
	flag.StringVar(&o.cache, "cache", ".cache/bench-nightly", "where generated trees are kept")
	flag.Uint64Var(&o.gen.Seed, "seed", o.gen.Seed, "seed of the synthetic repositories")
	flag.IntVar(&o.gen.Sources, "sources", o.gen.Sources, "number of sources (all four formats)")
	flag.Int64Var(&o.gen.Rows, "rows", o.gen.Rows, "about how many package rows all suites hold together")
	flag.IntVar(&o.window, "window", workflows.DefaultWindow, "snapshots and comparisons in flight at once (the plan's concurrency)")
	flag.IntVar(&o.slots, "activities", workerSlots, "activities at once in the in-process run (the Temporal run's worker has its default, 2)")
	flag.BoolVar(&o.noTemporal, "no-temporal", false, "run in-process only")
	flag.StringVar(&o.cpuprofile, "cpuprofile", "", "write a CPU profile of the in-process run here")
	flag.Parse()
	for _, p := range []*string{&o.bin, &o.tools, &o.state, &o.cache} {
		abs, err := filepath.Abs(*p)
		if err != nil {
			return err
		}
		*p = abs
	}
	if err := os.RemoveAll(o.state); err != nil {
		return err
	}
	if err := os.MkdirAll(o.state, 0o755); err != nil {
		return err
	}

	tree, err := synth.Generate(o.cache, o.gen)
	if err != nil {
		return err
	}
	how := fmt.Sprintf("generated in %s", tree.Took.Round(time.Second))
	if tree.Reused {
		how = "reused from the cache"
	}
	fmt.Printf("input: %d sources, %d suites, %d package rows (seed %d; %s: %s)\n",
		len(tree.Sources), tree.Snapshots(), tree.Rows, tree.Config.Seed, how, tree.Dir)
	// The worker's heap limit and GC setting, so that the in-process run
	// works as the worker does.
	heap := app.TuneGC(85 << 20)

	if err := warm(tree.Dir); err != nil {
		return err
	}
	srv, err := synth.Serve(tree.Dir)
	if err != nil {
		return err
	}
	defer srv.Close()
	catPath, planPath := filepath.Join(o.state, "catalog.yaml"), filepath.Join(o.state, "plan.yaml")
	if err := tree.WriteCatalog(catPath, srv.URL); err != nil {
		return err
	}
	planText, err := os.ReadFile(tree.PlanFile())
	if err != nil {
		return err
	}
	planText = fmt.Appendf(planText, "concurrency: %d\n", o.window)
	if err := os.WriteFile(planPath, planText, 0o644); err != nil {
		return err
	}
	g, cat, err := loadPlan(planPath, catPath)
	if err != nil {
		return err
	}
	fmt.Printf("plan: %d snapshots, %d comparisons; %d in flight, %d activities at once; %d cores\n",
		len(g.Snapshots), len(g.Comparisons), o.window, o.slots, runtime.NumCPU())

	if o.cpuprofile != "" {
		f, err := os.Create(o.cpuprofile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	load0, cpu0 := loadAverage(), cpuTime()
	in, err := inProcess(g, cat, o, heap)
	pprof.StopCPUProfile()
	if err != nil {
		return fmt.Errorf("in-process: %w", err)
	}
	in.cpu = cpuTime() - cpu0
	fmt.Printf("in-process: %s (%s of CPU), %d rows snapshotted, %d comparisons, %d activity attempts retried; load average %s → %s\n",
		in.took.Round(time.Millisecond), in.cpu.Round(time.Millisecond), in.rows, len(in.compared), in.retries, load0, loadAverage())

	var tr temporalRun
	if !o.noTemporal {
		load0 := loadAverage()
		if tr, err = throughTemporal(o, planPath, catPath); err != nil {
			return fmt.Errorf("through Temporal: %w", err)
		}
		if err := sameCommits(in, tr.storeDir); err != nil {
			return err
		}
		fmt.Printf("through Temporal: %s (%d runs; starting it took %s); every snapshot and comparison committed as in-process; load average %s → %s\n",
			tr.took.Round(time.Millisecond), tr.runs, tr.cli.Round(time.Millisecond), load0, loadAverage())
	}
	report(o, in, tr)
	return nil
}

// warm reads every file of the tree once, so that both runs find it in
// the page cache and neither pays for the disk.
func warm(dir string) error {
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(io.Discard, f)
		return err
	})
}

// loadPlan reads the plan against the catalogue, as `distroscope nightly
// run` does (with no apt sources of this machine).
func loadPlan(planPath, catPath string) (plan.Graph, *catalog.Catalog, error) {
	cat, err := catalog.Load(catPath, filepath.Dir(catPath))
	if err != nil {
		return plan.Graph{}, nil, err
	}
	f, err := os.Open(planPath)
	if err != nil {
		return plan.Graph{}, nil, err
	}
	defer f.Close()
	p, err := plan.Parse(f, planPath)
	if err != nil {
		return plan.Graph{}, nil, err
	}
	g, err := plan.Resolve(p, cat)
	return g, cat, err
}

// job is one snapshot or comparison of the in-process run, and what it
// took: the wall time its activities held a slot (its work, in
// slot-seconds) and the rows it read.
type job struct {
	name     string
	format   string // a snapshot's
	snapshot bool
	old, new string // a comparison's sides
	work     time.Duration
	rows     int64
}

type inProcessRun struct {
	took      time.Duration
	cpu       time.Duration // the process's CPU time over the run
	retries   int64         // activity attempts failed and tried again
	rows      int64
	snapshots map[string]*job // by SOURCE/SUITE
	compared  []*job
	// partitions are the committed snapshots, by SOURCE/SUITE.
	partitions map[string]datasets.Partition
	committed  map[string]int64 // packages rows by partition name
}

// inProcess runs the plan's snapshots and comparisons with the worker's
// activity code and the nightly's scheduling (workflows.NightlyWorkflow):
// at most window jobs in flight, a comparison first once both its sides
// are committed, else the next snapshot in plan order; and at most slots
// activities at once.
func inProcess(g plan.Graph, cat *catalog.Catalog, o opts, heap *membudget.Budget) (*inProcessRun, error) {
	storeDir := filepath.Join(o.state, "in-process-store")
	tmp := filepath.Join(o.state, "in-process-tmp")
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return nil, err
	}
	st, err := localfs.New(storeDir)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	cfg := config.Default()
	producer := "distroscope bench:nightly"
	a := &acts{
		snap: &activities.Snapshot{Store: st, Fetcher: app.Fetcher(cfg), TempDir: tmp,
			MaxUncompressed: cfg.Fetch.MaxUncompressedMiB << 20, Producer: producer},
		cmp:   &activities.Compare{Store: st, TempDir: tmp, Producer: producer, Rules: crossmap.DefaultRules(), Heap: heap},
		slots: make(chan struct{}, o.slots),
	}
	r := &inProcessRun{snapshots: map[string]*job{}, partitions: map[string]datasets.Partition{}, committed: map[string]int64{}}
	var queue []*job
	for _, n := range g.Snapshots {
		j := &job{name: n.Name, format: n.Entry.Format, snapshot: true}
		r.snapshots[n.Name] = j
		queue = append(queue, j)
	}
	var comparisons []*job
	for _, e := range g.Comparisons {
		comparisons = append(comparisons, &job{name: e.Old + " → " + e.New, old: e.Old, new: e.New})
	}
	done := map[string]bool{}
	// next is NightlyWorkflow's choice: a comparison whose sides are done,
	// else the next snapshot.
	next := func() *job {
		for i, c := range comparisons {
			if c != nil && done[c.old] && done[c.new] {
				comparisons[i] = nil
				return c
			}
		}
		if len(queue) > 0 {
			j := queue[0]
			queue = queue[1:]
			return j
		}
		return nil
	}
	type result struct {
		j   *job
		err error
	}
	// Buffered for every job, so that none is left blocked when a failure
	// ends the run early.
	results := make(chan result, len(queue)+len(comparisons))
	var mu sync.Mutex // guards r.partitions, read by comparisons
	start := time.Now()
	inFlight := 0
	for {
		for inFlight < o.window {
			j := next()
			if j == nil {
				break
			}
			inFlight++
			go func() {
				var err error
				if j.snapshot {
					var p datasets.Partition
					p, err = a.snapshot(cat, j)
					mu.Lock()
					r.partitions[j.name] = p
					mu.Unlock()
				} else {
					mu.Lock()
					old, nw := r.partitions[j.old], r.partitions[j.new]
					mu.Unlock()
					err = a.compare(j, old, nw)
				}
				results <- result{j, err}
			}()
		}
		if inFlight == 0 {
			break
		}
		res := <-results
		inFlight--
		if res.err != nil {
			return nil, fmt.Errorf("%s: %w", res.j.name, res.err)
		}
		done[res.j.name] = true
		if res.j.snapshot {
			r.rows += res.j.rows
		} else {
			r.compared = append(r.compared, res.j)
		}
	}
	r.took = time.Since(start)
	r.retries = a.retries.Load()
	for name, p := range r.partitions {
		r.committed[partName(p)] = r.snapshots[name].rows
	}
	return r, nil
}

// acts runs the worker's activities in-process, each in its own test
// activity environment, at most cap(slots) at once.
type acts struct {
	snap    *activities.Snapshot
	cmp     *activities.Compare
	slots   chan struct{}
	retries atomic.Int64
}

// silent drops the activities' log lines (one per index staged).
var silent = tlog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))

// exec runs one activity in a slot and adds the time it held the slot to
// j's work. A failure that is not marked non-retryable is tried again, up
// to maxAttempts in all, as the worker's retry policies would (the
// attempt's delay aside), and counted.
func (a *acts) exec(j *job, fn any, in any, out any) error {
	a.slots <- struct{}{}
	defer func() { <-a.slots }()
	start := time.Now()
	defer func() { a.addWork(j, time.Since(start)) }()
	var err error
	for attempt := 1; ; attempt++ {
		var s testsuite.WorkflowTestSuite
		s.SetLogger(silent)
		env := s.NewTestActivityEnvironment()
		env.RegisterActivity(a.snap)
		env.RegisterActivity(a.cmp)
		var v converter.EncodedValue
		if v, err = env.ExecuteActivity(fn, in); err == nil {
			return v.Get(out)
		}
		var appErr *temporal.ApplicationError
		if attempt == maxAttempts || errors.As(err, &appErr) && appErr.NonRetryable() {
			return err
		}
		a.retries.Add(1)
	}
}

// maxAttempts bounds the in-process run's attempts of one activity.
const maxAttempts = 5

var workMu sync.Mutex

func (a *acts) addWork(j *job, d time.Duration) {
	workMu.Lock()
	j.work += d
	workMu.Unlock()
}

// snapshot is SnapshotWorkflow's sequence: resolve, ingest every index at
// once, commit.
func (a *acts) snapshot(cat *catalog.Catalog, j *job) (datasets.Partition, error) {
	specs, err := cat.Specs(j.name, "")
	if err != nil {
		return datasets.Partition{}, err
	}
	spec := specs[0]
	spec.AptRoot = "/"
	var res activities.ResolveResult
	if err := a.exec(j, a.snap.ResolveRelease, activities.ResolveInput{Source: spec}, &res); err != nil {
		return datasets.Partition{}, err
	}
	rel := res.Resolved
	if res.Committed != nil {
		return rel.Partition, fmt.Errorf("already committed in a fresh store")
	}
	parts := make([]activities.IngestResult, len(rel.Indexes))
	var eg errgroup.Group
	for i, ix := range rel.Indexes {
		eg.Go(func() error {
			return a.exec(j, a.snap.IngestIndex, activities.IngestInput{Format: spec.FormatOrApt(), Partition: rel.Partition, Index: ix}, &parts[i])
		})
	}
	if err := eg.Wait(); err != nil {
		return rel.Partition, err
	}
	var c activities.CommitResult
	if err := a.exec(j, a.snap.CommitSnapshot, activities.CommitInput{Resolved: rel, Parts: parts, WorkflowID: "bench-nightly", RunID: "in-process"}, &c); err != nil {
		return rel.Partition, err
	}
	j.rows = c.Rows
	return rel.Partition, nil
}

func (a *acts) compare(j *job, old, nw datasets.Partition) error {
	var res activities.CompareResult
	if err := a.exec(j, a.cmp.CompareSnapshots, activities.CompareInput{Old: old, New: nw, WorkflowID: "bench-nightly", RunID: "in-process"}, &res); err != nil {
		return err
	}
	return nil
}

// cpuTime is the CPU time (user + system) this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procCPU is the CPU time (user + system) the processes match picks, by
// their command line and parent, have used: /proc/PID/stat's utime and
// stime, in the kernel's clock ticks (100 a second).
func procCPU(match func(cmdline string, ppid int) bool) time.Duration {
	var total time.Duration
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		pid := d.Name()
		if pid[0] < '0' || pid[0] > '9' {
			continue
		}
		cmdline, err := os.ReadFile("/proc/" + pid + "/cmdline")
		if err != nil || len(cmdline) == 0 {
			continue
		}
		stat, err := os.ReadFile("/proc/" + pid + "/stat")
		if err != nil {
			continue
		}
		// Fields after the command name, which is in parentheses: state,
		// ppid, ..., utime (the 14th field), stime (the 15th).
		f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		if len(f) < 13 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		if !match(strings.ReplaceAll(string(cmdline), "\x00", " "), ppid) {
			continue
		}
		utime, _ := strconv.ParseInt(f[11], 10, 64)
		stime, _ := strconv.ParseInt(f[12], 10, 64)
		total += time.Duration(utime+stime) * (time.Second / 100)
	}
	return total
}

// loadAverage is the machine's one-minute load average: a shared machine's
// other work slows both runs, and says how much.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(data))[0]
}

func partName(p datasets.Partition) string { return p.Distro + "/" + p.Release + "/" + p.Snapshot }

type temporalRun struct {
	// took is the nightly's own wall time, from its first run's start to
	// its last run's close as the server recorded them (continue-as-new
	// makes several runs); cli is what the command that started it took.
	took, cli time.Duration
	runs      int
	rss       int64
	storeDir  string
	// CPU time over the run: the worker's, the dev server's, the
	// command's, and this process's (serving the tree, asking the server
	// whether the nightly ended).
	cpuWorker, cpuServer, cpuCLI, cpuServing time.Duration
}

// throughTemporal runs `distroscope nightly run PLAN` against a fresh dev
// server and worker, timing the command from start to end.
func throughTemporal(o opts, planPath, catPath string) (temporalRun, error) {
	tr := temporalRun{storeDir: filepath.Join(o.state, "temporal-store")}
	state := filepath.Join(o.state, "temporal")
	if err := os.MkdirAll(state, 0o755); err != nil {
		return tr, err
	}
	stack, err := measure.StartStack(measure.StackConfig{Bin: o.bin, Tools: o.tools, State: state,
		Queue: "bench-nightly", StoreDir: tr.storeDir, LogLevel: "warn"})
	if err != nil {
		return tr, err
	}
	defer stack.Stop()
	logPath := filepath.Join(o.state, "nightly-run.log")
	out, err := os.Create(logPath)
	if err != nil {
		return tr, err
	}
	defer out.Close()
	// Started detached, as a Schedule starts it: no command follows it,
	// querying its progress, while it runs; the server says when it ended.
	cmd := exec.Command(filepath.Join(o.bin, "distroscope"), "nightly", "run", "--detach", planPath)
	cmd.Env = append(stack.Env, "DISTROSCOPE_CATALOG="+catPath)
	cmd.Stdout, cmd.Stderr = out, out
	cpu0 := cpuTime()
	start := time.Now()
	err = cmd.Run()
	tr.cli = time.Since(start)
	if cmd.ProcessState != nil {
		tr.cpuCLI = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	if err == nil {
		tr.took, tr.runs, err = nightlySpan(stack.Env)
	}
	tr.cpuServing = cpuTime() - cpu0
	tr.cpuWorker = procCPU(func(cmdline string, ppid int) bool {
		return ppid == os.Getpid() && strings.HasSuffix(strings.Fields(cmdline)[0], "distroscope-worker")
	})
	tr.cpuServer = procCPU(func(cmdline string, _ int) bool {
		return strings.Contains(cmdline, "start-dev") && strings.Contains(cmdline, state)
	})
	if err != nil {
		tail, _ := os.ReadFile(logPath)
		if len(tail) > 4000 {
			tail = tail[len(tail)-4000:]
		}
		return tr, fmt.Errorf("distroscope nightly run: %v (log %s):\n%s", err, logPath, tail)
	}
	tr.rss, err = stack.WorkerPeakRSS()
	return tr, err
}

// nightlySpan waits until the nightly's runs are closed and asks the
// server when it started and ended: the first start and the last close of
// its runs. A run that failed fails it.
func nightlySpan(env []string) (time.Duration, int, error) {
	addr := ""
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "TEMPORAL_ADDRESS="); ok {
			addr = v
		}
	}
	c, err := client.Dial(client.Options{HostPort: addr, Logger: silent})
	if err != nil {
		return 0, 0, err
	}
	defer c.Close()
	ctx := context.Background()
	for deadline := time.Now().Add(3 * time.Hour); time.Now().Before(deadline); time.Sleep(time.Second) {
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Query: "WorkflowType = '" + workflows.NightlyWorkflowName + "'"})
		if err != nil {
			return 0, 0, err
		}
		var first, last time.Time
		closed := len(resp.Executions) > 0
		for _, e := range resp.Executions {
			if e.CloseTime == nil {
				closed = false
				break
			}
			if st := e.Status; st != enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED && st != enumspb.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW {
				return 0, 0, fmt.Errorf("the nightly %s ended %s", e.Execution.GetWorkflowId(), st)
			}
			if st := e.StartTime.AsTime(); first.IsZero() || st.Before(first) {
				first = st
			}
			if ct := e.CloseTime.AsTime(); ct.After(last) {
				last = ct
			}
		}
		if closed {
			return last.Sub(first), len(resp.Executions), nil
		}
	}
	return 0, 0, fmt.Errorf("the nightly did not end within 3 hours")
}

// sameCommits checks that the Temporal run committed every snapshot the
// in-process run did, with the same rows: the two runs did the same work.
func sameCommits(in *inProcessRun, storeDir string) error {
	st, err := localfs.New(storeDir)
	if err != nil {
		return err
	}
	defer st.Close()
	ctx := context.Background()
	var missing []string
	for name, p := range in.partitions {
		m, ok, err := datasets.Committed(ctx, st, datasets.Packages, p)
		if err != nil {
			return err
		}
		if !ok || m.Rows != in.committed[partName(p)] {
			missing = append(missing, fmt.Sprintf("%s (%s: committed %v, %d rows; in-process %d)", name, partName(p), ok, m.Rows, in.committed[partName(p)]))
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("the Temporal run did not commit what the in-process run did: %s", strings.Join(missing, "; "))
	}
	return comparisonsCommitted(ctx, st, in)
}

// comparisonsCommitted checks every comparison of the in-process run is
// committed in st too.
func comparisonsCommitted(ctx context.Context, st store.Store, in *inProcessRun) error {
	for _, c := range in.compared {
		p := datasets.ComparePartition(in.partitions[c.old], in.partitions[c.new])
		if _, ok, err := datasets.Committed(ctx, st, datasets.CompareSummaries, p); err != nil || !ok {
			return fmt.Errorf("the Temporal run did not commit the comparison %s (%v)", c.name, err)
		}
	}
	return nil
}

// fit is the least-squares line work = fixed + perRow × rows; clamped
// says the fitted fixed part was negative, and is taken as 0.
type fit struct {
	fixed, perRow float64
	clamped       bool
}

// lost notes a fixed part the fit could not tell from noise.
func lost(f fit) string {
	if f.clamped {
		return " (the fitted fixed part was below 0: lost in the noise of the per-row part)"
	}
	return ""
}

func fitLine(jobs []*job, rowsOf func(*job) float64) fit {
	var n, sx, sy, sxx, sxy float64
	for _, j := range jobs {
		x, y := rowsOf(j), j.work.Seconds()
		n++
		sx, sy, sxx, sxy = sx+x, sy+y, sxx+x*x, sxy+x*y
	}
	den := n*sxx - sx*sx
	if n < 2 || den == 0 {
		return fit{perRow: sy / math.Max(sx, 1)}
	}
	b := (n*sxy - sx*sy) / den
	a := (sy - b*sx) / n
	return fit{fixed: math.Max(0, a), perRow: b, clamped: a < 0}
}

func report(o opts, in *inProcessRun, tr temporalRun) {
	cores := float64(runtime.NumCPU())
	verdict := func(ok bool) string {
		if ok {
			return "met"
		}
		return "MISSED"
	}
	fmt.Println()
	fmt.Printf("%-46s %12s %14s\n", "", "wall", "rows/s/core")
	line := func(name string, d time.Duration) {
		fmt.Printf("%-46s %11.1fs %14.0f\n", name, d.Seconds(), float64(in.rows)/d.Seconds()/cores)
	}
	line("in-process (activities, no Temporal)", in.took)
	fmt.Printf("%-46s %11.1fs %14.0f  (rows per CPU-second)\n", "  its CPU time", in.cpu.Seconds(), float64(in.rows)/in.cpu.Seconds())
	overhead := 0.0 // unmeasured with -no-temporal
	if !o.noTemporal {
		line("distroscope nightly run (Temporal + worker)", tr.took)
		overhead = tr.took.Seconds()/in.took.Seconds() - 1
		fmt.Printf("%-46s %+11.1f%% %14s ≤ +10%% %s\n", "orchestration overhead", 100*overhead, "", verdict(overhead <= 0.10))
		fmt.Printf("%-46s %10.1fMB %14s ≤ 300 MB %s\n", "worker peak RSS (VmHWM)", float64(tr.rss)/(1<<20), "", verdict(tr.rss <= 300<<20))
		fmt.Printf("CPU time of the Temporal run: worker %.1fs, dev server %.1fs, the command %.1fs, serving the tree %.1fs (in-process: %.1fs in all)\n",
			tr.cpuWorker.Seconds(), tr.cpuServer.Seconds(), tr.cpuCLI.Seconds(), tr.cpuServing.Seconds(), in.cpu.Seconds())
	}

	// The model: a job's work is a fixed part and a part per row, fitted
	// over this run's jobs by the time their activities held a slot, and
	// scaled to the CPU time the run used (on a quiet machine the two
	// agree; on a busy one a slot also waits for a core). Repology's
	// night is one snapshot of each repository and one comparison of it
	// with the night before (both sides' rows read), on three workers of
	// this machine's cores, slowed by the overhead just measured.
	var snaps []*job
	var slotTime time.Duration
	for _, j := range in.snapshots {
		snaps = append(snaps, j)
		slotTime += j.work
	}
	for _, j := range in.compared {
		slotTime += j.work
	}
	k := in.cpu.Seconds() / slotTime.Seconds()
	fs := fitLine(snaps, func(j *job) float64 { return float64(j.rows) })
	fc := fitLine(in.compared, func(j *job) float64 {
		return float64(in.snapshots[j.old].rows + in.snapshots[j.new].rows)
	})
	fs.fixed, fs.perRow, fc.fixed, fc.perRow = fs.fixed*k, fs.perRow*k, fc.fixed*k, fc.perRow*k
	fmt.Println()
	fmt.Println("snapshots by format (rows per CPU-second: slot time × k):")
	for _, f := range []string{"apt", "rpm-md", "apk", "alpm"} {
		var rows int64
		var t time.Duration
		n := 0
		for _, j := range snaps {
			if j.format == f {
				rows, t, n = rows+j.rows, t+j.work, n+1
			}
		}
		if n > 0 {
			fmt.Printf("  %-7s %3d snapshots %9d rows %8.0f rows/CPU-s\n", f, n, rows, float64(rows)/(t.Seconds()*k))
		}
	}
	var cmpRows int64
	var cmpTime time.Duration
	for _, j := range in.compared {
		cmpRows += in.snapshots[j.old].rows + in.snapshots[j.new].rows
		cmpTime += j.work
	}
	fmt.Printf("  comparisons: %d, %d rows read, %.0f rows/CPU-s\n", len(in.compared), cmpRows, float64(cmpRows)/(cmpTime.Seconds()*k))
	work := repologyRepos*(fs.fixed+fc.fixed) + repologyRows*fs.perRow + 2*repologyRows*fc.perRow
	proj := time.Duration(work / (workers * cores) * (1 + math.Max(0, overhead)) * float64(time.Second))
	fmt.Println()
	fmt.Printf("model, fitted over this run's %d snapshots and %d comparisons (slot time × %.2f, the CPU time per slot-second it used):\n",
		len(snaps), len(in.compared), k)
	fmt.Printf("  snapshot   = %.3f CPU-s + %.2f µs × rows%s\n", fs.fixed, fs.perRow*1e6, lost(fs))
	fmt.Printf("  comparison = %.3f CPU-s + %.2f µs × (old rows + new rows)%s\n", fc.fixed, fc.perRow*1e6, lost(fc))
	small := snaps[0]
	for _, j := range snaps {
		if j.rows < small.rows {
			small = j
		}
	}
	fmt.Printf("  (beside it, the smallest snapshot, %s: %d rows in %.3f CPU-s)\n", small.name, small.rows, small.work.Seconds()*k)
	fmt.Printf("  Repology's night: %d repositories, %d rows, each snapshotted and compared with the night before:\n", repologyRepos, repologyRows)
	fmt.Printf("  work = %d × (%.3f + %.3f) s + %d × %.2f µs + 2 × %d × %.2f µs = %.0f CPU-seconds\n",
		repologyRepos, fs.fixed, fc.fixed, repologyRows, fs.perRow*1e6, repologyRows, fc.perRow*1e6, work)
	fmt.Printf("  wall = work / (%d workers × %.0f cores) × (1 + overhead %.1f%%) = %s\n", workers, cores, 100*math.Max(0, overhead), proj.Round(time.Second))
	fmt.Printf("%-46s %11.0fm %14s < 60 min %s\n", "projection to Repology's scale", proj.Minutes(), "", verdict(proj < time.Hour))
}
