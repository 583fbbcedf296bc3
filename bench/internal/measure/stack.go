package measure

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Stack is what a benchmark runs the CLI against: a Temporal dev server
// (scripts/stack.sh, on free ports) and a distroscope worker using a
// folder store, both under one state folder.
type Stack struct {
	// Env is the CLI's environment: the worker's Temporal, queue and store.
	Env      []string
	bin      string
	storeDir string
	worker   *exec.Cmd
	down     func()
}

// StackConfig says where things are and how the worker runs.
type StackConfig struct {
	Bin, Tools, State string // bin/ (distroscope, distroscope-worker), the temporal binary's folder, the state folder
	Queue, StoreDir   string
	LogLevel          string
	ExtraEnv          []string // more worker environment ("GODEBUG=...")
}

// StartStack starts Temporal, then the worker (its log in State/worker.log).
func StartStack(c StackConfig) (*Stack, error) {
	repoRoot := filepath.Dir(c.Bin)
	tstate := filepath.Join(c.State, "temporal")
	port, ui := FreePort(), FreePort()
	script := filepath.Join(repoRoot, "scripts", "stack.sh")
	start := exec.Command("bash", script, "temporal", tstate, strconv.Itoa(port), strconv.Itoa(ui))
	start.Env = append(os.Environ(), "BIN_DIR="+c.Tools)
	if out, err := start.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("start Temporal: %v: %s", err, out)
	}
	s := &Stack{bin: c.Bin, storeDir: c.StoreDir, down: func() { exec.Command("bash", script, "down", tstate).Run() }}
	s.Env = append(os.Environ(),
		"TEMPORAL_ADDRESS=127.0.0.1:"+strconv.Itoa(port),
		"DISTROSCOPE_TASK_QUEUE="+c.Queue,
		"DISTROSCOPE_STORE="+c.StoreDir,
		"DISTROSCOPE_TEMP_DIR="+c.State,
		"DISTROSCOPE_LOG_LEVEL="+c.LogLevel,
		"DISTROSCOPE_UI_URL=http://127.0.0.1:"+strconv.Itoa(ui),
	)
	wlog, err := os.Create(filepath.Join(c.State, "worker.log"))
	if err != nil {
		s.down()
		return nil, err
	}
	s.worker = exec.Command(filepath.Join(c.Bin, "distroscope-worker"))
	s.worker.Env = append(s.Env, c.ExtraEnv...)
	s.worker.Stdout, s.worker.Stderr = wlog, wlog
	err = s.worker.Start()
	wlog.Close() // the worker holds its own descriptor
	if err != nil {
		s.down()
		return nil, err
	}
	return s, nil
}

// TimeCLI runs `distroscope args...` runs+1 times and returns the median
// wall time of all but the first, which pays the worker's connection and
// cache set-up that a running service has already paid. Before each run
// the store's folders named in clear are removed; each run's output must
// hold want (a run that did something else measured the wrong thing).
func (s *Stack) TimeCLI(args []string, runs int, clear []string, want string) (time.Duration, error) {
	var times []time.Duration
	for i := 0; i <= runs; i++ {
		for _, sub := range clear {
			os.RemoveAll(filepath.Join(s.storeDir, sub))
		}
		cmd := exec.Command(filepath.Join(s.bin, "distroscope"), args...)
		cmd.Env = s.Env
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		start := time.Now()
		err := cmd.Run()
		took := time.Since(start)
		if err != nil {
			return 0, fmt.Errorf("%v:\n%s", err, out.String())
		}
		if !strings.Contains(out.String(), want) {
			return 0, fmt.Errorf("the CLI's output has no %q:\n%s", want, out.String())
		}
		if i > 0 {
			times = append(times, took)
		}
	}
	return Median(times), nil
}

// WorkerPeakRSS is the worker's peak resident set size so far.
func (s *Stack) WorkerPeakRSS() (int64, error) { return PeakRSS(strconv.Itoa(s.worker.Process.Pid)) }

// Stop drains the worker (SIGINT) and stops Temporal.
func (s *Stack) Stop() {
	s.worker.Process.Signal(os.Interrupt)
	s.worker.Wait()
	s.down()
}
