// Command snapshot-bench measures a real-size apt snapshot (`go tool task bench`).
//
// It takes Debian sid's main/amd64 index (~77,000 packages, ~65 MB) from the
// apt mirror configured on this machine, caches it under .cache/bench as a
// small mirror tree, and serves that tree on 127.0.0.1. When no mirror is
// reachable it generates an index of the same size and shape instead (and
// says so). In one run it then prints:
//
//   - xz -dc of the same index (the yardstick: only ratios count on a noisy
//     machine);
//   - the ingest work in-process: fetch from the local mirror, verify
//     signature, size and SHA256, decompress, parse, write Parquet, commit;
//   - the whole CLI run through Temporal (`distroscope snapshot` against a
//     running worker and dev server);
//   - the worker's peak RSS (VmHWM).
//
// Targets (issue 2): ingest ≤ 0.5× xz -dc, CLI ≤ 1.0× xz -dc, RSS ≤ 150 MB.
package main

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/distroscope/distroscope/bench/internal/measure"
	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/internal/app"
	"github.com/distroscope/distroscope/internal/aptmirror"
	"github.com/distroscope/distroscope/repo"
	"github.com/distroscope/distroscope/repo/formats"
	"github.com/distroscope/distroscope/store/localfs"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type opts struct {
	bin, tools, state, suite, keyring string
	runs                              int
	cpuprofile                        string
	generate                          bool
}

func run() error {
	var o opts
	flag.StringVar(&o.bin, "bin", "bin", "folder with distroscope and distroscope-worker")
	flag.StringVar(&o.tools, "tools", ".tools/bin", "folder with the temporal binary")
	flag.StringVar(&o.state, "state", ".state/bench", "state folder (Temporal, worker, stores)")
	flag.StringVar(&o.suite, "suite", "sid", "suite to take from the machine's mirror")
	flag.StringVar(&o.keyring, "keyring", "/usr/share/keyrings/debian-archive-keyring.gpg", "keyring for the real mirror's InRelease")
	flag.IntVar(&o.runs, "runs", 3, "repetitions of each measurement (the median is reported)")
	flag.BoolVar(&o.generate, "generate", false, "use a generated index even when a mirror is reachable")
	flag.StringVar(&o.cpuprofile, "cpuprofile", "", "write a CPU profile of the in-process ingest runs here")
	flag.Parse()
	for _, p := range []*string{&o.bin, &o.tools, &o.state} {
		abs, err := filepath.Abs(*p)
		if err != nil {
			return err
		}
		*p = abs
	}
	if err := os.MkdirAll(o.state, 0o755); err != nil {
		return err
	}
	app.TuneGC(100 << 20) // the worker's defaults, so in-process ingest runs as it does there
	cache := filepath.Join(filepath.Dir(filepath.Dir(o.state)), ".cache", "bench")
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return err
	}

	mirrorDir, how, err := prepareMirror(o, cache)
	if err != nil {
		return err
	}
	srv, baseURL, err := serve(mirrorDir)
	if err != nil {
		return err
	}
	defer srv.Close()
	xzPath := filepath.Join(mirrorDir, "dists", o.suite, "main", "binary-amd64", "Packages.xz")
	plainSize, err := xzSize(xzPath)
	if err != nil {
		return err
	}
	fmt.Printf("index: %s main/amd64, %s, %.1f MB uncompressed\n", o.suite, how, float64(plainSize)/1e6)

	src := repo.Spec{Mirror: baseURL, Suite: o.suite, Components: []string{"main"}, Architectures: []string{"amd64"},
		AllowExpired: true}
	if how == "generated" {
		src.AllowUnsigned = true
	} else {
		src.SignedBy = []string{o.keyring}
	}

	// 1. xz -dc, the yardstick.
	xzTimes, err := repeat(o.runs, func() error {
		cmd := exec.Command("xz", "-dc", xzPath)
		cmd.Stdout = io.Discard
		return cmd.Run()
	})
	if err != nil {
		return fmt.Errorf("xz -dc: %w", err)
	}
	xz := measure.Median(xzTimes)

	// 2. Ingest in-process, default compression order, and with xz for reference.
	var rows int64
	ingest := func(order []repo.Compression) (time.Duration, error) {
		ts, err := repeat(o.runs, func() error {
			n, err := ingestOnce(src, order, o.state)
			rows = n
			return err
		})
		if err != nil {
			return 0, err
		}
		return measure.Median(ts), nil
	}
	if o.cpuprofile != "" {
		pf, err := os.Create(o.cpuprofile)
		if err != nil {
			return err
		}
		pprof.StartCPUProfile(pf)
	}
	ingestDefault, err := ingest(nil)
	if o.cpuprofile != "" {
		pprof.StopCPUProfile()
	}
	if err != nil {
		return fmt.Errorf("ingest: %w", err)
	}
	ingestXZ, err := ingest([]repo.Compression{"xz"})
	if err != nil {
		return fmt.Errorf("ingest (xz): %w", err)
	}

	// 3. The whole CLI run through Temporal.
	cli, rss, err := cliRuns(o, src)
	if err != nil {
		return fmt.Errorf("CLI run: %w", err)
	}

	fmt.Printf("\n%-52s %10s %8s %8s\n", "measurement (median of "+strconv.Itoa(o.runs)+")", "time", "ratio", "target")
	line := func(name string, d time.Duration, target float64) {
		ratio := d.Seconds() / xz.Seconds()
		verdict := ""
		if target > 0 {
			verdict = fmt.Sprintf("≤ %.1f×", target)
			if ratio <= target {
				verdict += " met"
			} else {
				verdict += " MISSED"
			}
		}
		fmt.Printf("%-52s %9.3fs %7.2f× %s\n", name, d.Seconds(), ratio, verdict)
	}
	line("xz -dc Packages.xz > /dev/null", xz, 0)
	line("ingest: fetch+verify+decode+parse+write+commit", ingestDefault, 0.5)
	line("ingest, forcing the .xz index", ingestXZ, 0)
	line("distroscope snapshot (CLI → Temporal → worker)", cli, 1.0)
	verdict := "met"
	if rss > 150<<20 {
		verdict = "MISSED"
	}
	fmt.Printf("%-52s %9.1fMB %8s ≤ 150 MB %s\n", "worker peak RSS (VmHWM)", float64(rss)/(1<<20), "", verdict)
	fmt.Printf("rows per snapshot: %d; xz runs %v; ingest runs median %v\n", rows, xzTimes, ingestDefault)
	return nil
}

func repeat(n int, f func() error) ([]time.Duration, error) {
	var out []time.Duration
	for range n {
		start := time.Now()
		if err := f(); err != nil {
			return nil, err
		}
		out = append(out, time.Since(start))
	}
	return out, nil
}

// ingestOnce runs the activities' domain work in-process on a fresh store.
var verbose = os.Getenv("BENCH_VERBOSE") != ""

func ingestOnce(src repo.Spec, order []repo.Compression, state string) (int64, error) {
	ctx := context.Background()
	dir, err := os.MkdirTemp(state, "ingest-store-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	st, err := localfs.New(dir)
	if err != nil {
		return 0, err
	}
	defer st.Close()
	src.CompressionOrder = order
	f := repo.DefaultFetcher()
	t0 := time.Now()
	rel, err := formats.Apt{}.Resolve(ctx, f, src, time.Now())
	if err != nil {
		return 0, err
	}
	t1 := time.Now()
	ix := rel.Indexes[0]
	tmp, err := os.CreateTemp(dir, "part-*.parquet")
	if err != nil {
		return 0, err
	}
	defer tmp.Close()
	res, err := repo.Ingest(ctx, f, ix, formats.Apt{}.Parse, tmp, repo.IngestOptions{})
	if err != nil {
		return 0, err
	}
	t2 := time.Now()
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return 0, err
	}
	key := datasets.StagingKey(datasets.Packages, rel.Partition, "main_amd64")
	if err := st.Put(ctx, key, tmp, res.ParquetBytes); err != nil {
		return 0, err
	}
	t3 := time.Now()
	_, err = datasets.Publish(ctx, st, datasets.PublishInput{Table: datasets.Packages, Partition: rel.Partition,
		Parts: []datasets.StagedPart{{Key: key, Rows: res.Rows}}, TempDir: dir})
	if verbose {
		fmt.Fprintf(os.Stderr, "  ingest phases: resolve %v, stream %v (%s), stage %v, publish %v\n",
			t1.Sub(t0).Round(time.Millisecond), t2.Sub(t1).Round(time.Millisecond), res.Compression,
			t3.Sub(t2).Round(time.Millisecond), time.Since(t3).Round(time.Millisecond))
	}
	return res.Rows, err
}

// cliRuns starts Temporal and a worker, runs the CLI o.runs times on fresh
// stores, and returns the median wall time and the worker's peak RSS.
func cliRuns(o opts, src repo.Spec) (time.Duration, int64, error) {
	storeDir := filepath.Join(o.state, "cli-store")
	os.RemoveAll(storeDir)
	stack, err := measure.StartStack(measure.StackConfig{Bin: o.bin, Tools: o.tools, State: o.state,
		Queue: "bench", StoreDir: storeDir, LogLevel: "warn"})
	if err != nil {
		return 0, 0, err
	}
	defer stack.Stop()

	args := []string{"snapshot", "--mirror", src.Mirror, "--suite", src.Suite, "--components", "main", "--arch", "amd64", "--allow-expired"}
	if src.AllowUnsigned {
		args = append(args, "--allow-unsigned")
	} else {
		args = append(args, "--keyring", strings.Join(src.SignedBy, ","))
	}
	median, err := stack.TimeCLI(args, o.runs, []string{"packages", "snapshots", "_staging"}, ": committed ")
	if err != nil {
		return 0, 0, err
	}
	rss, err := stack.WorkerPeakRSS()
	return median, rss, err
}

func serve(dir string) (*http.Server, string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", err
	}
	srv := &http.Server{Handler: http.FileServer(http.Dir(dir))}
	go srv.Serve(l)
	return srv, "http://" + l.Addr().String(), nil
}

func xzSize(path string) (int64, error) {
	cmd := exec.Command("xz", "-dc", path)
	r, err := cmd.StdoutPipe()
	if err != nil {
		return 0, err
	}
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	n, err := io.Copy(io.Discard, r)
	if err != nil {
		return 0, err
	}
	return n, cmd.Wait()
}

// prepareMirror builds (once) a local mirror tree holding the suite's
// InRelease and its main/amd64 Packages in .xz and .gz, by-hash copies
// included, from the machine's apt mirror — or generates one.
func prepareMirror(o opts, cache string) (string, string, error) {
	real := filepath.Join(cache, "mirror-"+o.suite)
	if !o.generate {
		if _, err := os.Stat(filepath.Join(real, ".complete")); err == nil {
			return real, "from the machine's apt mirror (cached)", nil
		}
		if err := fetchMirror(o, real); err == nil {
			return real, "from the machine's apt mirror", nil
		} else {
			fmt.Fprintf(os.Stderr, "bench: mirror not usable (%v); generating an index of the same size and shape\n", err)
		}
	}
	gen := filepath.Join(cache, "mirror-generated")
	if _, err := os.Stat(filepath.Join(gen, ".complete")); err == nil {
		return gen, "generated", nil
	}
	return gen, "generated", generateMirror(gen, o.suite)
}

func fetchMirror(o opts, dir string) error {
	base, err := aptmirror.URI()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	f := repo.DefaultFetcher()
	dists := filepath.Join(dir, "dists", o.suite)
	inrel, err := f.ReadAll(ctx, base+"/dists/"+o.suite+"/InRelease", 32<<20)
	if err != nil {
		return err
	}
	src := repo.Spec{Mirror: base, Suite: o.suite, Components: []string{"main"}, Architectures: []string{"amd64"},
		SignedBy: []string{o.keyring}, AllowExpired: true}
	for _, c := range []repo.Compression{"xz", "gz"} {
		src.CompressionOrder = []repo.Compression{c}
		rel, err := formats.Apt{}.Resolve(ctx, f, src, time.Now())
		if err != nil {
			return err
		}
		cand := rel.Indexes[0].Candidates[0]
		data, err := f.ReadAll(ctx, cand.URL, 256<<20)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		if hex.EncodeToString(sum[:]) != cand.SHA256 {
			return fmt.Errorf("%s: SHA256 mismatch", cand.URL)
		}
		for _, p := range []string{filepath.Join(dists, cand.Path), filepath.Join(dists, "main", "binary-amd64", "by-hash", "SHA256", cand.SHA256)} {
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(p, data, 0o644); err != nil {
				return err
			}
		}
	}
	if err := os.WriteFile(filepath.Join(dists, "InRelease"), inrel, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, ".complete"), nil, 0o644)
}

// generateMirror writes an unsigned suite whose main/amd64 index has sid's
// size and shape: ~77,000 stanzas, ~65 MB, the same fields in the same
// proportions, names sorted as Debian's are.
func generateMirror(dir, suite string) error {
	dists := filepath.Join(dir, "dists", suite)
	idx := filepath.Join(dists, "main", "binary-amd64")
	if err := os.MkdirAll(idx, 0o755); err != nil {
		return err
	}
	r := rand.New(rand.NewPCG(1, 2))
	words := strings.Fields("lib python3 perl golang rust node ruby data common utils dev doc tools server client core plugin gnome kde qt gtk x11 font theme java php lua ocaml haskell r-cran texlive emacs vim")
	sections := strings.Fields("libs utils python perl golang rust javascript ruby devel doc admin net web x11 fonts java php lua ocaml haskell gnu-r tex editors science math games")
	var names []string
	seen := map[string]bool{}
	for len(names) < 77000 {
		n := words[r.IntN(len(words))] + "-" + words[r.IntN(len(words))] + strconv.Itoa(r.IntN(5000))
		if !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	slices.Sort(names)
	var plain bytes.Buffer
	for _, n := range names {
		ver := fmt.Sprintf("%d.%d.%d-%d", r.IntN(10), r.IntN(30), r.IntN(100), 1+r.IntN(4))
		if r.IntN(10) == 0 {
			ver = "1:" + ver
		}
		arch := "amd64"
		if r.IntN(3) == 0 {
			arch = "all"
		}
		fmt.Fprintf(&plain, "Package: %s\n", n)
		if r.IntN(2) == 0 {
			fmt.Fprintf(&plain, "Source: %s\n", strings.SplitN(n, "-", 2)[1])
		}
		fmt.Fprintf(&plain, "Version: %s\nInstalled-Size: %d\nMaintainer: Debian %s Team <team+%s@example.org>\nArchitecture: %s\n",
			ver, r.IntN(100000), words[r.IntN(len(words))], words[r.IntN(len(words))], arch)
		if r.IntN(4) == 0 {
			fmt.Fprintf(&plain, "Multi-Arch: %s\n", []string{"same", "foreign", "allowed"}[r.IntN(3)])
		}
		var deps []string
		for range r.IntN(8) {
			deps = append(deps, fmt.Sprintf("%s (>= %d.%d)", names[r.IntN(len(names))], r.IntN(10), r.IntN(30)))
		}
		if len(deps) > 0 {
			fmt.Fprintf(&plain, "Depends: %s\n", strings.Join(deps, ", "))
		}
		if r.IntN(3) == 0 {
			fmt.Fprintf(&plain, "Recommends: %s\n", names[r.IntN(len(names))])
		}
		desc := fmt.Sprintf("%s for %s and %s", words[r.IntN(len(words))], words[r.IntN(len(words))], words[r.IntN(len(words))])
		fmt.Fprintf(&plain, "Description: %s\n", desc)
		for range 3 + r.IntN(6) {
			fmt.Fprintf(&plain, " %s %s %s %s %s %s %s %s %s %s %s.\n", words[r.IntN(len(words))], words[r.IntN(len(words))], words[r.IntN(len(words))],
				words[r.IntN(len(words))], words[r.IntN(len(words))], words[r.IntN(len(words))], words[r.IntN(len(words))], words[r.IntN(len(words))],
				words[r.IntN(len(words))], words[r.IntN(len(words))], words[r.IntN(len(words))])
		}
		sum := md5.Sum([]byte(desc))
		sha := sha256.Sum256([]byte(n + ver))
		fmt.Fprintf(&plain, "Homepage: https://example.org/%s\nDescription-md5: %x\nSection: %s\nPriority: optional\nFilename: pool/main/%c/%s/%s_%s_%s.deb\nSize: %d\nMD5sum: %x\nSHA256: %x\n\n",
			n, sum, sections[r.IntN(len(sections))], n[0], n, n, ver, arch, r.IntN(10<<20), md5.Sum([]byte(n)), sha)
	}
	if err := os.WriteFile(filepath.Join(idx, "Packages"), plain.Bytes(), 0o644); err != nil {
		return err
	}
	for _, c := range [][]string{{"xz", "-kf9", "-T1"}, {"gzip", "-kf9"}} {
		if out, err := exec.Command(c[0], append(c[1:], filepath.Join(idx, "Packages"))...).CombinedOutput(); err != nil {
			return fmt.Errorf("%s: %v: %s", c[0], err, out)
		}
	}
	var rel bytes.Buffer
	fmt.Fprintf(&rel, "Origin: Distroscope Bench\nLabel: Generated\nSuite: %s\nCodename: %s\nDate: %s\nArchitectures: amd64\nComponents: main\nAcquire-By-Hash: yes\nSHA256:\n",
		suite, suite, time.Now().UTC().Format(time.RFC1123))
	for _, name := range []string{"Packages", "Packages.gz", "Packages.xz"} {
		data, err := os.ReadFile(filepath.Join(idx, name))
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		h := hex.EncodeToString(sum[:])
		fmt.Fprintf(&rel, " %s %d main/binary-amd64/%s\n", h, len(data), name)
		if name != "Packages" {
			byHash := filepath.Join(idx, "by-hash", "SHA256", h)
			os.MkdirAll(filepath.Dir(byHash), 0o755)
			if err := os.WriteFile(byHash, data, 0o644); err != nil {
				return err
			}
		}
	}
	os.Remove(filepath.Join(idx, "Packages")) // like a real mirror: listed, not served
	if err := os.WriteFile(filepath.Join(dists, "Release"), rel.Bytes(), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, ".complete"), nil, 0o644)
}
