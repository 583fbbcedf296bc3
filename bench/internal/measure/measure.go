// Package measure holds what the benchmark programs (bench/snapshot,
// bench/compare) measure with: a process's peak RSS, the median of runs,
// and a free loopback port for the services they start.
package measure

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"
)

// PeakRSS reads VmHWM, the peak resident set size in bytes, of a process:
// pid is a number or "self".
func PeakRSS(pid string) (int64, error) {
	f, err := os.Open("/proc/" + pid + "/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no VmHWM for pid %s", pid)
}

// Median of ds (the upper one of an even count); ds is not modified.
func Median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// FreePort is a TCP port free on 127.0.0.1 at the time of the call.
func FreePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// CPUProfile profiles the process into the file BENCH_CPUPROFILE names,
// when it is set, until the returned stop is called (a no-op otherwise):
// the benchmarks' children profile themselves this way.
func CPUProfile() (stop func(), err error) {
	path := os.Getenv("BENCH_CPUPROFILE")
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
