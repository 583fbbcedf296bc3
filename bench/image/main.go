// Command image-bench measures `distroscope image analyze`'s work on a
// real root filesystem against syft cataloging the same tree, side by
// side in one run (`go tool task bench:image`, issue 12).
//
// Input: the Debian bookworm minbase tree the tests build with debootstrap
// (internal/rootfstest, cached under .cache/rootfs/bookworm-minbase; the
// task builds it first), as a directory (dir:) and as an uncompressed
// tarball made of it with GNU tar (file:).
//
// Measured, alternating, each run a fresh process, wall-clock from start
// to exit:
//
//   - syft (`syft scan REF -o syft-json=FILE`, its default catalogers and
//     file digests; SYFT_CHECK_FOR_APP_UPDATE=false, so its own network
//     check does not count);
//   - distroscope's analysis, what the AnalyzeImage activity does before
//     it commits: imageref.Open and image.Analyze — packages, every owned
//     file's state against its package and the /etc inventory — in a child
//     of this binary that reports its peak RSS (VmHWM).
//
// With -tree-b (the trixie tree; the task passes it), it then times
// `image compare` of the two trees (compare.go): what ImageCompareWorkflow's
// activities do, in one child process — both analyses at once, the diff,
// its commit and its report — from cold (an empty store) and with both
// analyses reused (a store holding them), alternating with syft
// cataloging both trees.
//
// Targets (issue 12): dir: ≤ 0.15× syft, file: ≤ 0.25× syft, peak RSS ≤
// 200 MB; (issue 13) compare's peak RSS ≤ 250 MB. It exits non-zero when
// one is missed, unless -no-fail. The package counts of both tools are
// printed beside the times.
// BENCH_CPUPROFILE, set to a path, profiles distroscope's children (the
// last child's profile is kept).
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
	"time"

	"github.com/distroscope/distroscope/analysis/image"
	"github.com/distroscope/distroscope/bench/internal/measure"
	"github.com/distroscope/distroscope/internal/imageref"
)

// Targets of issue 12.
const (
	dirTarget  = 0.15
	fileTarget = 0.25
	rssTarget  = 200 << 20
)

type childResult struct {
	Packages int   `json:"packages"`
	Files    int   `json:"files"`
	VmHWM    int64 `json:"vmhwm"`
}

func main() {
	tree := flag.String("tree", ".cache/rootfs/bookworm-minbase", "the root filesystem to analyse")
	syft := flag.String("syft", ".tools/bin/syft", "the syft binary")
	runs := flag.Int("runs", 3, "runs of each, alternating")
	noFail := flag.Bool("no-fail", false, "exit 0 even when a target is missed")
	treeB := flag.String("tree-b", "", "a second root filesystem: also time image compare of -tree with it")
	child := flag.String("child", "", "internal: analyse this reference and print a JSON result")
	compareChild := flag.Bool("compare-child", false, "internal: compare -a with -b through the store -store and print a JSON result")
	storeDir := flag.String("store", "", "internal: the store of -compare-child")
	refA := flag.String("a", "", "internal: -compare-child's image A")
	refB := flag.String("b", "", "internal: -compare-child's image B")
	flag.Parse()
	if *compareChild {
		if err := runCompareChild(*storeDir, *refA, *refB); err != nil {
			fmt.Fprintln(os.Stderr, "image-bench compare child:", err)
			os.Exit(1)
		}
		return
	}
	if *child != "" {
		if err := runChild(*child); err != nil {
			fmt.Fprintln(os.Stderr, "image-bench child:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(*tree, *treeB, *syft, *runs, *noFail); err != nil {
		fmt.Fprintln(os.Stderr, "image-bench:", err)
		os.Exit(1)
	}
}

func runChild(ref string) error {
	stopProfile, err := measure.CPUProfile()
	if err != nil {
		return err
	}
	defer stopProfile()
	r, err := imageref.Parse(ref)
	if err != nil {
		return err
	}
	ctx := context.Background()
	img, err := imageref.Open(ctx, r, imageref.Options{})
	if err != nil {
		return err
	}
	defer img.Close()
	res, err := image.Analyze(ctx, img, image.Options{})
	if err != nil {
		return err
	}
	rss, err := measure.PeakRSS("self")
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(childResult{Packages: len(res.Packages), Files: len(res.Files), VmHWM: rss})
}

type side struct {
	name, ref string
	target    float64
	syft      []time.Duration
	ours      []time.Duration
	rss       int64
	ourPkgs   int
	syftPkgs  int
}

func run(tree, treeB, syft string, runs int, noFail bool) error {
	if _, err := os.Stat(filepath.Join(tree, "var/lib/dpkg/status")); err != nil {
		return fmt.Errorf("no root filesystem at %s (go tool task bench:image builds it): %w", tree, err)
	}
	if _, err := os.Stat(syft); err != nil {
		return fmt.Errorf("no syft at %s (go tool task tools:syft installs it): %w", syft, err)
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "image-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	tarball := filepath.Join(tmp, "rootfs.tar")
	if out, err := exec.Command("tar", "-C", tree, "-cf", tarball, ".").CombinedOutput(); err != nil {
		return fmt.Errorf("tar: %v: %s", err, out)
	}
	absTree, _ := filepath.Abs(tree)
	sides := []*side{{name: "dir:", ref: "dir:" + absTree, target: dirTarget}, {name: "file:", ref: "file:" + tarball, target: fileTarget}}
	syftOut := filepath.Join(tmp, "syft.json")
	for i := 0; i < runs; i++ {
		for _, s := range sides {
			d, err := timed(exec.Command(syft, "scan", s.ref, "-q", "-o", "syft-json="+syftOut))
			if err != nil {
				return fmt.Errorf("syft %s: %w", s.ref, err)
			}
			s.syft = append(s.syft, d)
			if s.syftPkgs, err = syftPackages(syftOut); err != nil {
				return err
			}
			cmd := exec.Command(self, "-child", s.ref)
			var res childResult
			d, err = timedJSON(cmd, &res)
			if err != nil {
				return fmt.Errorf("distroscope %s: %w", s.ref, err)
			}
			s.ours = append(s.ours, d)
			s.rss, s.ourPkgs = max(s.rss, res.VmHWM), res.Packages
			fmt.Printf("run %d %-6s syft %7.2f s   distroscope %6.3f s\n", i+1, s.name, s.syft[i].Seconds(), d.Seconds())
		}
	}
	fmt.Printf("\n%s, %d runs each, medians\n", tree, runs)
	fmt.Printf("%-6s %10s %13s %8s %8s %12s %14s\n", "input", "syft", "distroscope", "ratio", "target", "peak RSS", "packages s/d")
	failed := false
	for _, s := range sides {
		sy, ou := measure.Median(s.syft), measure.Median(s.ours)
		ratio := ou.Seconds() / sy.Seconds()
		ok := ratio <= s.target && s.rss <= rssTarget
		failed = failed || !ok
		mark := "ok"
		if !ok {
			mark = "MISSED"
		}
		fmt.Printf("%-6s %9.2fs %12.3fs %8.3f %8.2f %9d MB %7d/%d  %s\n", s.name, sy.Seconds(), ou.Seconds(), ratio, s.target, s.rss>>20, s.syftPkgs, s.ourPkgs, mark)
	}
	fmt.Printf("targets: dir: ≤ %.2f× syft, file: ≤ %.2f× syft, peak RSS ≤ %d MB\n", dirTarget, fileTarget, rssTarget>>20)
	if treeB != "" {
		absB, _ := filepath.Abs(treeB)
		fmt.Println()
		missed, err := benchCompare(self, syft, absTree, absB, runs, tmp)
		if err != nil {
			return err
		}
		failed = failed || missed
	}
	if failed && !noFail {
		return errors.New("a target was missed")
	}
	return nil
}

func timed(cmd *exec.Cmd) (time.Duration, error) {
	cmd.Env = append(os.Environ(), "SYFT_CHECK_FOR_APP_UPDATE=false")
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("%v: %s", err, out)
	}
	return time.Since(start), nil
}

func timedJSON(cmd *exec.Cmd, v any) (time.Duration, error) {
	cmd.Stderr = os.Stderr
	start := time.Now()
	out, err := cmd.Output()
	d := time.Since(start)
	if err != nil {
		return 0, err
	}
	return d, json.Unmarshal(out, v)
}

// syftPackages counts the installed packages of a syft-json document:
// those its dpkg database cataloger found. syft also catalogs the .deb
// files debootstrap leaves in /var/cache/apt/archives, a second entry
// for each package.
func syftPackages(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	var doc struct {
		Artifacts []struct {
			Type    string `json:"type"`
			FoundBy string `json:"foundBy"`
		} `json:"artifacts"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return 0, fmt.Errorf("syft output: %w", err)
	}
	n := 0
	for _, a := range doc.Artifacts {
		if a.Type == "deb" && a.FoundBy == "dpkg-db-cataloger" {
			n++
		}
	}
	return n, nil
}
