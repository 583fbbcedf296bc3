package integration

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/distroscope/distroscope/internal/testenv"
)

// buildBinaries builds the worker and the CLI the way `go tool task build` does.
func buildBinaries(t *testing.T) (worker, cli string) {
	t.Helper()
	return binary(t, "../workers"), binary(t, "../starter")
}

// buildWorker is the worker binary.
func buildWorker(t *testing.T) string {
	t.Helper()
	return binary(t, "../workers")
}

// cliBinary is the distroscope CLI binary.
func cliBinary(t *testing.T) string {
	t.Helper()
	return binary(t, "../starter")
}

var (
	binariesMu  sync.Mutex
	binariesDir string
	binaries    = map[string]string{}
)

// binary builds the command in pkg once per test process — a build is
// 10–20 s of the 2-core machine's CI, and a dozen tests use each binary —
// and returns its path; TestMain removes them.
func binary(t *testing.T, pkg string) string {
	t.Helper()
	binariesMu.Lock()
	defer binariesMu.Unlock()
	if bin, ok := binaries[pkg]; ok {
		return bin
	}
	if binariesDir == "" {
		dir, err := os.MkdirTemp("", "distroscope-integration-bin-")
		if err != nil {
			t.Fatal(err)
		}
		binariesDir = dir
	}
	name := map[string]string{"../workers": "distroscope-worker", "../starter": "distroscope"}[pkg]
	if name == "" {
		name = filepath.Base(pkg)
	}
	bin := filepath.Join(binariesDir, name)
	start := time.Now()
	if out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, out)
	}
	t.Logf("built %s in %v", name, time.Since(start).Round(time.Millisecond))
	binaries[pkg] = bin
	return bin
}

// TestMain removes the binaries the tests built.
func TestMain(m *testing.M) {
	code := m.Run()
	if binariesDir != "" {
		os.RemoveAll(binariesDir)
	}
	os.Exit(code)
}

func TestBinariesAnswerVersion(t *testing.T) {
	worker, cli := buildBinaries(t)
	for _, bin := range []string{worker, cli} {
		out, err := exec.Command(bin, "--version").CombinedOutput()
		if err != nil || !strings.HasPrefix(string(out), "distroscope ") {
			t.Errorf("%s --version = %q, %v", filepath.Base(bin), out, err)
		}
	}
	// A bad flag is a usage error (exit 2) that names the flag.
	out, err := exec.Command(cli, "snapshot", "--no-such-flag").CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 || !strings.Contains(string(out), "no-such-flag") {
		t.Errorf("bad flag: %v, %q", err, out)
	}
}

// TestWorkerDrainsOnSIGTERM starts the real worker binary against the test
// Temporal, sends SIGTERM, and expects a clean exit with JSON logs that say
// it drained.
func TestWorkerDrainsOnSIGTERM(t *testing.T) {
	addr := testenv.Temporal(t)
	worker, _ := buildBinaries(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	metricsAddr := l.Addr().String()
	l.Close()
	cmd := exec.Command(worker, "--drain", "2s", "--metrics-addr", metricsAddr)
	cmd.Env = append(os.Environ(), "TEMPORAL_ADDRESS="+addr, "DISTROSCOPE_TASK_QUEUE="+randomName("drain-"),
		"DISTROSCOPE_STORE="+t.TempDir())
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(out.String(), "Started Worker") {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("worker did not start:\n%s", out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The worker serves Prometheus metrics: its own and the Temporal SDK's.
	resp, err := http.Get("http://" + metricsAddr + "/metrics")
	if err != nil {
		t.Fatalf("scrape /metrics: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"distroscope_loki_dropped_entries_total", "temporal_", "go_goroutines"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics has no %s", want)
		}
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("worker exited with %v:\n%s", err, out.String())
		}
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("worker did not stop after SIGTERM:\n%s", out.String())
	}
	var msgs []string
	sc := bufio.NewScanner(bytes.NewReader(out.Bytes()))
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Errorf("log line is not JSON: %q", sc.Text())
			continue
		}
		if m, ok := line["msg"].(string); ok {
			msgs = append(msgs, m)
		}
	}
	joined := strings.Join(msgs, "|")
	for _, want := range []string{"worker starting", "draining", "worker stopped"} {
		if !strings.Contains(joined, want) {
			t.Errorf("no %q in the worker's logs: %v", want, msgs)
		}
	}
}
