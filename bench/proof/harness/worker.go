package harness

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// WorkerConfig is how a worker binary is started: the same binary and
// environment each time, so a restart is the same worker.
type WorkerConfig struct {
	Bin string
	Env []string
	// Log collects every start's output (appended); nil discards it.
	Log io.Writer
}

// Worker is a running worker binary.
type Worker struct {
	cmd    *exec.Cmd
	exited chan struct{}
	out    *tail
}

// StartWorker starts the worker and waits until it polls its task queue
// (it logs "Started Worker"), at most 30 s.
func StartWorker(c WorkerConfig) (*Worker, error) {
	w := &Worker{cmd: exec.Command(c.Bin), exited: make(chan struct{}), out: &tail{started: make(chan struct{})}}
	w.cmd.Env = c.Env
	var out io.Writer = w.out
	if c.Log != nil {
		out = io.MultiWriter(c.Log, w.out)
	}
	w.cmd.Stdout, w.cmd.Stderr = out, out
	if err := w.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the worker %s: %w", c.Bin, err)
	}
	go func() {
		w.cmd.Wait()
		close(w.exited)
	}()
	select {
	case <-w.out.started:
		return w, nil
	case <-w.exited:
		return nil, fmt.Errorf("the worker exited at start: %v\n%s", w.cmd.ProcessState, w.out.String())
	case <-time.After(30 * time.Second):
		w.Kill()
		return nil, fmt.Errorf("the worker did not start polling within 30 s:\n%s", w.out.String())
	}
}

// Pid is the worker's process ID.
func (w *Worker) Pid() int { return w.cmd.Process.Pid }

// Kill ends the worker with SIGKILL — no drain, nothing reported to the
// server — and waits for it to exit.
func (w *Worker) Kill() {
	w.cmd.Process.Signal(syscall.SIGKILL)
	<-w.exited
}

// Stop asks the worker to drain and stop (SIGINT), and kills it after 30 s.
func (w *Worker) Stop() {
	w.cmd.Process.Signal(os.Interrupt)
	select {
	case <-w.exited:
	case <-time.After(30 * time.Second):
		w.Kill()
	}
}

// Output is the last 64 KB the worker wrote.
func (w *Worker) Output() string { return w.out.String() }

// tail keeps the last 64 KB written and closes started when the worker
// says it polls.
type tail struct {
	mu      sync.Mutex
	buf     []byte
	started chan struct{}
	once    sync.Once
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if bytes.Contains(t.buf, []byte("Started Worker")) {
		t.once.Do(func() { close(t.started) })
	}
	if len(t.buf) > 64<<10 {
		t.buf = append([]byte(nil), t.buf[len(t.buf)-32<<10:]...)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
