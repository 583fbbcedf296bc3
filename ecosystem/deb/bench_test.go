package deb

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
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

// BenchmarkPackagesReaderManyFields reads stanzas of n fields without a
// column, up to MaxFields: the time per field must stay flat as n grows (the
// duplicate check was quadratic: 40,000 fields took 7 s).
func BenchmarkPackagesReaderManyFields(b *testing.B) {
	for _, n := range []int{8, 64, MaxFields - 3} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			stanza := "Package: many\nVersion: 1\nArchitecture: all\n" + manyFields(n) + "\n"
			input := strings.Repeat(stanza, 200)
			b.SetBytes(int64(len(input)))
			for b.Loop() {
				pr := NewPackagesReader(strings.NewReader(input), "many")
				for {
					_, err := pr.Next()
					if err == io.EOF {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(200*n), "ns/field")
		})
	}
}
