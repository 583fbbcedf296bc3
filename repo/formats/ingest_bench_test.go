package formats_test

import (
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/distroscope/distroscope/internal/benchdata"
	"github.com/distroscope/distroscope/repo"
	"github.com/distroscope/distroscope/repo/formats"
)

// BenchmarkIngestApt ingests the machine's real Debian index (gzipped, as
// a mirror serves it, from 127.0.0.1) into Parquet: the whole pipeline of
// repo.Ingest with the apt parser, including the plain file's SHA256 and
// the UTF-8 and size bounds every row goes through.
func BenchmarkIngestApt(b *testing.B) {
	index, _ := benchdata.DebianIndex(b)
	plain, err := io.ReadAll(index)
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	gz, err := os.Create(filepath.Join(dir, "Packages.gz"))
	if err != nil {
		b.Fatal(err)
	}
	zw := gzip.NewWriter(gz)
	zw.Write(plain)
	zw.Close()
	gz.Close()
	data, err := os.ReadFile(filepath.Join(dir, "Packages.gz"))
	if err != nil {
		b.Fatal(err)
	}
	ix := handmade(b, map[string][]byte{"Packages.gz": data}, "Packages.gz", "gz")
	ix.UncompressedSize, ix.UncompressedSHA256 = int64(len(plain)), hashOf(plain)
	b.SetBytes(int64(len(plain)))
	cpu0 := benchdata.ProcessCPUTime(b)
	var rows int64
	for b.Loop() {
		res, err := repo.Ingest(b.Context(), repo.DefaultFetcher(), ix, formats.Apt{}.Parse, io.Discard, repo.IngestOptions{})
		if err != nil {
			b.Fatal(err)
		}
		rows = res.Rows
	}
	benchdata.ReportPackages(b, cpu0, int64(len(plain)), int(rows))
}
