package deb

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/distroscope/distroscope/internal/benchdata"
)

// decompressFullIndex writes the full index to a temporary file, or skips.
func decompressFullIndex(tb testing.TB) string {
	tb.Helper()
	index, indexPath := benchdata.DebianIndex(tb)
	path := filepath.Join(tb.TempDir(), "Packages")
	out, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := io.Copy(out, index); err != nil {
		tb.Fatalf("decompress %s: %v", indexPath, err)
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
	cpu0 := benchdata.ProcessCPUTime(b)
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
	if cpu := benchdata.ProcessCPUTime(b) - cpu0; cpu > 0 {
		b.ReportMetric(float64(st.Size())*float64(b.N)/1e6/cpu.Seconds(), "cpu-MB/s")
	}
}
