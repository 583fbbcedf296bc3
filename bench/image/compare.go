package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/distroscope/distroscope/analysis/image"
	"github.com/distroscope/distroscope/analysis/imagecmp"
	"github.com/distroscope/distroscope/analysis/report"
	"github.com/distroscope/distroscope/bench/internal/measure"
	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/internal/imageref"
	"github.com/distroscope/distroscope/store/localfs"
)

// compareRSSTarget is issue 13's bound on `image compare`'s peak RSS.
const compareRSSTarget = 250 << 20

type compareChildResult struct {
	Diffs int   `json:"diffs"`
	VmHWM int64 `json:"vmhwm"`
}

// runCompareChild does what ImageCompareWorkflow's activities do, in one
// process: both analyses at once (AnalyzeImage, each reused when the
// store has it committed), then CompareImages — load both, diff, commit
// image_diffs, render and store the report.
func runCompareChild(storeDir, refA, refB string) error {
	ctx := context.Background()
	st, err := localfs.New(storeDir)
	if err != nil {
		return err
	}
	defer st.Close()
	tmp, err := os.MkdirTemp("", "image-bench-compare-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	ist := image.Storage{Store: st, TempDir: tmp, Producer: "bench"}
	parts := make([]datasets.Partition, 2)
	var g errgroup.Group
	for i, ref := range []string{refA, refB} {
		g.Go(func() error {
			r, err := imageref.Parse(ref)
			if err != nil {
				return err
			}
			img, err := imageref.Open(ctx, r, imageref.Options{})
			if err != nil {
				return err
			}
			defer img.Close()
			res, err := image.Analyze(ctx, img, image.Options{Known: ist.Known})
			if err != nil {
				return err
			}
			parts[i] = res.Partition
			if res.Reused {
				return nil
			}
			return ist.Commit(ctx, res, image.Run{})
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	cst := imagecmp.Storage{Store: st, TempDir: tmp, Producer: "bench"}
	a, err := cst.Load(ctx, parts[0])
	if err != nil {
		return err
	}
	b, err := cst.Load(ctx, parts[1])
	if err != nil {
		return err
	}
	out, err := imagecmp.Diff(a, b, imagecmp.Options{})
	if err != nil {
		return err
	}
	if err := cst.Commit(ctx, &out, imagecmp.Run{}); err != nil {
		return err
	}
	files, err := report.RenderImageCompare(report.ImageData{A: a.Summary, B: b.Summary, Summary: out.Summary, Diffs: out.Diffs,
		AHead: report.ImageHeadlineOf(a.Settings), BHead: report.ImageHeadlineOf(b.Settings)})
	if err != nil {
		return err
	}
	for _, f := range files {
		p := filepath.Join(tmp, "report", f.Name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			return err
		}
	}
	rss, err := measure.PeakRSS("self")
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(compareChildResult{Diffs: len(out.Diffs), VmHWM: rss})
}

// benchCompare times image compare of trees a and b from cold (an empty
// store: both analysed, then diffed) and with both analyses reused (a
// store holding them; the comparison removed before each run so it is
// diffed again), alternating with syft cataloging both trees.
func benchCompare(self, syft, a, b string, runs int, tmp string) (failed bool, err error) {
	refA, refB := "dir:"+a, "dir:"+b
	warm := filepath.Join(tmp, "store-warm")
	if _, err := compareChild(self, warm, refA, refB); err != nil {
		return false, fmt.Errorf("preparing the analyses: %w", err)
	}
	syftOut := filepath.Join(tmp, "syft.json")
	var syftTimes, cold, reused []time.Duration
	var rss int64
	diffs := 0
	for i := 0; i < runs; i++ {
		var both time.Duration
		for _, ref := range []string{refA, refB} {
			d, err := timed(exec.Command(syft, "scan", ref, "-q", "-o", "syft-json="+syftOut))
			if err != nil {
				return false, fmt.Errorf("syft %s: %w", ref, err)
			}
			both += d
		}
		syftTimes = append(syftTimes, both)
		coldStore := filepath.Join(tmp, fmt.Sprintf("store-cold-%d", i))
		d, res, err := timedCompare(self, coldStore, refA, refB)
		if err != nil {
			return false, err
		}
		os.RemoveAll(coldStore)
		cold = append(cold, d)
		rss, diffs = max(rss, res.VmHWM), res.Diffs
		for _, t := range datasets.ImageCompareTables {
			if err := os.RemoveAll(filepath.Join(warm, t.Name)); err != nil {
				return false, err
			}
		}
		d, res, err = timedCompare(self, warm, refA, refB)
		if err != nil {
			return false, err
		}
		reused = append(reused, d)
		rss = max(rss, res.VmHWM)
		fmt.Printf("run %d compare syft (both trees) %7.2f s   distroscope cold %6.3f s, analyses reused %6.3f s\n",
			i+1, both.Seconds(), cold[i].Seconds(), d.Seconds())
	}
	sy := measure.Median(syftTimes)
	fmt.Printf("\nimage compare %s %s, %d runs each, medians (%d differences)\n", a, b, runs, diffs)
	fmt.Printf("%-24s %9.2fs\n", "syft, both trees", sy.Seconds())
	for _, r := range []struct {
		name  string
		times []time.Duration
	}{{"distroscope, cold", cold}, {"distroscope, reused", reused}} {
		m := measure.Median(r.times)
		fmt.Printf("%-24s %9.3fs %6.3f× syft\n", r.name, m.Seconds(), m.Seconds()/sy.Seconds())
	}
	mark := "ok"
	if rss > compareRSSTarget {
		mark, failed = "MISSED", true
	}
	fmt.Printf("peak RSS %d MB (target ≤ %d MB) %s\n", rss>>20, compareRSSTarget>>20, mark)
	return failed, nil
}

func timedCompare(self, storeDir, refA, refB string) (time.Duration, compareChildResult, error) {
	start := time.Now()
	res, err := compareChild(self, storeDir, refA, refB)
	return time.Since(start), res, err
}

func compareChild(self, storeDir, refA, refB string) (compareChildResult, error) {
	var res compareChildResult
	cmd := exec.Command(self, "-compare-child", "-store", storeDir, "-a", refA, "-b", refB)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return res, fmt.Errorf("distroscope image compare: %w", err)
	}
	if err := json.Unmarshal(out, &res); err != nil && !errors.Is(err, io.EOF) {
		return res, err
	}
	return res, nil
}
