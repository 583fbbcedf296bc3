package deb

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/pierrec/lz4/v4"
)

// fullIndexGlob finds the full bookworm main/amd64 Packages index that apt
// keeps after "apt-get update" (lz4-compressed).
const fullIndexGlob = "/var/lib/apt/lists/*bookworm_main_binary-amd64_Packages.lz4"

// decompressFullIndex writes the full index to a temporary file, or skips.
func decompressFullIndex(tb testing.TB) string {
	tb.Helper()
	matches, _ := filepath.Glob(fullIndexGlob)
	if len(matches) == 0 {
		tb.Skipf("no %s: run apt-get update on a Debian bookworm machine", fullIndexGlob)
	}
	in, err := os.Open(matches[0])
	if err != nil {
		tb.Fatal(err)
	}
	defer in.Close()
	path := filepath.Join(tb.TempDir(), "Packages")
	out, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := io.Copy(out, lz4.NewReader(in)); err != nil {
		tb.Fatalf("decompress %s: %v", matches[0], err)
	}
	if err := out.Close(); err != nil {
		tb.Fatal(err)
	}
	return path
}

func BenchmarkPackagesReader(b *testing.B) {
	path := decompressFullIndex(b)
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(st.Size())
	b.ReportAllocs()
	cpu0 := processCPUTime(b)
	for b.Loop() {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		pr := NewPackagesReader(f, "main/binary-amd64/Packages")
		n := 0
		for {
			_, err := pr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		f.Close()
		if n == 0 {
			b.Fatal("no packages")
		}
		b.ReportMetric(float64(n), "stanzas/op")
	}
	// The machine is shared, so wall time swings with the load; the CPU time
	// the process spent (parsing and its garbage collection) does not.
	if cpu := processCPUTime(b) - cpu0; cpu > 0 {
		b.ReportMetric(float64(st.Size())*float64(b.N)/1e6/cpu.Seconds(), "cpu-MB/s")
	}
}

func processCPUTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
