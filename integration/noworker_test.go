package integration

import (
	"strings"
	"testing"
	"time"

	"github.com/distroscope/distroscope/repo/formats/formatstest"
)

// TestSnapshotWithoutAWorker: with no worker polling its task queue,
// `distroscope snapshot` used to print its run link and then nothing, for
// as long as one let it. Now, against the real dev server, it exits 1
// within seconds saying that no worker polls the queue (naming it, the
// server and what to do) and starts nothing; with --wait it says so, starts
// its run and keeps waiting, and a worker started later finishes it.
func TestSnapshotWithoutAWorker(t *testing.T) {
	e := newVerifyEnv(t)
	base, keyring := formatstest.Repo(t)
	args := []string{"snapshot", "--mirror", base, "--suite", formatstest.Suite, "--components", "main,contrib",
		"--arch", "amd64,arm64", "--keyring", keyring}
	want := "no worker is polling task queue " + e.queue + " on " + e.temporal + ", namespace default"

	cliBinary(t) // built before the clock starts
	start := time.Now()
	r := e.run(t, args...)
	took := time.Since(start)
	t.Logf("without a worker the CLI exited %d after %v", r.code, took.Round(time.Millisecond))
	if r.code != 1 || !strings.Contains(r.stderr, want) || !strings.Contains(r.stderr, "or pass --wait") {
		t.Errorf("without a worker: %s\nwant exit 1 saying %q and naming --wait", r, want)
	}
	// A generous bound: the check itself takes a couple of seconds.
	if took > 30*time.Second {
		t.Errorf("without a worker the CLI took %v to give up, want seconds", took)
	}
	if runs := startedRuns(t, r.stderr); len(runs) != 0 {
		t.Errorf("without a worker the CLI started %v", runs)
	}

	// --wait: it says so, starts its run, and waits for a worker.
	cmd := e.command(t, append(args, "--wait")...)
	var out, errb lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() { cmd.Process.Kill() })
	waitFor(t, time.Minute, "the --wait start to start its run", func() bool { return len(startedRuns(t, errb.String())) == 1 })
	if !strings.Contains(errb.String(), want) || !strings.Contains(errb.String(), "; waiting for one") {
		t.Errorf("with --wait the CLI did not say that it waits for a worker:\n%s", errb.String())
	}
	select {
	case err := <-done:
		t.Fatalf("with --wait and no worker the CLI exited (%v):\n%s\n%s", err, out.String(), errb.String())
	case <-time.After(3 * time.Second):
	}
	e.startWorker(t)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("with --wait, once a worker started: %v\n%s\n%s", err, out.String(), errb.String())
		}
	case <-time.After(2 * time.Minute):
		t.Fatalf("with --wait the run did not finish once a worker started:\n%s\n%s", out.String(), errb.String())
	}
	if !strings.Contains(out.String(), "committed") {
		t.Errorf("with --wait, once a worker started, the CLI printed:\n%s\n%s", out.String(), errb.String())
	}
}
