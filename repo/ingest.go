package repo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"sync/atomic"

	"github.com/distroscope/distroscope/datasets"
)

// DefaultMaxUncompressed bounds an index whose Release lists no plain size:
// Debian's largest Packages file is ~70 MB, so 1 GiB leaves room for any
// real archive while stopping a decompression bomb.
const DefaultMaxUncompressed = 1 << 30

// Progress is reported while an index streams through.
type Progress struct {
	Index           string
	CompressedBytes int64
	Rows            int64
}

// IngestResult is what one index gave.
type IngestResult struct {
	Index             string      `json:"index"`
	URL               string      `json:"url"`
	Path              string      `json:"path"`
	Compression       Compression `json:"compression"`
	CompressedBytes   int64       `json:"compressed_bytes"`
	SHA256            string      `json:"sha256"`
	UncompressedBytes int64       `json:"uncompressed_bytes"`
	Rows              int64       `json:"rows"`
	ParquetBytes      int64       `json:"parquet_bytes"`
}

// IngestOptions tune Ingest.
type IngestOptions struct {
	RowGroupRows    int
	MaxUncompressed int64
	// OnProgress is called from the parsing goroutine every few thousand
	// rows; it must be quick.
	OnProgress func(Progress)
}

// Ingest streams one index from the mirror into a Parquet file written to
// out: fetch → size/SHA256 check → decompress → uncompressed size check →
// parse (the format's ParseFunc) → rows. Fetching and decompression run in one goroutine,
// parsing in another, Parquet encoding in a third, so on two cores the stages
// overlap. Candidates are tried in order while the mirror answers "not
// found". Any mismatch fails with ErrCorrupt and the caller must discard out.
func Ingest(ctx context.Context, f *Fetcher, ix Index, parse ParseFunc, out io.Writer, opts IngestOptions) (IngestResult, error) {
	var lastErr error
	for _, c := range ix.Candidates {
		res, err := ingestCandidate(ctx, f, ix, c, parse, out, opts)
		if errors.Is(err, ErrNotFound) && res.Rows == 0 {
			lastErr = err
			continue
		}
		return res, err
	}
	if lastErr == nil {
		lastErr = fmt.Errorf("repo: %s: no candidates", ix.Name())
	}
	return IngestResult{}, lastErr
}

// errParserGone tells the fetch stage that the parse stage stopped reading.
var errParserGone = errors.New("repo: parser stopped")

// hashCounter hashes and counts what passes through, and remembers the
// first error of the reader below it — for the fetched stream, the
// transport's — so a failure can be told apart from a bad file.
type hashCounter struct {
	r   io.Reader
	h   hash.Hash
	n   atomic.Int64
	err error
}

func (hc *hashCounter) Read(p []byte) (int, error) {
	n, err := hc.r.Read(p)
	if n > 0 {
		if hc.h != nil {
			hc.h.Write(p[:n])
		}
		hc.n.Add(int64(n))
	}
	if err != nil && err != io.EOF && hc.err == nil {
		hc.err = err
	}
	return n, err
}

func ingestCandidate(ctx context.Context, f *Fetcher, ix Index, c Candidate, parse ParseFunc, out io.Writer, opts IngestOptions) (IngestResult, error) {
	res := IngestResult{Index: ix.Name(), URL: c.URL, Path: c.Path, Compression: c.Compression}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	body, announced, err := f.Open(ctx, c.URL)
	if err != nil {
		return res, err
	}
	defer body.Close()
	if announced >= 0 && announced != c.Size {
		return res, corrupt(fmt.Errorf("repo: %s: mirror sends %d bytes, the Release says %d", c.URL, announced, c.Size))
	}
	// Never read past the size the signed Release gives.
	compressed := &hashCounter{r: io.LimitReader(body, c.Size+1), h: sha256.New()}

	maxPlain := opts.MaxUncompressed
	if maxPlain <= 0 {
		maxPlain = DefaultMaxUncompressed
	}
	if ix.UncompressedSize > 0 {
		maxPlain = ix.UncompressedSize
	}

	// Stage 1: fetch + verify + decompress into a buffered pipe.
	pipe := newChunkPipe(8, 1<<20)
	// The decompressed stream is counted but not hashed: the bytes fetched
	// were verified against the signed Release, and decompression is
	// deterministic (gzip and xz also carry their own checksums), so a second
	// SHA256 over ~65 MB would cost a tenth of the ingest and prove nothing
	// more. Its size is still checked — that is the decompression-bomb guard.
	plain := &hashCounter{}
	stage1 := make(chan error, 1)
	go func() {
		err := func() error {
			// A read error of the transport (reset, timeout, cancelled) is
			// worth retrying; any other decoding error means a bad file.
			transport := func(err error) error {
				if compressed.err != nil {
					return fmt.Errorf("repo: %s: fetch: %w", c.URL, compressed.err)
				}
				return err
			}
			dr, closeDec, err := decompressor(c.Compression, compressed)
			if err != nil {
				return transport(fmt.Errorf("repo: %s: %w", c.URL, err))
			}
			defer closeDec()
			plain.r = io.LimitReader(dr, maxPlain+1)
			for {
				buf := pipe.buffer()
				if buf == nil {
					return errParserGone // the parser failed; its error is the one to report
				}
				n, rerr := io.ReadFull(plain, buf)
				if n > 0 && !pipe.send(buf[:n]) {
					return errParserGone
				}
				if compressed.err != nil {
					return transport(nil)
				}
				if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
					break // a short file is caught by the size and hash checks below
				}
				if rerr != nil {
					return corrupt(fmt.Errorf("repo: %s: decompress: %w", c.URL, rerr))
				}
			}
			// Drain the compressed stream so its hash covers every byte
			// (a decoder may stop before trailing padding).
			if _, err := io.Copy(io.Discard, compressed); err != nil {
				return fmt.Errorf("repo: %s: fetch: %w", c.URL, err)
			}
			if n := compressed.n.Load(); n != c.Size {
				return corrupt(fmt.Errorf("repo: %s: got %d bytes, the Release says %d", c.URL, n, c.Size))
			}
			if got := hex.EncodeToString(compressed.h.Sum(nil)); got != c.SHA256 {
				return corrupt(fmt.Errorf("repo: %s: SHA256 %s does not match the Release's %s", c.URL, got, c.SHA256))
			}
			n := plain.n.Load()
			if n > maxPlain {
				return corrupt(fmt.Errorf("repo: %s: decompresses to more than %d bytes (the Release's size for %s, or the limit)", c.URL, maxPlain, ix.Name()))
			}
			if ix.UncompressedSize > 0 && n != ix.UncompressedSize {
				return corrupt(fmt.Errorf("repo: %s: decompresses to %d bytes, the Release says %d", c.URL, n, ix.UncompressedSize))
			}
			return nil
		}()
		pipe.closeWrite(err)
		stage1 <- err
	}()

	// Stage 3: Parquet encoding, fed batches of rows.
	batches := make(chan []datasets.PackageRow, 4)
	free := make(chan []datasets.PackageRow, 6)
	const batchRows = 1024
	for range 6 {
		free <- make([]datasets.PackageRow, 0, batchRows)
	}
	w := datasets.NewWriter(out, datasets.Packages, datasets.ComparePackageRows, opts.RowGroupRows)
	stage3 := make(chan error, 1)
	go func() {
		var werr error
		for b := range batches {
			if werr == nil {
				for i := range b {
					if werr = w.Write(&b[i]); werr != nil {
						break
					}
				}
			}
			clear(b)
			free <- b[:0]
		}
		if werr == nil {
			werr = w.Close()
		}
		stage3 <- werr
	}()

	// Stage 2 (this goroutine): parse.
	parseErr := func() error {
		defer close(batches)
		batch := <-free
		emit := func(row *datasets.PackageRow) error {
			row.Component, row.IndexArchitecture = ix.Component, ix.Architecture
			batch = append(batch, *row)
			res.Rows++
			if len(batch) == cap(batch) {
				select {
				case batches <- batch:
				case <-ctx.Done():
					return ctx.Err()
				}
				batch = <-free
				if opts.OnProgress != nil && res.Rows%(8*batchRows) == 0 {
					opts.OnProgress(Progress{Index: ix.Name(), CompressedBytes: compressed.n.Load(), Rows: res.Rows})
				}
			}
			return nil
		}
		if err := parse(ctx, pipe, c.URL, ix, emit); err != nil {
			if ctx.Err() != nil || errors.Is(err, ErrCorrupt) {
				return err
			}
			return corrupt(fmt.Errorf("repo: %w", err))
		}
		if len(batch) > 0 {
			batches <- batch
		}
		return nil
	}()
	if parseErr != nil {
		pipe.closeRead(parseErr)
	}
	err1 := <-stage1
	err3 := <-stage3
	// The stream's own verdict wins: a parse error on a truncated or
	// tampered file is reported as the hash mismatch it really is.
	for _, err := range []error{err1, parseErr, err3} {
		if err != nil && err != errParserGone {
			return res, err
		}
	}
	res.CompressedBytes = compressed.n.Load()
	res.SHA256 = c.SHA256
	res.UncompressedBytes = plain.n.Load()
	res.ParquetBytes = w.Bytes()
	if opts.OnProgress != nil {
		opts.OnProgress(Progress{Index: ix.Name(), CompressedBytes: res.CompressedBytes, Rows: res.Rows})
	}
	return res, nil
}
