// Command trends-bench measures updating a release's trends for one new
// snapshot over a year of daily history (`go tool task bench:trends`,
// issue 11), against the compare activity's work in the same run.
//
// Inputs, all real-size:
//
//   - Debian bookworm and trixie main/amd64 (~63k and ~69k packages), as
//     bench/compare takes them (internal/aptmirror: the machine's apt
//     mirror, InRelease verified, ingested with the worker's own code;
//     cached under .cache/bench/compare, shared with that bench);
//   - Debian sid main/amd64 (~77k packages), taken the same way, cached
//     under .cache/bench/trends/sid;
//   - a synthetic year of sid: the real index is day 366, and days 365
//     back to 1 are made by walking back from it one day at a time,
//     undoing a day's uploads (history.go says the rates and why),
//     seeded, so the same seed makes the same year. Each day is committed
//     as a real snapshot (packages and snapshots partitions, its Release
//     signed by a bench key the trends trust) into a folder store, with one
//     peer distribution's snapshot (sid with a tenth of its sources at a
//     newer upstream version) for the lag, and the trends states of days
//     1..365 computed with trends.Storage Plan/Apply. The store is cached
//     under .cache/bench/trends/store (rebuilt when the generator, seed,
//     length or sid index change; a cold build takes many minutes).
//
// Measured, alternating, each repetition in a fresh child process of this
// binary with the worker's GC settings, which reports its own peak RSS
// (VmHWM) and runs the work twice — cold (a fresh process) and warm (as
// in the worker, a long-running process); the targets are judged on the
// warm medians:
//
//   - the compare activity's work for bookworm → trixie, what
//     activities.Compare.CompareSnapshots does: the committed check,
//     compare.Storage.LoadBoth (both files checked against their
//     manifests' SHA-256), compare.Compare and compare.Storage.Commit
//     (datasets and report), into a store holding both snapshots, the
//     comparison removed again after each run;
//   - the trends update for the new snapshot (day 366) over the 365 days
//     before it, what the trends activities do: trends.Storage.Plan, which
//     must find that one step, then Apply of it; the state is removed
//     again after each run (trends.Storage.Remove).
//
// Targets (issue 11): trends ≤ 2× compare, trends peak RSS ≤ 300 MB. It
// exits non-zero when one is missed, unless -no-fail.
// BENCH_CPUPROFILE and BENCH_MEMPROFILE, set to a path, profile the
// trends children's runs (the last child's profile is kept).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/distroscope/distroscope/analysis/trends"
	"github.com/distroscope/distroscope/bench/internal/measure"
	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/internal/aptmirror"
	"github.com/distroscope/distroscope/store/localfs"
)

func main() {
	if len(os.Args) > 2 && os.Args[1] == "-child" {
		if err := child(os.Args[2], os.Args[3:]); err != nil {
			fmt.Fprintln(os.Stderr, "bench child:", err)
			os.Exit(1)
		}
		return
	}
	err := run()
	if errors.Is(err, errMissed) {
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

var errMissed = errors.New("a target was missed")

type opts struct {
	cache, compareCache, state, keyring string
	oldSuite, newSuite                  string
	seed                                uint64
	days, runs                          int
	noFail                              bool
}

// Targets (issue 11).
const (
	maxRatio = 2.0
	maxRSS   = 300 << 20
)

func run() error {
	var o opts
	flag.StringVar(&o.cache, "cache", ".cache/bench/trends", "where the sid index and the synthetic year's store are kept")
	flag.StringVar(&o.compareCache, "compare-cache", ".cache/bench/compare", "where bench/compare keeps bookworm and trixie (shared)")
	flag.StringVar(&o.state, "state", ".state/bench-trends", "state folder (the comparison's store, temporary files)")
	flag.StringVar(&o.keyring, "keyring", "/usr/share/keyrings/debian-archive-keyring.gpg", "keyring for the mirror's InRelease")
	flag.StringVar(&o.oldSuite, "old", "bookworm", "the comparison's old suite")
	flag.StringVar(&o.newSuite, "new", "trixie", "the comparison's new suite")
	flag.Uint64Var(&o.seed, "seed", 11, "seed of the synthetic year")
	flag.IntVar(&o.days, "days", 365, "days of history before the new snapshot")
	flag.IntVar(&o.runs, "runs", 5, "repetitions of each measurement (the median is reported)")
	flag.BoolVar(&o.noFail, "no-fail", false, "exit 0 even when a target is missed")
	flag.Parse()
	for _, p := range []*string{&o.cache, &o.compareCache, &o.state} {
		abs, err := filepath.Abs(*p)
		if err != nil {
			return err
		}
		*p = abs
	}
	if o.days < 2 || o.runs < 1 {
		return fmt.Errorf("-days must be at least 2 and -runs at least 1")
	}
	tmp := filepath.Join(o.state, "tmp")
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return err
	}
	ctx := context.Background()

	old, err := aptmirror.Ingest(ctx, o.compareCache, o.oldSuite, o.keyring)
	if err != nil {
		return fmt.Errorf("%s from the machine's apt mirror: %w", o.oldSuite, err)
	}
	nw, err := aptmirror.Ingest(ctx, o.compareCache, o.newSuite, o.keyring)
	if err != nil {
		return fmt.Errorf("%s from the machine's apt mirror: %w", o.newSuite, err)
	}
	sid, err := ingestSid(ctx, o.cache, o.keyring)
	if err != nil {
		return fmt.Errorf("sid from the machine's apt mirror: %w", err)
	}
	fmt.Printf("comparison: %s (%d rows) → %s (%d rows), main/amd64 from the machine's apt mirror\n",
		partName(old.Partition), old.Rows, partName(nw.Partition), nw.Rows)

	h := &history{dir: filepath.Join(o.cache, "store"), sid: sid, days: o.days + 1, seed: o.seed, newest: sid.Partition}
	h.target = trends.Release{Distro: sid.Partition.Distro, Release: sid.Partition.Release, Trust: trust(sid)}
	h.peers = []trends.Release{{Distro: "peer", Release: "rolling", Trust: trust(sid)}}
	if err := h.build(ctx, tmp); err != nil {
		return fmt.Errorf("synthetic year: %w", err)
	}
	describeHistory(h)

	compareStore := filepath.Join(o.state, "compare-store")
	if err := commitBoth(ctx, compareStore, tmp, old, nw); err != nil {
		return err
	}
	spec := trendsSpec{Target: h.target, Peers: h.peers, New: h.newest, TempDir: tmp}
	specJSON, err := json.Marshal(spec)
	if err != nil {
		return err
	}
	if err := removeState(ctx, h.dir, h.newest); err != nil {
		return err
	}

	// Alternating, round by round, so that load from other work on the
	// machine falls on both alike.
	var cmpRuns, trRuns []childResult
	for i := range o.runs {
		c, err := runChild("compare", compareStore, tmp, partName(old.Partition), partName(nw.Partition))
		if err != nil {
			return err
		}
		t, err := runChild("trends", h.dir, string(specJSON))
		if err != nil {
			return err
		}
		cmpRuns, trRuns = append(cmpRuns, c), append(trRuns, t)
		fmt.Printf("  round %d/%d: compare %v (cold %v), trends %v (cold %v)\n", i+1, o.runs,
			c.Times[1].Round(time.Millisecond), c.Times[0].Round(time.Millisecond),
			t.Times[1].Round(time.Millisecond), t.Times[0].Round(time.Millisecond))
	}
	return report(o, cmpRuns, trRuns, h.churn[h.days-1])
}

func partName(p datasets.Partition) string { return p.Distro + "/" + p.Release + "/" + p.Snapshot }

// describeHistory prints what the synthetic year holds.
func describeHistory(h *history) {
	var sum dayChurn
	for _, c := range h.churn[1:] {
		sum.SourcesUpstream += c.SourcesUpstream
		sum.SourcesRevision += c.SourcesRevision
		sum.SourcesDowngraded += c.SourcesDowngraded
		sum.Upgraded += c.Upgraded
		sum.Downgraded += c.Downgraded
		sum.Added += c.Added
		sum.Removed += c.Removed
	}
	n := float64(len(h.churn) - 1)
	fmt.Printf("history: %s/%s, %d daily snapshots %s … %s (synthetic, seed %d), then the real index %s (%d rows)\n",
		h.sid.Partition.Distro, h.sid.Partition.Release, h.days-1, h.dayDate(1).Format(time.DateOnly),
		h.dayDate(h.days-1).Format(time.DateOnly), h.seed, h.newest.Snapshot, h.sid.Sides[0].Rows)
	fmt.Printf("  a day on average: %.0f sources re-versioned (%.0f new upstream, %.0f new revision, %.1f downgraded) = %.0f binary packages; %.1f added, %.1f removed\n",
		float64(sum.SourcesUpstream+sum.SourcesRevision+sum.SourcesDowngraded)/n, float64(sum.SourcesUpstream)/n,
		float64(sum.SourcesRevision)/n, float64(sum.SourcesDowngraded)/n, float64(sum.Upgraded+sum.Downgraded)/n,
		float64(sum.Added)/n, float64(sum.Removed)/n)
}

// runChild runs one child of this binary and decodes its report.
func runChild(kind string, args ...string) (childResult, error) {
	self, err := os.Executable()
	if err != nil {
		return childResult{}, err
	}
	cmd := exec.Command(self, append([]string{"-child", kind}, args...)...)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return childResult{}, fmt.Errorf("%s child: %w", kind, err)
	}
	var r childResult
	if err := json.Unmarshal(out, &r); err != nil {
		return r, fmt.Errorf("%s child output %q: %w", kind, out, err)
	}
	return r, nil
}

// removeState removes the new snapshot's trends state, if a run left it.
func removeState(ctx context.Context, dir string, p datasets.Partition) error {
	st, err := localfs.New(dir)
	if err != nil {
		return err
	}
	defer st.Close()
	return trends.Storage{Store: st}.Remove(ctx, p)
}

// report prints the results and judges the targets.
func report(o opts, cmp, tr []childResult, made dayChurn) error {
	warm := func(rs []childResult, f func(childResult) []time.Duration) time.Duration {
		var ds []time.Duration
		for _, r := range rs {
			ds = append(ds, f(r)[1])
		}
		return measure.Median(ds)
	}
	cold := func(rs []childResult) time.Duration {
		var ds []time.Duration
		for _, r := range rs {
			ds = append(ds, r.Times[0])
		}
		return measure.Median(ds)
	}
	times := func(r childResult) []time.Duration { return r.Times }
	peak := func(rs []childResult) int64 {
		var m int64
		for _, r := range rs {
			m = max(m, r.VmHWM)
		}
		return m
	}
	c, t := warm(cmp, times), warm(tr, times)
	ratio := t.Seconds() / c.Seconds()
	cRSS, tRSS := peak(cmp), peak(tr)
	last := tr[len(tr)-1]

	fmt.Printf("\n%-66s %9s %s\n", "measurement (warm runs, median of "+strconv.Itoa(o.runs)+")", "time", "cold (median)")
	fmt.Printf("%-66s %8.3fs %8.3fs\n", "compare: Committed? + LoadBoth + Compare + Commit, bookworm → trixie", c.Seconds(), cold(cmp).Seconds())
	fmt.Printf("%-66s %8.3fs %8.3fs\n", "trends: Plan + Apply of the new sid snapshot over "+strconv.Itoa(o.days)+" days", t.Seconds(), cold(tr).Seconds())
	fmt.Printf("%-66s %8.3fs\n", "  of which Plan (manifests only)", warm(tr, func(r childResult) []time.Duration { return r.Plan }).Seconds())
	fmt.Printf("%-66s %8.3fs\n", "  of which Apply", warm(tr, func(r childResult) []time.Duration { return r.Apply }).Seconds())
	var missed bool
	verdict := func(ok bool) string {
		if ok {
			return "PASS"
		}
		missed = true
		return "MISSED"
	}
	fmt.Printf("%-66s %8.2f×  ≤ %.1f× %s\n", "ratio trends / compare", ratio, maxRatio, verdict(ratio <= maxRatio))
	fmt.Printf("%-66s %7.1fMB\n", "compare child peak RSS (VmHWM, largest of the runs)", float64(cRSS)/(1<<20))
	fmt.Printf("%-66s %7.1fMB  ≤ %d MB %s\n", "trends child peak RSS (VmHWM, largest of the runs)", float64(tRSS)/(1<<20), maxRSS>>20,
		verdict(tRSS <= maxRSS))
	fmt.Printf("\nhistory rows: %d as of day %d (state read), %d as of the new snapshot (state written); lag rows %d\n",
		last.PreviousHistoryRows, o.days, last.HistoryRows, last.LagRows)
	tw := last.Trend
	fmt.Printf("the new snapshot's trend row: packages %d (binary names %d, sources %d); added %d, removed %d, upgraded %d, downgraded %d; new upstream %d; version age mean %.1f d, median %.1f d, p90 %.1f d; lag: %d sources matched, %d outdated\n",
		tw.Packages, tw.BinaryNames, tw.Sources, tw.Added, tw.Removed, tw.Upgraded, tw.Downgraded, tw.NewUpstream,
		tw.VersionAgeMeanDays, tw.VersionAgeMedianDays, tw.VersionAgeP90Days, tw.LagMatched, tw.LagOutdated)
	fmt.Printf("  the generator made that day: added %d, removed %d, upgraded %d, downgraded %d; %d sources at a new upstream version\n",
		made.Added, made.Removed, made.Upgraded, made.Downgraded, made.SourcesUpstream)
	fmt.Printf("comparison: added %d, removed %d, upgraded %d, downgraded %d\n", cmp[0].Summary.Added, cmp[0].Summary.Removed,
		cmp[0].Summary.Upgraded, cmp[0].Summary.Downgraded)
	fmt.Printf("runs (cold, warm): compare %v; trends %v\n", pairs(cmp), pairs(tr))
	if missed && !o.noFail {
		return errMissed
	}
	return nil
}

func pairs(rs []childResult) []string {
	var out []string
	for _, r := range rs {
		out = append(out, fmt.Sprintf("%v/%v", r.Times[0].Round(time.Millisecond), r.Times[1].Round(time.Millisecond)))
	}
	return slices.Clip(out)
}
