package integration

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/distroscope/distroscope/repo/formats/formatstest"
	"github.com/distroscope/distroscope/workflows"
)

// These tests hold a worker to what issue 9 asks of an attempt that cannot
// finish: a mirror that trickles fails it within a minute, saying what the
// mirror sent; an attempt the server no longer wants stops within seconds,
// closing its connection and freeing its worker slot; and no attempt,
// failed or cancelled, leaves a file in the worker's temp dir. They run
// the real worker binary and CLI against the real dev server, with the
// fixture served on 127.0.0.1 by a mirror that misbehaves on purpose.

// hostileMirror serves the fixture repository, except that the first
// times requests of each path match chooses (every request, when times
// is 0) get its misbehaviour:
//
//   - trickle: the file's length, then its bytes one a second;
//   - hang: the file's length and its first 512 bytes, then nothing until
//     the client goes away (when is sent on gone);
//   - fail: 500 Internal Server Error.
type hostileMirror struct {
	root  string
	match func(path string) bool
	mode  string
	times int
	mu    sync.Mutex
	hits  map[string]int
	held  atomic.Int32   // requests being trickled or hung now
	bad   atomic.Int32   // requests that got the misbehaviour
	gone  chan time.Time // when a hung request's client left
	files http.Handler
}

func newHostileMirror(t *testing.T, mode string, times int, match func(string) bool) (*hostileMirror, string) {
	t.Helper()
	root := formatstest.Path(t, "repo")
	m := &hostileMirror{root: root, match: match, mode: mode, times: times, hits: map[string]int{},
		gone: make(chan time.Time, 16), files: http.FileServer(http.Dir(root))}
	return m, serveMirror(t, m)
}

// serveMirror serves h on 127.0.0.1 until the test ends. The server is closed
// before the worker is killed (cleanups run last first), so a request the
// mirror holds does not hold the test.
func serveMirror(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := &http.Server{Handler: h}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

func (m *hostileMirror) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m.mu.Lock()
	m.hits[r.URL.Path]++
	n := m.hits[r.URL.Path]
	m.mu.Unlock()
	if !m.match(r.URL.Path) || m.times > 0 && n > m.times {
		m.files.ServeHTTP(w, r)
		return
	}
	m.bad.Add(1)
	if m.mode == "fail" {
		http.Error(w, "a mirror hiccup", http.StatusInternalServerError)
		return
	}
	data, err := os.ReadFile(filepath.Join(m.root, filepath.FromSlash(r.URL.Path)))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	m.held.Add(1)
	defer m.held.Add(-1)
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(http.StatusOK)
	flush := w.(http.Flusher).Flush
	if m.mode == "hang" {
		w.Write(data[:min(len(data), 512)])
		flush()
		<-r.Context().Done() // a GET has no body: net/http notices the client leave
		m.gone <- time.Now()
		return
	}
	for i := range data {
		select {
		case <-r.Context().Done():
			return
		case <-time.After(time.Second):
		}
		w.Write(data[i : i+1])
		flush()
	}
}

func isRelease(p string) bool {
	return strings.Contains(p, "/dists/") && strings.Contains(filepath.Base(p), "Release")
}
func isMainAmd64(p string) bool { return strings.Contains(p, "/main/binary-amd64/") }

// stuckEnv is a user's setup (verifyEnv) with the real worker binary,
// whose temp dir the test watches.
type stuckEnv struct {
	*verifyEnv
	tempDir string
	worker  *workerProcess
}

// newStuckEnv starts the worker binary with the extra environment given
// (the fetch limits) and --activities activities at once.
func newStuckEnv(t *testing.T, activities int, extra ...string) *stuckEnv {
	t.Helper()
	e := &stuckEnv{verifyEnv: newVerifyEnv(t), tempDir: t.TempDir()}
	env := workerEnv(t, &harness{queue: e.queue}, append([]string{"DISTROSCOPE_STORE=" + e.store, "DISTROSCOPE_TEMP_DIR=" + e.tempDir}, extra...)...)
	e.worker = startWorkerProcess(t, buildWorker(t), env, "--activities", strconv.Itoa(activities))
	return e
}

// leftovers are the files in the worker's temp dir.
func (e *stuckEnv) leftovers(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir(e.tempDir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, de := range entries {
		names = append(names, de.Name())
	}
	return names
}

// fixtureArgs snapshot the fixture from mirror, verified by its keyring.
func fixtureArgs(t *testing.T, mirror string) []string {
	_, keyring := formatstest.Repo(t)
	return []string{"snapshot", "--mirror", mirror, "--suite", formatstest.Suite, "--components", "main,contrib",
		"--arch", "amd64,arm64", "--keyring", keyring}
}

// tooSlow is the retry line of an attempt the fetcher ended, as the CLI
// prints it while the run goes on: the activity, the URL, and what the
// mirror sent in how long.
func tooSlow(activity, file string) *regexp.Regexp {
	return regexp.MustCompile(`retrying ` + activity + ` in \d+ s \(attempt 2 of \d+\): .*GET http://127\.0\.0\.1:\d+/dists/fixture/` +
		file + `: mirror sent \d+ B[^:]* in [\d.]+ s`)
}

// TestTricklingReleaseFailsPromptly: a Release trickled at a byte a second
// used to hold its resolve for 25 minutes, until the activity's
// start-to-close timeout, which was all the error said. With the fetch
// limits configured small (5 s where the defaults have a minute), the
// attempt fails in seconds, and the CLI, as it follows the run, prints
// the retry with the URL and what the mirror sent. The failed attempt
// leaves nothing in the worker's temp dir.
func TestTricklingReleaseFailsPromptly(t *testing.T) {
	_, mirror := newHostileMirror(t, "trickle", 0, isRelease)
	e := newStuckEnv(t, 2, "DISTROSCOPE_FETCH_REQUEST_TIMEOUT=5s", "DISTROSCOPE_FETCH_RATE_WINDOW=5s")
	cmd := e.command(t, fixtureArgs(t, mirror)...)
	var out, errb lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		for _, r := range startedRuns(t, errb.String()) {
			e.c.TerminateWorkflow(context.Background(), r.id, r.runID, "test over")
		}
	})
	want := tooSlow("ResolveRelease", `(In)?Release(\.gpg)?`)
	waitFor(t, time.Minute, "the CLI to print the retry of the trickled Release", func() bool { return want.MatchString(errb.String()) })
	took := time.Since(start)
	t.Logf("%v after the start: %s", took.Round(time.Millisecond), want.FindString(errb.String()))
	if strings.Contains(errb.String(), "timeout") {
		t.Errorf("the trickle was reported as a timeout:\n%s", errb.String())
	}
	if left := e.leftovers(t); len(left) != 0 {
		t.Errorf("the failed attempt left %v in the worker's temp dir", left)
	}
}

// TestTricklingIndexIsRetried: the first fetch of an index trickles; its
// ingest fails in seconds naming the URL, the retry fetches it whole, the
// run commits, and neither the failed attempt nor the others leave a file
// in the worker's temp dir.
func TestTricklingIndexIsRetried(t *testing.T) {
	_, mirror := newHostileMirror(t, "trickle", 1, isMainAmd64)
	e := newStuckEnv(t, 2, "DISTROSCOPE_FETCH_REQUEST_TIMEOUT=5s", "DISTROSCOPE_FETCH_RATE_WINDOW=5s")
	r := e.run(t, fixtureArgs(t, mirror)...)
	if r.code != 0 || !strings.Contains(r.stdout, "committed") {
		t.Fatalf("the snapshot: %s", r)
	}
	if want := tooSlow("IngestIndex", `main/binary-amd64/\S+`); !want.MatchString(r.stderr) {
		t.Errorf("the CLI did not print the retry of the trickled index (want %s):\n%s", want, r.stderr)
	}
	if left := e.leftovers(t); len(left) != 0 {
		t.Errorf("the run left %v in the worker's temp dir", left)
	}
}

// hangOneIngest starts a snapshot, detached, whose main/amd64 index the
// mirror sends the first bytes of and then nothing, on a worker that runs
// one activity at a time with every fetch limit off — so that nothing but
// the server can end the attempt — and waits until the ingest hangs. The
// run is terminated when the test ends.
func hangOneIngest(t *testing.T) (*hostileMirror, *stuckEnv, startedRun) {
	t.Helper()
	m, mirror := newHostileMirror(t, "hang", 0, isMainAmd64)
	e := newStuckEnv(t, 1, "DISTROSCOPE_FETCH_IDLE_TIMEOUT=0s", "DISTROSCOPE_FETCH_MIN_RATE=0", "DISTROSCOPE_FETCH_REQUEST_TIMEOUT=0s")
	started := e.run(t, append(fixtureArgs(t, mirror), "--detach")...)
	runs := startedRuns(t, started.stderr)
	if started.code != 0 || len(runs) != 1 {
		t.Fatalf("the start: %s", started)
	}
	t.Cleanup(func() { e.c.TerminateWorkflow(context.Background(), runs[0].id, runs[0].runID, "test over") })
	waitFor(t, time.Minute, "the ingest of main/amd64 to hang", func() bool { return m.held.Load() > 0 })
	return m, e, runs[0]
}

// waitGone waits for the hung attempt's connection to the mirror to close
// after since (when what happened), and fails t if that took more than
// three heartbeat throttles, or a minute passed.
func waitGone(t *testing.T, m *hostileMirror, e *stuckEnv, since time.Time, what string) {
	t.Helper()
	select {
	case gone := <-m.gone:
		took := gone.Sub(since)
		t.Logf("the attempt closed its connection to the mirror %v after %s", took.Round(time.Millisecond), what)
		if limit := 3 * workflows.HeartbeatThrottle; took > limit {
			t.Errorf("the attempt closed its connection %v after %s, more than %v", took, what, limit)
		}
	case <-time.After(time.Minute):
		t.Fatalf("the attempt kept its connection to the mirror a minute after %s:\n%s", what, e.worker.out.String())
	}
}

// TestTerminatedRunStopsItsAttempt: an ingest hangs on a mirror that sent
// an index's first bytes and then nothing, with every fetch limit off so
// that nothing but the server can end it, on a worker that runs one
// activity at a time. Terminating the run (as an operator does with a run
// that is stuck) refuses the attempt's next heartbeat, and the attempt
// stops: the mirror sees its connection close within seconds (about one
// workflows.HeartbeatThrottle), the worker's temp dir is empty again, and
// the worker's one slot takes the next run, which commits.
func TestTerminatedRunStopsItsAttempt(t *testing.T) {
	m, e, run := hangOneIngest(t)
	// The attempt has begun writing its part: the check below means something.
	time.Sleep(500 * time.Millisecond)
	if len(e.leftovers(t)) == 0 {
		t.Errorf("the hung ingest has no file in the worker's temp dir: the test checks nothing")
	}

	terminated := time.Now()
	if err := e.c.TerminateWorkflow(context.Background(), run.id, run.runID, "test: stuck"); err != nil {
		t.Fatal(err)
	}
	waitGone(t, m, e, terminated, "the run was terminated")
	waitFor(t, 10*time.Second, "the worker's temp dir to be empty", func() bool { return len(e.leftovers(t)) == 0 })

	// The slot is free: the next run (the fixture as it is) commits.
	base, _ := formatstest.Repo(t)
	r := e.run(t, fixtureArgs(t, base)...)
	if r.code != 0 || !strings.Contains(r.stdout, "committed") {
		t.Errorf("the next run on the worker's one slot: %s", r)
	}
}

// TestTimedOutAttemptStops: the case — after a heartbeat timeout
// the workflow retried while the old attempt kept its connection and its
// worker slot. The worker (one activity at a time, fetch limits off) is
// frozen with SIGSTOP while an ingest hangs on the mirror, long enough for
// the server to time the attempt out and schedule the next; thawed, the
// old attempt's first heartbeat is refused, and it stops: its connection
// to the mirror closes within seconds, and the worker's one slot takes the
// next attempt, which asks the mirror again.
func TestTimedOutAttemptStops(t *testing.T) {
	m, e, _ := hangOneIngest(t)

	if err := e.worker.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	// The heartbeat timeout, plus the last forwarded beat's age, plus a margin.
	time.Sleep(workflows.HeartbeatTimeout + workflows.HeartbeatThrottle + 5*time.Second)
	if err := e.worker.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	thawed := time.Now()
	waitGone(t, m, e, thawed, "the worker was thawed")
	waitFor(t, 30*time.Second, "the next attempt to take the worker's one slot", func() bool { return m.bad.Load() >= 2 })
}

// TestMirrorHiccupsAreRetried: a mirror answering 500 twice to every file
// used to fail the run in 15 s. Now each activity's retries span minutes,
// the run commits, and the CLI prints each retry as it happens, with the
// mirror's answer.
func TestMirrorHiccupsAreRetried(t *testing.T) {
	_, mirror := newHostileMirror(t, "fail", 2, func(p string) bool { return strings.Contains(p, "/dists/") })
	e := newStuckEnv(t, 2)
	r := e.run(t, fixtureArgs(t, mirror)...)
	if r.code != 0 || !strings.Contains(r.stdout, "committed") {
		t.Fatalf("the snapshot: %s", r)
	}
	for _, activity := range []string{"ResolveRelease", "IngestIndex"} {
		for attempt := 2; attempt <= 3; attempt++ {
			want := regexp.MustCompile(`retrying ` + activity + ` in \d+ s \(attempt ` + strconv.Itoa(attempt) + ` of \d+\): .*500 Internal Server Error`)
			if !want.MatchString(r.stderr) {
				t.Errorf("the CLI did not print %s's attempt %d (want %s):\n%s", activity, attempt, want, r.stderr)
			}
		}
	}
}
