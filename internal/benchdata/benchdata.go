// Package benchdata gives the parser benchmarks of every format one
// realistic input: the full Debian bookworm main/amd64 index that apt keeps
// on this machine, which each format's benchmark renders into its own
// format. It also measures process CPU time, the figure the benchmarks
// report because the machine is shared and wall time swings with its load.
package benchdata

import (
	"io"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/pierrec/lz4/v4"

	"github.com/distroscope/distroscope/internal/testenv"
)

// DebianIndex opens the decompressed bookworm main/amd64 index apt keeps
// after "apt-get update" (testenv.AptLists), or skips the benchmark when
// the machine has none (fails it under CI: testenv.Require). The file is
// closed when the test ends.
func DebianIndex(tb testing.TB) (r io.Reader, path string) {
	tb.Helper()
	path = testenv.Require(tb, testenv.AptLists)
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { f.Close() })
	return lz4.NewReader(f), path
}

// ProcessCPUTime is the CPU time (user + system) the process has used.
func ProcessCPUTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// ReportPackages reports a parser benchmark's rates for pkgs packages and
// bytes of input per iteration: pkgs/op and pkgs/s over wall time, and
// cpu-MB/s and cpu-pkgs/s over the CPU time the process spent since
// ProcessCPUTime returned cpu0 — the steadier figures on a shared machine.
func ReportPackages(b *testing.B, cpu0 time.Duration, bytes int64, pkgs int) {
	b.ReportMetric(float64(pkgs), "pkgs/op")
	b.ReportMetric(float64(pkgs)*float64(b.N)/b.Elapsed().Seconds(), "pkgs/s")
	if cpu := ProcessCPUTime(b) - cpu0; cpu > 0 {
		b.ReportMetric(float64(bytes)*float64(b.N)/1e6/cpu.Seconds(), "cpu-MB/s")
		b.ReportMetric(float64(pkgs)*float64(b.N)/cpu.Seconds(), "cpu-pkgs/s")
	}
}
