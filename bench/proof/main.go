// Command proof is the full form of issue 10's kill test (`go tool task
// proof`): a nightly run of several real-size snapshots and their
// comparisons, disrupted again and again, must commit exactly what an
// undisturbed run commits.
//
// Its input is a frozen copy of this machine's apt mirror — the InRelease
// and main/amd64 index of each suite (-suites, by default the machine's
// release and the next two), fetched once into -cache and served on
// 127.0.0.1 — so that every run reads the same bytes. A catalogue names
// that copy with the Debian keyring, and a plan snapshots every suite and
// compares each with the next, one child run at a time (so each kill
// point hits one known step).
//
// For each store (-stores: MinIO, then Ceph RGW, each started here on free
// ports, reached through a proxy that can hold a request) it runs:
//
//   - the nightly undisturbed, on a fresh bucket: its committed datasets
//     are the reference, read row by row;
//   - the kill matrix: the nightly again on a fresh bucket, SIGKILLing the
//     worker binary at each point (mid-resolve, mid-ingest at three depths,
//     mid-commit of a data object and of a manifest, between two stages,
//     mid-compare reading and writing, during the nightly's record) and
//     restarting it at once, printing for each the activity work redone
//     (from each killed attempt's start to the moment its work stopped)
//     and the time from the restart to the run's next completed step;
//   - (first store only) the Temporal dev server stopped in the middle of
//     a run, once with SIGTERM and once with SIGKILL, and started again
//     on the same database file.
//
// Every run must complete with the undisturbed run's datasets — the same
// objects, no duplicate or missing one outside the staging area, every
// Parquet file identical row for row (but fetched_at, which says when) —
// and every redone work and restart→progress must stay under 30 s; the
// command exits non-zero otherwise.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/distroscope/distroscope/bench/proof/harness"
	"github.com/distroscope/distroscope/store/s3store"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "proof:", err)
		os.Exit(1)
	}
}

type opts struct {
	bin, tools, state, cache, keyring string
	suites, stores                    string
	noRestart                         bool
}

func run() error {
	var o opts
	flag.StringVar(&o.bin, "bin", "bin", "folder with distroscope and distroscope-worker")
	flag.StringVar(&o.tools, "tools", ".tools/bin", "folder with the temporal and minio binaries")
	flag.StringVar(&o.state, "state", ".state/proof", "state folder (Temporal, MinIO, RGW, worker logs), emptied first")
	flag.StringVar(&o.cache, "cache", ".cache/proof", "folder of the frozen mirror, kept between runs")
	flag.StringVar(&o.keyring, "keyring", "/usr/share/keyrings/debian-archive-keyring.gpg", "keyring the mirror's InRelease files are signed with")
	flag.StringVar(&o.suites, "suites", "bookworm,trixie,forky", "suites to snapshot, oldest first (each is compared with the next)")
	flag.StringVar(&o.stores, "stores", "minio,rgw", "S3 servers to run the proof on: minio, rgw")
	flag.BoolVar(&o.noRestart, "no-server-restart", false, "skip the Temporal server restarts")
	flag.Parse()
	for _, p := range []*string{&o.bin, &o.tools, &o.state, &o.cache} {
		abs, err := filepath.Abs(*p)
		if err != nil {
			return err
		}
		*p = abs
	}
	began := time.Now()
	suites := strings.Split(o.suites, ",")
	if len(suites) < 2 {
		return fmt.Errorf("-suites: at least two, to compare")
	}
	os.RemoveAll(o.state)
	for _, d := range []string{o.state, o.cache, filepath.Join(o.state, "tmp")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}

	frozen := filepath.Join(o.cache, "mirror")
	fmt.Printf("input: %s main/amd64, frozen from this machine's apt mirror into %s\n", strings.Join(suites, ", "), frozen)
	validUntil, err := freeze(frozen, suites, o.keyring)
	if err != nil {
		return err
	}
	mirror, err := harness.ServeMirror(frozen)
	if err != nil {
		return err
	}
	defer mirror.Close()
	fmt.Printf("serving the frozen mirror on %s\n", mirror.URL)
	catalog, plan, err := writePlan(o.state, mirror.URL, suites, o.keyring, validUntil)
	if err != nil {
		return err
	}

	svc := services{repoRoot: filepath.Dir(o.bin), tools: o.tools, state: o.state}
	defer svc.stop()
	p := &prover{o: o, mirror: mirror, catalog: catalog, plan: plan, suites: suites,
		date: time.Date(2026, 11, 1, 2, 30, 0, 0, time.UTC)}
	interrupted := make(chan os.Signal, 1)
	signal.Notify(interrupted, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-interrupted
		fmt.Fprintln(os.Stderr, "proof: interrupted; stopping the worker and the services")
		if s := p.session.Load(); s != nil {
			s.Abandon()
		}
		svc.stop()
		os.Exit(1)
	}()
	tsrv, err := svc.temporal()
	if err != nil {
		return err
	}
	tc, err := client.Dial(client.Options{HostPort: tsrv.addr(), Logger: quietLogger{}})
	if err != nil {
		return err
	}
	defer tc.Close()
	var stores []s3Server
	for _, name := range strings.Split(o.stores, ",") {
		s, err := svc.s3(name)
		if err != nil {
			return err
		}
		stores = append(stores, s)
	}

	p.tc, p.tsrv = tc, tsrv
	var ref *harness.Contents
	var failed []string
	check := func(what string, c harness.Contents) {
		if ref == nil {
			ref = &c
			return
		}
		if diff := c.Diff(*ref); len(diff) > 0 {
			failed = append(failed, fmt.Sprintf("%s: %d differences from the undisturbed run: %s", what, len(diff), strings.Join(first(diff, 10), "; ")))
			fmt.Printf("  DIFFERENT from the undisturbed run: %s\n", strings.Join(first(diff, 10), "; "))
			return
		}
		fmt.Printf("  datasets identical to the undisturbed run's, row for row (%s)\n", describe(c))
	}
	type table struct {
		title string
		outs  []harness.Outcome
	}
	var tables []table
	for i, st := range stores {
		pass, c, err := p.pass(st, "undisturbed", nil)
		if err != nil {
			return err
		}
		fmt.Printf("  took %.1fs; committed %s\n", pass.Took.Seconds(), describe(c))
		check(st.name+" undisturbed", c)

		pass, c, err = p.pass(st, "kills", p.killPoints)
		if err != nil {
			return err
		}
		fmt.Printf("  took %.1fs with %d kills\n", pass.Took.Seconds(), len(pass.Outcomes))
		harness.PrintTable(os.Stdout, pass.Outcomes)
		check(st.name+" kill matrix", c)
		tables = append(tables, table{st.name + ": SIGKILL of the worker", pass.Outcomes})

		if i == 0 && !o.noRestart {
			pass, c, err = p.pass(st, "server-restart", p.serverRestarts)
			if err != nil {
				return err
			}
			fmt.Printf("  took %.1fs with %d server restarts\n", pass.Took.Seconds(), len(pass.Outcomes))
			harness.PrintTable(os.Stdout, pass.Outcomes)
			check(st.name+" Temporal server restarts", c)
			tables = append(tables, table{st.name + ": restart of the Temporal dev server (redone: the attempt's work before the stop; it went on after)", pass.Outcomes})
		}
	}

	fmt.Printf("\nsummary (%s; took %s)\n", describe(*ref), time.Since(began).Round(time.Second))
	for _, t := range tables {
		fmt.Printf("\n%s\n", t.title)
		harness.PrintTable(os.Stdout, t.outs)
		for i, out := range t.outs {
			if !out.Within() {
				failed = append(failed, fmt.Sprintf("%s, point %d (%s): redone %.1fs, restart→progress %.1fs, over %v",
					t.title, i+1, out.Point, out.Redone.Seconds(), out.ToProgress.Seconds(), harness.Bound))
			}
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d failures:\n  %s", len(failed), strings.Join(failed, "\n  "))
	}
	fmt.Printf("\nevery run completed with the undisturbed run's datasets, row for row; every disruption redid under %v of work and progressed within %v of the restart\n",
		harness.Bound, harness.Bound)
	return nil
}

// prover runs the passes.
type prover struct {
	o             opts
	tc            client.Client
	tsrv          *temporalServer
	mirror        *harness.Mirror
	catalog, plan string
	suites        []string
	date          time.Time
	passes        int
	session       atomic.Pointer[harness.Session] // the pass running, for an interrupt
}

// pass runs the nightly once on a fresh bucket of st — its own task queue
// and logical date, a worker of its own — disrupted at points, and reads
// what it committed.
func (p *prover) pass(st s3Server, name string, at func(s3Server) []harness.Point) (harness.Pass, harness.Contents, error) {
	p.passes++
	proxy, err := harness.NewS3Proxy(st.endpoint)
	if err != nil {
		return harness.Pass{}, harness.Contents{}, err
	}
	defer proxy.Close()
	st.proxy = proxy
	var points []harness.Point
	if at != nil {
		points = at(st)
	}
	fmt.Printf("\n== %s, %s: the nightly, disrupted at %d points\n", st.name, name, len(points))
	bucket := "proof-" + st.name + "-" + name + "-" + randomHex(4)
	env := append(os.Environ(),
		"TEMPORAL_ADDRESS="+p.tsrv.addr(),
		"DISTROSCOPE_TASK_QUEUE=proof-"+st.name+"-"+name,
		"DISTROSCOPE_STORE=s3://"+bucket+"/datasets",
		"DISTROSCOPE_S3_ENDPOINT="+proxy.Addr,
		"DISTROSCOPE_S3_REGION="+st.region,
		"AWS_ACCESS_KEY_ID="+st.accessKey,
		"AWS_SECRET_ACCESS_KEY="+st.secretKey,
		"DISTROSCOPE_CATALOG="+p.catalog,
		"DISTROSCOPE_TEMP_DIR="+filepath.Join(p.o.state, "tmp"),
		"DISTROSCOPE_METRICS_ADDR=",
		"DISTROSCOPE_LOG_LEVEL=info",
	)
	log, err := os.Create(filepath.Join(p.o.state, st.name+"-"+name+".worker.log"))
	if err != nil {
		return harness.Pass{}, harness.Contents{}, err
	}
	defer log.Close()
	s := &harness.Session{Client: p.tc, Worker: harness.WorkerConfig{Bin: filepath.Join(p.o.bin, "distroscope-worker"), Env: env, Log: log},
		Logf: func(f string, a ...any) { fmt.Printf("  "+f+"\n", a...) }}
	p.session.Store(s)
	date := p.date.AddDate(0, 0, p.passes)
	// A pass of 13 kills takes about 4 minutes; the bound is for a hang.
	pass, err := s.Run(context.Background(), harness.StartNightly(filepath.Join(p.o.bin, "distroscope"), env, p.plan, date), points, 30*time.Minute)
	if err != nil {
		return pass, harness.Contents{}, fmt.Errorf("%s, %s: %w (worker log: %s)", st.name, name, err, log.Name())
	}
	fmt.Printf("  nightly %s done: %d snapshots, %d comparisons\n", pass.ID, len(pass.Result.Record.Snapshots), len(pass.Result.Record.Comparisons))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	direct, err := s3store.New(ctx, bucket, "datasets", s3store.Options{Endpoint: st.endpoint, Region: st.region,
		AccessKey: st.accessKey, SecretKey: st.secretKey})
	if err != nil {
		return pass, harness.Contents{}, err
	}
	c, err := harness.ReadContents(ctx, direct)
	return pass, c, err
}

func describe(c harness.Contents) string {
	objects, rows := c.RowCount()
	return fmt.Sprintf("%d objects, %d Parquet files, %d rows", len(c.Keys), objects, rows)
}

func first(s []string, n int) []string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// writePlan writes the catalogue naming the frozen mirror and the plan of
// the proof's nightly: every suite, each compared with the next, one
// child run at a time.
func writePlan(state, mirror string, suites []string, keyring string, allowExpired bool) (catalog, plan string, err error) {
	catalog, plan = filepath.Join(state, "catalog.yaml"), filepath.Join(state, "plan.yaml")
	cat := fmt.Sprintf(`# The frozen copy of this machine's apt mirror that the proof serves.
sources:
  - name: debian
    format: apt
    mirror: %s
    suites: [%s]
    components: [main]
    architectures: [amd64]
    keyring: [%s]
    allow_expired: %t
`, mirror, strings.Join(suites, ", "), keyring, allowExpired)
	// One child at a time: each kill point then hits one known step.
	pl := `# The proof's nightly: every frozen suite, each compared with the next.
name: proof
schedule:
  cron: "30 2 * * *"
  time_zone: UTC
snapshots:
  - source: debian
comparisons:
  - consecutive: debian
concurrency: 1
`
	if err := os.WriteFile(catalog, []byte(cat), 0o644); err != nil {
		return "", "", err
	}
	return catalog, plan, os.WriteFile(plan, []byte(pl), 0o644)
}
