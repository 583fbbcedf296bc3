package integration

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/distroscope/distroscope/repo/formats/formatstest"
	"github.com/distroscope/distroscope/store/storetest"
)

// These tests hold the binaries to what issue 9 asks of a store that
// fails: an S3 endpoint that accepts connections and never answers once
// hung the worker's start-up and `datasets ls` past three minutes with no
// log line; a local store whose folder was removed under a running worker
// failed every write until the worker restarted.

// TestSilentS3EndpointFailsPromptly: with the store on a silent S3
// endpoint and its deadlines configured short (DISTROSCOPE_S3_OP_TIMEOUT
// 2 s where the default is a minute), the worker binary's start-up and
// `distroscope datasets ls` each exit non-zero within a few seconds,
// saying what they were waiting for and from where.
func TestSilentS3EndpointFailsPromptly(t *testing.T) {
	addr := storetest.SilentEndpoint(t)
	const opTimeout = 2 * time.Second
	s3env := []string{"DISTROSCOPE_STORE=s3://silent-bucket/datasets", "DISTROSCOPE_S3_ENDPOINT=" + addr,
		"AWS_ACCESS_KEY_ID=k", "AWS_SECRET_ACCESS_KEY=s", "DISTROSCOPE_S3_OP_TIMEOUT=" + opTimeout.String(),
		"DISTROSCOPE_S3_RESPONSE_TIMEOUT=1s"}
	worker, cli := buildBinaries(t)
	e := newVerifyEnv(t)
	for _, tc := range []struct {
		name string
		cmd  *exec.Cmd
		want []string
	}{
		{"the worker's start-up", exec.Command(worker), []string{"create bucket", "silent-bucket", addr, "waiting for the response to PUT"}},
		{"datasets ls", exec.Command(cli, "datasets", "ls"), []string{addr, "waiting for the response to"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cmd.Env = append(workerEnv(t, &harness{queue: e.queue}), s3env...)
			var out bytes.Buffer
			tc.cmd.Stdout, tc.cmd.Stderr = &out, &out
			start := time.Now()
			if err := tc.cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- tc.cmd.Wait() }()
			var err error
			select {
			case err = <-done:
			case <-time.After(time.Minute):
				tc.cmd.Process.Kill()
				t.Fatalf("still running a minute later, on a store whose deadline is %v:\n%s", opTimeout, out.String())
			}
			took := time.Since(start)
			t.Logf("exited after %v (%v): %s", took.Round(time.Millisecond), err, strings.TrimSpace(out.String()))
			if err == nil {
				t.Errorf("succeeded on a silent store:\n%s", out.String())
			}
			// The deadline, plus start-up and a margin for a loaded machine.
			if limit := opTimeout + 10*time.Second; took > limit {
				t.Errorf("took %v to fail, more than %v", took, limit)
			}
			for _, w := range tc.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("the output does not say %q:\n%s", w, out.String())
				}
			}
		})
	}
}

// TestStoreFolderRemovedUnderTheWorker: the folder of a running worker's
// local store is removed (an operator cleaning up, a tmpfs emptied); the
// next snapshot on the same worker commits into it again, recreated, as
// a restarted worker would.
func TestStoreFolderRemovedUnderTheWorker(t *testing.T) {
	e := newStuckEnv(t, 2)
	base, _ := formatstest.Repo(t)
	if r := e.run(t, fixtureArgs(t, base)...); r.code != 0 {
		t.Fatalf("the first snapshot: %s", r)
	}
	if err := os.RemoveAll(e.store); err != nil {
		t.Fatal(err)
	}
	r := e.run(t, fixtureArgs(t, base)...)
	if r.code != 0 || !strings.Contains(r.stdout, "committed") || strings.Contains(r.stdout, "reused") {
		t.Fatalf("the snapshot after the store's folder was removed: %s\nworker:\n%s", r, e.worker.out.String())
	}
	if ls := e.run(t, "datasets", "ls"); ls.code != 0 || !strings.Contains(ls.stdout, "packages") {
		t.Errorf("datasets ls after the snapshot: %s", ls)
	}
}
