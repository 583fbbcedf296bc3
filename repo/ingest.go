package repo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path"
	"strings"
	"sync/atomic"
	"time"

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

// NoticeKind says what a Notice is about.
type NoticeKind string

const (
	// NoticeFallback: the mirror does not have a candidate (404), so the
	// next one is fetched — a mirror without by-hash/ gets the canonical
	// name this way, as apt does, verified against the same size and hash.
	NoticeFallback NoticeKind = "fallback"
	// NoticeRetry: a name that can change (not its own hash) gave other
	// bytes than the metadata promises, which a mirror in the middle of a
	// sync does for a moment, so it is fetched again after Wait.
	NoticeRetry NoticeKind = "retry"
)

// Notice is something an operator should hear of although the ingest went
// on: the index was not fetched the plain way, but what was ingested is
// still verified.
type Notice struct {
	Kind   NoticeKind    `json:"kind"`
	Index  string        `json:"index"`
	URL    string        `json:"url"`            // the candidate this is about
	Reason string        `json:"reason"`         // "404 Not Found", the mismatch
	Next   string        `json:"next,omitempty"` // fallback: the URL fetched instead
	Wait   time.Duration `json:"wait,omitempty"` // retry: the pause before fetching URL again
}

// String is the notice as one log line.
func (n Notice) String() string {
	switch n.Kind {
	case NoticeFallback:
		return fmt.Sprintf("%s: %s: %s; fetching %s instead", n.Index, n.URL, n.Reason, n.Next)
	case NoticeRetry:
		return fmt.Sprintf("%s: %s; the mirror may be in the middle of a sync, fetching it again in %s", n.Index, n.Reason, n.Wait)
	}
	return fmt.Sprintf("%s: %s: %s", n.Index, n.URL, n.Reason)
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
	// Notices are the fallbacks and retries it took to get URL, in order;
	// none when the first candidate was fetched at the first try.
	Notices []Notice `json:"notices,omitempty"`
}

// Defaults of IngestOptions' mismatch retries: four fetches, 14 s of
// pauses at most — long enough for a mirror to finish moving one suite's
// indexes into place, short enough that a file that really differs fails
// the snapshot in well under a minute.
const (
	DefaultMismatchRetries = 3
	DefaultMismatchBackoff = 2 * time.Second
)

// IngestOptions tune Ingest.
type IngestOptions struct {
	RowGroupRows    int
	MaxUncompressed int64
	// OnProgress is called from the parsing goroutine every few thousand
	// rows; it must be quick.
	OnProgress func(Progress)
	// OnNotice hears of each fallback and retry as it happens (the result
	// lists them too), e.g. to log it; it must be quick.
	OnNotice func(Notice)
	// MismatchRetries is how many times a file whose name can change is
	// fetched again after a size or hash mismatch before it counts as
	// corrupt: 0 means DefaultMismatchRetries, negative none.
	MismatchRetries int
	// MismatchBackoff is the pause before the first of those retries,
	// doubled for each next one: 0 means DefaultMismatchBackoff.
	MismatchBackoff time.Duration
	// TempDir holds the rows of a file whose name can change until its
	// bytes are verified ("" is os.TempDir()).
	TempDir string
}

// Ingest streams one index from the mirror into a Parquet file written to
// out: fetch → size/SHA256 check → decompress → uncompressed size check →
// parse (the format's ParseFunc) → rows. Fetching and decompression run in one goroutine,
// parsing in another, Parquet encoding in a third, so on two cores the stages
// overlap.
//
// Candidates are tried in order while the mirror answers "not found", each
// skip a NoticeFallback. A name that is its own hash (apt's by-hash, most
// rpm-md locations) streams straight into out, and any mismatch fails with
// ErrCorrupt. Any other name can point at new bytes while the mirror syncs:
// its rows are held in a temporary file until the bytes are verified, and a
// mismatch is fetched again (NoticeRetry, see MismatchRetries); it is
// ErrCorrupt only when every fetch mismatches and the last two agree —
// bytes still changing are a mirror still updating, an error worth
// retrying later. The caller must discard out after any error.
func Ingest(ctx context.Context, f *Fetcher, ix Index, parse ParseFunc, out io.Writer, opts IngestOptions) (IngestResult, error) {
	var notices []Notice
	notify := func(n Notice) {
		notices = append(notices, n)
		if opts.OnNotice != nil {
			opts.OnNotice(n)
		}
	}
	var lastErr error
	for i, c := range ix.Candidates {
		var res IngestResult
		var err error
		if contentAddressed(c) {
			res, err = ingestCandidate(ctx, f, ix, c, parse, out, opts)
		} else {
			res, err = ingestChangeable(ctx, f, ix, c, parse, out, opts, notify)
		}
		// Only a candidate that is missing itself is skipped: a file the
		// parser needs besides it (rpm-md's filelists) being missing is
		// reported as corrupt, and out may hold rows by then.
		if errors.Is(err, ErrNotFound) && !errors.Is(err, ErrCorrupt) {
			lastErr = err
			if i+1 < len(ix.Candidates) {
				notify(Notice{Kind: NoticeFallback, Index: ix.Name(), URL: c.URL, Reason: fetchReason(err), Next: ix.Candidates[i+1].URL})
			}
			continue
		}
		res.Notices = notices
		return res, err
	}
	if lastErr == nil {
		lastErr = fmt.Errorf("repo: %s: no candidates", ix.Name())
	}
	return IngestResult{Index: ix.Name(), Notices: notices}, lastErr
}

// contentAddressed says whether c is named by its own hash — apt's
// by-hash/SHA256/<hash>, rpm-md's <hash>-primary.xml.gz: such a name never
// points at other bytes, during a mirror sync or after, so a mismatch there
// is final.
func contentAddressed(c Candidate) bool {
	return c.SHA256 != "" && strings.Contains(strings.ToLower(path.Base(c.URL)), strings.ToLower(c.SHA256))
}

func fetchReason(err error) string {
	var fe *FetchError
	if errors.As(err, &fe) {
		return fe.Reason
	}
	return err.Error()
}

// ingestChangeable ingests c, whose name can point at other bytes from one
// moment to the next, through a temporary file, so that a mismatch leaves
// out untouched and can be fetched again (see Ingest).
func ingestChangeable(ctx context.Context, f *Fetcher, ix Index, c Candidate, parse ParseFunc, out io.Writer, opts IngestOptions, notify func(Notice)) (IngestResult, error) {
	retries, wait := opts.MismatchRetries, opts.MismatchBackoff
	if retries == 0 {
		retries = DefaultMismatchRetries
	}
	if wait <= 0 {
		wait = DefaultMismatchBackoff
	}
	spool, err := os.CreateTemp(opts.TempDir, "distroscope-ingest-*.parquet")
	if err != nil {
		return IngestResult{}, fmt.Errorf("repo: %s: %w", ix.Name(), err)
	}
	defer os.Remove(spool.Name())
	defer spool.Close()
	start := time.Now()
	var prev *mismatchError
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			if _, err := spool.Seek(0, io.SeekStart); err != nil {
				return IngestResult{}, fmt.Errorf("repo: %s: %w", ix.Name(), err)
			}
			if err := spool.Truncate(0); err != nil {
				return IngestResult{}, fmt.Errorf("repo: %s: %w", ix.Name(), err)
			}
		}
		res, err := ingestCandidate(ctx, f, ix, c, parse, spool, opts)
		var mm *mismatchError
		if !errors.As(err, &mm) {
			if err != nil {
				return res, err
			}
			if _, err := spool.Seek(0, io.SeekStart); err != nil {
				return res, fmt.Errorf("repo: %s: %w", ix.Name(), err)
			}
			if _, err := io.Copy(out, spool); err != nil {
				return res, fmt.Errorf("repo: %s: write rows: %w", ix.Name(), err)
			}
			return res, nil
		}
		if attempt >= retries {
			if prev != nil && prev.got != mm.got {
				return res, fmt.Errorf("repo: %s changes from one fetch to the next (%s, then %s) while the metadata expects %s: the mirror is updating; try again later",
					c.URL, prev.got, mm.got, mm.want)
			}
			if attempt == 0 {
				return res, mm
			}
			return res, fmt.Errorf("%w (the same on %d fetches over %s)", mm, attempt+1, time.Since(start).Round(time.Second))
		}
		notify(Notice{Kind: NoticeRetry, Index: ix.Name(), URL: c.URL, Reason: mm.Error(), Wait: wait})
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return res, fmt.Errorf("repo: %s: waiting to fetch it again: %w", c.URL, ctx.Err())
		case <-t.C:
		}
		wait *= 2
		prev = mm
	}
}

// mismatchError is a fetched file that is not the one the metadata vouches
// for: another size or SHA256. It is ErrCorrupt; got and want, the sizes or
// hashes, tell one mismatch from the next.
type mismatchError struct {
	msg       string
	got, want string
}

func (e *mismatchError) Error() string { return e.msg }
func (e *mismatchError) Unwrap() error { return ErrCorrupt }

func sizeMismatch(url, how string, got, want int64) error {
	return &mismatchError{
		msg: fmt.Sprintf("repo: %s: %s %d bytes, expected %d", url, how, got, want),
		got: fmt.Sprintf("%d bytes", got), want: fmt.Sprintf("%d bytes", want),
	}
}

func hashMismatch(url, got, want string) error {
	return &mismatchError{
		msg: fmt.Sprintf("repo: %s: SHA256 %s does not match the expected %s", url, got, want),
		got: "SHA256 " + got, want: "SHA256 " + want,
	}
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
		return res, sizeMismatch(c.URL, "mirror sends", announced, c.Size)
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
			// The bytes' own verdict wins: a file that fails to decompress
			// or to parse but is not the one the metadata vouches for is
			// reported as the mismatch it is (a mirror mid-sync, a damaged
			// copy) rather than as how it failed. So the rest is drained
			// and checked before any other error is returned.
			verify := func() error {
				if compressed.err != nil {
					return transport(nil)
				}
				if _, err := io.Copy(io.Discard, compressed); err != nil {
					return fmt.Errorf("repo: %s: fetch: %w", c.URL, err)
				}
				if n := compressed.n.Load(); n != c.Size {
					return sizeMismatch(c.URL, "got", n, c.Size)
				}
				if got := hex.EncodeToString(compressed.h.Sum(nil)); got != c.SHA256 {
					return hashMismatch(c.URL, got, c.SHA256)
				}
				return nil
			}
			dr, closeDec, err := decompressor(c.Compression, compressed)
			if err != nil {
				if verr := verify(); verr != nil {
					return verr
				}
				return transport(fmt.Errorf("repo: %s: %w", c.URL, err))
			}
			defer closeDec()
			plain.r = io.LimitReader(dr, maxPlain+1)
			for {
				buf := pipe.buffer()
				if buf == nil {
					// The parser failed; its error is the one to report
					// unless the bytes were wrong.
					if verr := verify(); verr != nil {
						return verr
					}
					return errParserGone
				}
				n, rerr := io.ReadFull(plain, buf)
				if n > 0 && !pipe.send(buf[:n]) {
					if verr := verify(); verr != nil {
						return verr
					}
					return errParserGone
				}
				if compressed.err != nil {
					return transport(nil)
				}
				if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
					break // a short file is caught by the size and hash checks below
				}
				if rerr != nil {
					if verr := verify(); verr != nil {
						return verr
					}
					return corrupt(fmt.Errorf("repo: %s: decompress: %w", c.URL, rerr))
				}
			}
			// Drain the compressed stream so its hash covers every byte
			// (a decoder may stop before trailing padding).
			if err := verify(); err != nil {
				return err
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
