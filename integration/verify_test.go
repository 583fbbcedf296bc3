package integration

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/distroscope/distroscope/activities"
	"github.com/distroscope/distroscope/internal/testenv"
	"github.com/distroscope/distroscope/repo"
	"github.com/distroscope/distroscope/repo/formats/formatstest"
	"github.com/distroscope/distroscope/store/localfs"
	"github.com/distroscope/distroscope/workflows"
)

// These tests hold distroscope to what "verified" promises, through the CLI
// a person runs, the real Temporal dev server and a worker on a folder
// store: a start never attaches to a run that verifies less, and a
// comparison never takes an impostor's snapshot for a distribution's own
// without saying so.

// verifyEnv is one user's setup: the CLI and the test's worker share a
// Temporal, a task queue and a folder store; no apt sources, and the
// catalogue only when the test writes one.
type verifyEnv struct {
	temporal, queue, store, aptRoot, catalog string
	c                                        client.Client
}

func newVerifyEnv(t *testing.T) *verifyEnv {
	t.Helper()
	addr := testenv.Temporal(t)
	c, err := client.Dial(client.Options{HostPort: addr, Namespace: "default"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return &verifyEnv{temporal: addr, queue: randomName("verify-"), store: t.TempDir(), aptRoot: t.TempDir(), c: c}
}

// startWorker runs the snapshot and compare workflows on the env's queue,
// writing to its store.
func (e *verifyEnv) startWorker(t *testing.T) {
	t.Helper()
	st, err := localfs.New(e.store)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	w := worker.New(e.c, e.queue, worker.Options{WorkerStopTimeout: time.Second})
	workflows.RegisterSnapshot(w, &activities.Snapshot{Store: st, Fetcher: repo.DefaultFetcher(), TempDir: t.TempDir(), Producer: "verify test"})
	workflows.RegisterCompare(w, &activities.Compare{Store: st, TempDir: t.TempDir(), Producer: "verify test"})
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)
}

func (e *verifyEnv) command(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(cliBinary(t), args...)
	home := t.TempDir()
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "XDG_CONFIG_HOME=" + home,
		"TEMPORAL_ADDRESS=" + e.temporal, "TEMPORAL_NAMESPACE=default", "DISTROSCOPE_TASK_QUEUE=" + e.queue,
		"DISTROSCOPE_STORE=" + e.store, "DISTROSCOPE_APT_ROOT=" + e.aptRoot, "DISTROSCOPE_CATALOG=" + e.catalog}
	return cmd
}

// cliRun is one finished run of the CLI.
type cliRun struct {
	code           int
	stdout, stderr string
}

func (r cliRun) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

func (e *verifyEnv) run(t *testing.T, args ...string) cliRun {
	t.Helper()
	cmd := e.command(t, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return cliRun{code, out.String(), errb.String()}
}

// lockedBuffer is a bytes.Buffer a running command writes while the test
// reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startLine is what the CLI prints for each run it starts or attaches to:
// "<label>: run <workflow ID> (<UI link ending in the run ID>/history)".
var startLine = regexp.MustCompile(`: run (\S+) \(\S*/([^/\s]+)/history\)`)

type startedRun struct{ id, runID string }

func startedRuns(t *testing.T, stderr string) []startedRun {
	t.Helper()
	var out []startedRun
	for _, m := range startLine.FindAllStringSubmatch(stderr, -1) {
		out = append(out, startedRun{m[1], m[2]})
	}
	return out
}

// TestStrictStartDoesNotAttachToALaxRun starts, before any worker polls,
// a snapshot of the signed fixture that accepts a Release it cannot verify
// (--allow-unsigned, with a keyring that did not sign it), then the same
// snapshot without the opt-out: the strict start must not attach to the lax
// run (which would report the lax run's commit as its own) but run under
// its own policy, and fail on the signature. A second start with the lax
// policy still attaches to the lax run.
func TestStrictStartDoesNotAttachToALaxRun(t *testing.T) {
	e := newVerifyEnv(t)
	base, _ := formatstest.Repo(t)
	other := formatstest.Path(t, "other-keyring.gpg")
	args := []string{"snapshot", "--mirror", base, "--suite", formatstest.Suite, "--components", "main,contrib",
		"--arch", "amd64,arm64", "--keyring", other}
	lax := e.run(t, append(args, "--allow-unsigned", "--detach")...)
	if lax.code != 0 {
		t.Fatalf("lax start: %s", lax)
	}
	laxRuns := startedRuns(t, lax.stderr)
	if len(laxRuns) != 1 {
		t.Fatalf("lax start printed %d runs: %s", len(laxRuns), lax)
	}
	again := e.run(t, append(args, "--allow-unsigned", "--detach")...)
	if r := startedRuns(t, again.stderr); len(r) != 1 || r[0] != laxRuns[0] {
		t.Errorf("a second start with the same policy did not attach to the first: %v, want %v\n%s", r, laxRuns, again)
	}

	// The strict start follows its run: start it, wait until it has
	// started its run, then let a worker take both.
	strict := e.command(t, append(args, "--wait")...)
	var out, errb lockedBuffer
	strict.Stdout, strict.Stderr = &out, &errb
	if err := strict.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for len(startedRuns(t, errb.String())) == 0 {
		if time.Now().After(deadline) {
			strict.Process.Kill()
			t.Fatalf("the strict start printed no run:\n%s", errb.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	strictRuns := startedRuns(t, errb.String())
	e.startWorker(t)
	done := make(chan error, 1)
	go func() { done <- strict.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(2 * time.Minute):
		strict.Process.Kill()
		t.Fatalf("the strict run did not finish:\n%s\n%s", out.String(), errb.String())
	}
	res := cliRun{0, out.String(), errb.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		res.code = ee.ExitCode()
	}
	if strictRuns[0].id == laxRuns[0].id {
		t.Errorf("the strict start has the lax run's workflow ID %s", laxRuns[0].id)
	}
	if res.code != 1 || !strings.Contains(res.stderr, "no good signature by a trusted key") || strings.Contains(res.stdout, "committed") {
		t.Errorf("the strict start, whose keyring did not sign the fixture, = %s\nwant exit 1 naming the signature", res)
	}

	// The lax run is untouched by the strict one: it commits, unverified.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var snap workflows.SnapshotResult
	if err := e.c.GetWorkflow(ctx, laxRuns[0].id, laxRuns[0].runID).Get(ctx, &snap); err != nil {
		t.Fatalf("the lax run: %v", err)
	}
	if snap.Rows == 0 || len(snap.Signers) != 0 {
		t.Errorf("the lax run = %+v, want rows committed with no signer", snap)
	}
}

// impostorRepo is an unsigned apt repository posing as the fixture: its
// Origin and Codename are the fixture's in other case, its Date is newer,
// and its one index (main/amd64) is the fixture's with one package more.
func impostorRepo(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	dir := filepath.Join(root, "dists", formatstest.Suite, "main", "binary-amd64")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	real, err := os.ReadFile(filepath.Join(formatstest.Path(t, "repo"), "dists", formatstest.Suite, "main", "binary-amd64", "Packages"))
	if err != nil {
		t.Fatal(err)
	}
	pkgs := append(bytes.TrimRight(real, "\n"), []byte("\n\nPackage: impostor-tool\nVersion: 1.0-1\nArchitecture: amd64\n"+
		"Maintainer: Nobody <nobody@example.org>\nDescription: not what the distribution ships\n")...)
	if err := os.WriteFile(filepath.Join(dir, "Packages"), pkgs, 0o644); err != nil {
		t.Fatal(err)
	}
	release := fmt.Sprintf("Origin: DISTROSCOPE FIXTURE\nLabel: Distroscope Fixture\nSuite: testing\nCodename: FIXTURE\n"+
		"Date: Tue, 01 Dec 2026 00:00:00 UTC\nArchitectures: amd64\nComponents: main\nSHA256:\n %x %d main/binary-amd64/Packages\n",
		sha256.Sum256(pkgs), len(pkgs))
	if err := os.WriteFile(filepath.Join(root, "dists", formatstest.Suite, "Release"), []byte(release), 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

// snapshotIDs is what `snapshot` printed it committed: "<label>: committed
// <distro>/<release> snapshot <id>: ...".
var committedLine = regexp.MustCompile(`: (?:committed|already committed, reused) (\S+) snapshot (\S+):`)

func committedSnapshot(t *testing.T, r cliRun) string {
	t.Helper()
	m := committedLine.FindStringSubmatch(r.stdout)
	if r.code != 0 || m == nil {
		t.Fatalf("snapshot: %s", r)
	}
	return m[1] + "/" + m[2]
}

// lineWith is the first line of text holding every one of subs.
func lineWith(text string, subs ...string) (string, bool) {
	for _, l := range strings.Split(text, "\n") {
		ok := true
		for _, s := range subs {
			ok = ok && strings.Contains(l, s)
		}
		if ok {
			return l, true
		}
	}
	return "", false
}

// TestCompareUsesTheCatalogueVerifiedSnapshot commits the signed fixture
// (by its catalogue name) and an unsigned impostor whose Origin and
// Codename fold onto the same names, newer, into one store. A comparison
// takes the signed snapshot for the name and says so, naming the one it
// passed over; with --allow-unverified it takes the newest, the
// impostor, and says that it is unverified; `datasets ls` shows each
// snapshot's verification.
func TestCompareUsesTheCatalogueVerifiedSnapshot(t *testing.T) {
	e := newVerifyEnv(t)
	base, keyring := formatstest.Repo(t)
	fpr := formatstest.Fingerprint(t)
	keyID := fpr[len(fpr)-16:]
	e.catalog = filepath.Join(t.TempDir(), "sources.yaml")
	cat := fmt.Sprintf("sources:\n  - name: distroscope-fixture\n    format: apt\n    mirror: %s\n    suites: [%s]\n"+
		"    components: [main, contrib]\n    architectures: [amd64, arm64]\n    keyring: [%s]\n", base, formatstest.Suite, keyring)
	if err := os.WriteFile(e.catalog, []byte(cat), 0o644); err != nil {
		t.Fatal(err)
	}
	e.startWorker(t)

	signed := committedSnapshot(t, e.run(t, "snapshot", "distroscope-fixture/"+formatstest.Suite))
	impostor := committedSnapshot(t, e.run(t, "snapshot", "--mirror", formatstest.Serve(t, impostorRepo(t)), "--suite", formatstest.Suite,
		"--components", "main", "--arch", "amd64", "--allow-unsigned"))
	signedID, impostorID := signed[strings.LastIndex(signed, "/")+1:], impostor[strings.LastIndex(impostor, "/")+1:]
	if !strings.HasPrefix(signed, "distroscope-fixture/fixture/") || !strings.HasPrefix(impostor, "distroscope-fixture/fixture/") || impostorID <= signedID {
		t.Fatalf("signed %s, impostor %s: want both under distroscope-fixture/fixture, the impostor newer", signed, impostor)
	}

	ls := e.run(t, "datasets", "ls")
	if ls.code != 0 {
		t.Fatalf("datasets ls: %s", ls)
	}
	if l, ok := lineWith(ls.stdout, "snapshots/v1", signedID); !ok || !strings.Contains(l, keyID) {
		t.Errorf("datasets ls: the signed snapshot's line %q does not name its key %s\n%s", l, keyID, ls.stdout)
	}
	if l, ok := lineWith(ls.stdout, "snapshots/v1", impostorID); !ok || !strings.Contains(l, "unverified") {
		t.Errorf("datasets ls: the impostor's line %q does not say it is unverified\n%s", l, ls.stdout)
	}

	old := "distroscope-fixture/fixture/" + signedID
	strict := e.run(t, "compare", old, "distroscope-fixture/fixture")
	if strict.code != 0 {
		t.Fatalf("compare: %s", strict)
	}
	if l, ok := lineWith(strict.stdout, "new", "distroscope-fixture/fixture/"+signedID); !ok || !strings.Contains(l, keyID) || !strings.Contains(l, "catalogue") {
		t.Errorf("compare: the new side's line %q does not say it is the signed snapshot, verified by the catalogue's key %s\n%s", l, keyID, strict)
	}
	if _, ok := lineWith(strict.stdout, "passed over", impostorID, "unverified"); !ok {
		t.Errorf("compare does not say it passed over the unverified %s\n%s", impostorID, strict)
	}
	if !strings.Contains(strict.stdout, "added 0 ") {
		t.Errorf("compare of the signed snapshot with itself added packages:\n%s", strict)
	}

	lax := e.run(t, "compare", "--allow-unverified", old, "distroscope-fixture/fixture")
	if lax.code != 0 {
		t.Fatalf("compare --allow-unverified: %s", lax)
	}
	if l, ok := lineWith(lax.stdout, "new", "distroscope-fixture/fixture/"+impostorID); !ok || !strings.Contains(strings.ToLower(l), "unverified") {
		t.Errorf("compare --allow-unverified: the new side's line %q does not say it took the unverified %s\n%s", l, impostorID, lax)
	}
	if !strings.Contains(lax.stdout, "added 1 ") {
		t.Errorf("compare --allow-unverified did not compare with the impostor (one package more):\n%s", lax)
	}
}
