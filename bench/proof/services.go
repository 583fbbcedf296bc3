package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/distroscope/distroscope/bench/internal/measure"
	"github.com/distroscope/distroscope/bench/proof/harness"
)

// services starts what the proof runs against, each under its own state
// folder with the repository's scripts, and stops them at the end.
type services struct {
	repoRoot, tools, state string
	stops                  []func()
}

func (s *services) stop() {
	for i := len(s.stops) - 1; i >= 0; i-- {
		s.stops[i]()
	}
}

func (s *services) script(name string, args ...string) error {
	cmd := exec.Command("bash", append([]string{filepath.Join(s.repoRoot, "scripts", name)}, args...)...)
	cmd.Env = append(os.Environ(), "BIN_DIR="+s.tools)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("scripts/%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return nil
}

// temporalServer is a Temporal dev server with its database in a file,
// which the proof stops and starts again on the same ports and file.
type temporalServer struct {
	s         *services
	state     string
	port, ui  int
	startedAt time.Time
}

func (t *temporalServer) addr() string { return "127.0.0.1:" + strconv.Itoa(t.port) }

func (s *services) temporal() (*temporalServer, error) {
	t := &temporalServer{s: s, state: filepath.Join(s.state, "temporal"), port: measure.FreePort(), ui: measure.FreePort()}
	if err := t.start(); err != nil {
		return nil, err
	}
	s.stops = append(s.stops, func() { s.script("stack.sh", "down", t.state) })
	fmt.Printf("Temporal dev server on %s (database %s)\n", t.addr(), filepath.Join(t.state, "temporal.db"))
	return t, nil
}

func (t *temporalServer) start() error {
	return t.s.script("stack.sh", "temporal", t.state, strconv.Itoa(t.port), strconv.Itoa(t.ui))
}

// stop ends the server with sig and waits for it to be gone.
func (t *temporalServer) stop(sig syscall.Signal) error {
	pidFile := filepath.Join(t.state, "temporal.pid")
	data, err := os.ReadFile(pidFile)
	if err != nil {
		return err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		return fmt.Errorf("%s: %w", pidFile, err)
	}
	if err := syscall.Kill(pid, sig); err != nil {
		return fmt.Errorf("signal Temporal (pid %d): %w", pid, err)
	}
	for deadline := time.Now().Add(30 * time.Second); alive(pid); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			return fmt.Errorf("Temporal (pid %d) still running 30 s after %v", pid, sig)
		}
	}
	return os.Remove(pidFile)
}

// alive: the process exists and is not a zombie (the server is not this
// program's child, and PID 1 may be slow to reap it).
func alive(pid int) bool {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	_, rest, _ := strings.Cut(string(data), ") ")
	return !strings.HasPrefix(rest, "Z") && !strings.HasPrefix(rest, "X")
}

// s3Server is an S3 endpoint the proof started, and the proxy of the pass
// running on it.
type s3Server struct {
	name, endpoint, region, accessKey, secretKey string
	proxy                                        *harness.S3Proxy
}

// s3 starts MinIO (scripts/stack.sh) or a single-node Ceph RGW
// (scripts/ceph-rgw.sh) on free ports, each with fresh credentials.
func (s *services) s3(name string) (s3Server, error) {
	port := strconv.Itoa(measure.FreePort())
	switch name {
	case "minio":
		dir := filepath.Join(s.state, "minio")
		if err := s.script("stack.sh", "minio", dir, port); err != nil {
			return s3Server{}, err
		}
		s.stops = append(s.stops, func() { s.script("stack.sh", "down", dir) })
		return s3Env(name, filepath.Join(dir, "minio.env"), "DISTROSCOPE_TEST_MINIO_", "us-east-1")
	case "rgw":
		dir := filepath.Join(s.state, "rgw")
		// The mon listens on the port after RGW's: find two free in a row.
		for !free(port, 1) {
			port = strconv.Itoa(measure.FreePort())
		}
		if err := s.script("ceph-rgw.sh", "start", dir, port); err != nil {
			return s3Server{}, err
		}
		s.stops = append(s.stops, func() { s.script("ceph-rgw.sh", "stop", dir) })
		return s3Env(name, filepath.Join(dir, "rgw.env"), "DISTROSCOPE_TEST_RGW_", "default")
	}
	return s3Server{}, fmt.Errorf("-stores: %q is neither minio nor rgw", name)
}

// free says whether port+off is free on 127.0.0.1.
func free(port string, off int) bool {
	p, _ := strconv.Atoi(port)
	if p+off > 65534 {
		return false
	}
	l, err := netListen(p + off)
	if err != nil {
		return false
	}
	l.Close()
	return true
}

// s3Env reads the endpoint and credentials a script wrote.
func s3Env(name, file, prefix, region string) (s3Server, error) {
	f, err := os.Open(file)
	if err != nil {
		return s3Server{}, err
	}
	defer f.Close()
	s := s3Server{name: name, region: region}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), "=")
		switch k {
		case prefix + "ENDPOINT":
			s.endpoint = v
		case prefix + "ACCESS_KEY":
			s.accessKey = v
		case prefix + "SECRET_KEY":
			s.secretKey = v
		}
	}
	if s.endpoint == "" || s.accessKey == "" || s.secretKey == "" {
		return s, fmt.Errorf("%s: no %sENDPOINT, ACCESS_KEY or SECRET_KEY", file, prefix)
	}
	fmt.Printf("%s on %s\n", name, s.endpoint)
	return s, nil
}

// quietLogger keeps the SDK's client logs (a restarting server's refused
// connections) out of the tables.
type quietLogger struct{}

func (quietLogger) Debug(string, ...any) {}
func (quietLogger) Info(string, ...any)  {}
func (quietLogger) Warn(string, ...any)  {}
func (quietLogger) Error(string, ...any) {}
