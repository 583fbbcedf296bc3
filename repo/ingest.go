package repo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"maps"
	"os"
	"path"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/distroscope/distroscope/datasets"
)

// DefaultMaxUncompressed bounds what one index decompresses to when
// IngestOptions.MaxUncompressed does not say: Debian's largest Packages file
// is ~70 MB and Arch's largest database a few hundred MB, so 1 GiB leaves
// room for any real archive while stopping a decompression bomb within
// seconds. The size the metadata gives the plain file can only lower the
// limit: a Release that declared 4.36 GB once let a bomb commit 2.2 M rows.
const DefaultMaxUncompressed = 1 << 30

// DefaultMaxRowGroupBytes bounds the text of the rows buffered for one row
// group when IngestOptions.MaxRowGroupBytes does not say. A row group of a
// real index (4Ki rows of ~700 bytes) holds ~3 MB, far below it; a thousand
// stanzas of 900 KB once took a worker to 2 GB, buffered for one row group.
// Together with the batches between the parser and the writer (at most
// maxBatchBytes each, six of them) and the readers' own bounds it keeps an
// ingest within the worker's 150 MB whatever the input.
const DefaultMaxRowGroupBytes = 8 << 20

// maxBatchBytes bounds the text of one batch of rows passed from the parser
// to the Parquet writer (and batchRows their number).
const (
	maxBatchBytes = 1 << 20
	batchRows     = 1024
)

// maxUncompressedKey carries the decompression limit to the ParseFunc.
type maxUncompressedKey struct{}

// MaxUncompressed is the limit on what the index being ingested may
// decompress to, from the context Ingest passes its ParseFunc: formats whose
// parser decompresses the index itself (APKINDEX's gzip members, pacman
// databases, which Ingest passes through undecoded) bound it with this. It is
// DefaultMaxUncompressed outside an ingest.
func MaxUncompressed(ctx context.Context) int64 {
	if n, ok := ctx.Value(maxUncompressedKey{}).(int64); ok && n > 0 {
		return n
	}
	return DefaultMaxUncompressed
}

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
	// NoticeInvalidUTF8: some rows held text that is not UTF-8, which was
	// read as Latin-1 (see IngestResult.InvalidUTF8Rows).
	NoticeInvalidUTF8 NoticeKind = "invalid_utf8"
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
	case NoticeInvalidUTF8:
		return fmt.Sprintf("%s: %s: %s", n.Index, n.URL, n.Reason)
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
	// InvalidUTF8Rows counts the rows that held text that is not UTF-8,
	// InvalidUTF8Fields their fields that did (one per column of a row),
	// and InvalidUTF8Columns names those columns: that text was read as
	// Latin-1 (see validUTF8), so it is stored readable but may not be
	// what the repository meant.
	InvalidUTF8Rows    int64    `json:"invalid_utf8_rows,omitempty"`
	InvalidUTF8Fields  int64    `json:"invalid_utf8_fields,omitempty"`
	InvalidUTF8Columns []string `json:"invalid_utf8_columns,omitempty"`
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
	RowGroupRows int
	// MaxUncompressed bounds what the index decompresses to: 0 means
	// DefaultMaxUncompressed. The size the metadata gives the plain file
	// can only lower it.
	MaxUncompressed int64
	// MaxRowGroupBytes bounds the bytes of rows buffered for one row
	// group: 0 means DefaultMaxRowGroupBytes.
	MaxRowGroupBytes int64
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
// out: fetch → size/SHA256 check → decompress → uncompressed size and
// SHA256 check → parse (the format's ParseFunc) → rows. Fetching and
// decompression run in one goroutine, parsing in another, Parquet encoding
// in a third, so on two cores the stages overlap.
//
// Whatever the input, it is bounded: what an index decompresses to by
// MaxUncompressed (lowered, never raised, by the size the metadata gives),
// the rows held between the stages and for a row group by bytes as well as
// by count, each stanza by its reader. Text that is not UTF-8 in any column
// is read as Latin-1 (counted in InvalidUTF8Rows, and a NoticeInvalidUTF8):
// Parquet's strings are UTF-8, and one invalid byte made DuckDB refuse
// every query that read the column.
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
		if err == nil && res.InvalidUTF8Rows > 0 {
			notify(Notice{Kind: NoticeInvalidUTF8, Index: ix.Name(), URL: res.URL, Reason: invalidUTF8Reason(res)})
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
	limit := opts.MaxUncompressed
	if limit <= 0 {
		limit = DefaultMaxUncompressed
	}
	if ix.UncompressedSize > limit {
		// Nothing real is that large: refused before a byte is fetched.
		return res, corrupt(fmt.Errorf("repo: %s: the metadata says %s decompresses to %d bytes, more than the limit of %d",
			c.URL, ix.Name(), ix.UncompressedSize, limit))
	}
	maxPlain := limit
	if ix.UncompressedSize > 0 {
		maxPlain = ix.UncompressedSize
	}
	// A plain file is its own uncompressed form: its SHA256 was checked.
	plainSHA256 := ix.UncompressedSHA256
	if c.Compression == "" {
		plainSHA256 = ""
	}
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

	// Stage 1: fetch + verify + decompress into a buffered pipe.
	pipe := newChunkPipe(8, 1<<20)
	// The decompressed stream is counted, and hashed when the metadata
	// gives the plain file's SHA256: the compressed bytes were verified,
	// but the metadata that vouches for them may be the hostile party (a
	// third-party Release signed by its own key), and the plain size and
	// hash are what it promises the content to be. With SHA-NI this costs
	// ~40 ms per 65 MB, in the stage that waits on the network anyway.
	plain := &hashCounter{}
	if plainSHA256 != "" {
		plain.h = sha256.New()
	}
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
				if maxPlain == limit {
					return corrupt(fmt.Errorf("repo: %s: decompresses to more than the limit of %d bytes", c.URL, limit))
				}
				return corrupt(fmt.Errorf("repo: %s: decompresses to more than %d bytes, the size the metadata gives %s", c.URL, maxPlain, ix.Name()))
			}
			if ix.UncompressedSize > 0 && n != ix.UncompressedSize {
				return corrupt(fmt.Errorf("repo: %s: decompresses to %d bytes, the Release says %d", c.URL, n, ix.UncompressedSize))
			}
			if plain.h != nil {
				if got := hex.EncodeToString(plain.h.Sum(nil)); got != plainSHA256 {
					return corrupt(fmt.Errorf("repo: %s: decompresses to bytes whose SHA256 %s does not match the %s the metadata gives %s",
						c.URL, got, plainSHA256, ix.Name()))
				}
			}
			return nil
		}()
		pipe.closeWrite(err)
		stage1 <- err
	}()

	// Stage 3: Parquet encoding, fed batches of rows. Rows are bounded
	// in bytes as well as in number, in each batch and in each row group.
	rowGroupRows := opts.RowGroupRows
	if rowGroupRows <= 0 {
		rowGroupRows = datasets.DefaultRowGroupRows
	}
	maxGroupBytes := opts.MaxRowGroupBytes
	if maxGroupBytes <= 0 {
		maxGroupBytes = DefaultMaxRowGroupBytes
	}
	batches := make(chan *rowBatch, 4)
	free := make(chan *rowBatch, 6)
	for range 6 {
		free <- &rowBatch{rows: make([]datasets.PackageRow, 0, batchRows)}
	}
	w := datasets.NewWriter(out, datasets.Packages, datasets.ComparePackageRows, rowGroupRows)
	stage3 := make(chan error, 1)
	go func() {
		g := rowGroup{w: w}
		var werr error
		for b := range batches {
			if werr == nil {
				if len(g.rows) > 0 && (len(g.rows)+len(b.rows) > rowGroupRows || g.bytes+b.bytes > maxGroupBytes) {
					werr = g.flush()
				}
				g.rows = append(g.rows, b.rows...)
				g.bytes += b.bytes
			}
			clear(b.rows)
			b.rows, b.bytes = b.rows[:0], 0
			free <- b
		}
		if werr == nil {
			werr = g.flush()
		}
		if werr == nil {
			werr = w.Close()
		}
		stage3 <- werr
	}()

	// Stage 2 (this goroutine): parse, and make every row's text UTF-8.
	var text utf8Stats
	parseCtx := context.WithValue(ctx, maxUncompressedKey{}, limit)
	parseErr := func() error {
		defer close(batches)
		batch := <-free
		var reported int64
		emit := func(row *datasets.PackageRow) error {
			row.Component, row.IndexArchitecture = ix.Component, ix.Architecture
			size := text.admitRow(row)
			batch.rows = append(batch.rows, *row)
			batch.bytes += size
			res.Rows++
			if len(batch.rows) == cap(batch.rows) || batch.bytes >= maxBatchBytes {
				select {
				case batches <- batch:
				case <-ctx.Done():
					return ctx.Err()
				}
				batch = <-free
				if opts.OnProgress != nil && res.Rows-reported >= 8*batchRows {
					reported = res.Rows
					opts.OnProgress(Progress{Index: ix.Name(), CompressedBytes: compressed.n.Load(), Rows: res.Rows})
				}
			}
			return nil
		}
		if err := parse(parseCtx, pipe, c.URL, ix, emit); err != nil {
			if ctx.Err() != nil || errors.Is(err, ErrCorrupt) {
				return err
			}
			return corrupt(fmt.Errorf("repo: %w", err))
		}
		if len(batch.rows) > 0 {
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
	res.InvalidUTF8Rows, res.InvalidUTF8Fields, res.InvalidUTF8Columns = text.rows, text.fields, text.columnNames()
	if opts.OnProgress != nil {
		opts.OnProgress(Progress{Index: ix.Name(), CompressedBytes: res.CompressedBytes, Rows: res.Rows})
	}
	return res, nil
}

// rowBatch is rows on their way from the parser to the Parquet writer, with
// the bytes they hold (admitRow).
type rowBatch struct {
	rows  []datasets.PackageRow
	bytes int64
}

// rowGroup is the rows buffered for the next row group. They are written
// with Writer.WriteAll, sorted here, so that a row group ends where its
// bytes reach the limit and not only where its rows do.
type rowGroup struct {
	w       *datasets.Writer[datasets.PackageRow]
	rows    []datasets.PackageRow
	scratch []datasets.PackageRow
	perm    []int32
	bytes   int64
}

// flush sorts the rows as the Writer would — a permutation, since moving
// rows of hundreds of bytes dominated — and writes them as a row group.
func (g *rowGroup) flush() error {
	if len(g.rows) == 0 {
		return nil
	}
	rows := g.rows
	sorted := true
	for i := 1; i < len(rows) && sorted; i++ {
		sorted = datasets.ComparePackageRows(&rows[i-1], &rows[i]) <= 0
	}
	if !sorted {
		g.perm = g.perm[:0]
		for i := range rows {
			g.perm = append(g.perm, int32(i))
		}
		slices.SortStableFunc(g.perm, func(i, j int32) int { return datasets.ComparePackageRows(&rows[i], &rows[j]) })
		out := g.scratch[:0]
		for _, p := range g.perm {
			out = append(out, rows[p])
		}
		g.scratch, rows = rows, out
	}
	err := g.w.WriteAll(rows)
	// Drop the references to the stanzas so they can be collected.
	clear(rows)
	clear(g.scratch)
	g.rows, g.scratch, g.bytes = rows[:0], g.scratch[:0], 0
	if err != nil {
		return fmt.Errorf("repo: %w", err)
	}
	return nil
}

// The columns of a packages row that hold text, by kind, for admitRow.
// TestRowColumnsComplete checks that they are every one of
// datasets.PackageRow's.
var (
	rowTextColumns = [...]struct {
		name string
		get  func(*datasets.PackageRow) *string
	}{
		{"component", func(r *datasets.PackageRow) *string { return &r.Component }},
		{"index_architecture", func(r *datasets.PackageRow) *string { return &r.IndexArchitecture }},
		{"package", func(r *datasets.PackageRow) *string { return &r.Package }},
		{"version", func(r *datasets.PackageRow) *string { return &r.Version }},
		{"architecture", func(r *datasets.PackageRow) *string { return &r.Architecture }},
		{"source", func(r *datasets.PackageRow) *string { return &r.Source }},
		{"source_version", func(r *datasets.PackageRow) *string { return &r.SourceVersion }},
		{"section", func(r *datasets.PackageRow) *string { return &r.Section }},
		{"priority", func(r *datasets.PackageRow) *string { return &r.Priority }},
		{"multi_arch", func(r *datasets.PackageRow) *string { return &r.MultiArch }},
		{"maintainer", func(r *datasets.PackageRow) *string { return &r.Maintainer }},
		{"original_maintainer", func(r *datasets.PackageRow) *string { return &r.OriginalMaintainer }},
		{"filename", func(r *datasets.PackageRow) *string { return &r.Filename }},
		{"md5sum", func(r *datasets.PackageRow) *string { return &r.MD5sum }},
		{"sha256", func(r *datasets.PackageRow) *string { return &r.SHA256 }},
		{"homepage", func(r *datasets.PackageRow) *string { return &r.Homepage }},
		{"description", func(r *datasets.PackageRow) *string { return &r.Description }},
		{"description_md5", func(r *datasets.PackageRow) *string { return &r.DescriptionMD5 }},
		{"tag", func(r *datasets.PackageRow) *string { return &r.Tag }},
		{"format", func(r *datasets.PackageRow) *string { return &r.Format }},
		{"upstream_version", func(r *datasets.PackageRow) *string { return &r.UpstreamVersion }},
		{"revision", func(r *datasets.PackageRow) *string { return &r.Revision }},
		{"license", func(r *datasets.PackageRow) *string { return &r.License }},
		{"checksum", func(r *datasets.PackageRow) *string { return &r.Checksum }},
	}
	rowListColumns = [...]struct {
		name string
		get  func(*datasets.PackageRow) *[]string
	}{
		{"depends", func(r *datasets.PackageRow) *[]string { return &r.Depends }},
		{"pre_depends", func(r *datasets.PackageRow) *[]string { return &r.PreDepends }},
		{"recommends", func(r *datasets.PackageRow) *[]string { return &r.Recommends }},
		{"suggests", func(r *datasets.PackageRow) *[]string { return &r.Suggests }},
		{"enhances", func(r *datasets.PackageRow) *[]string { return &r.Enhances }},
		{"conflicts", func(r *datasets.PackageRow) *[]string { return &r.Conflicts }},
		{"breaks", func(r *datasets.PackageRow) *[]string { return &r.Breaks }},
		{"provides", func(r *datasets.PackageRow) *[]string { return &r.Provides }},
		{"replaces", func(r *datasets.PackageRow) *[]string { return &r.Replaces }},
		{"built_using", func(r *datasets.PackageRow) *[]string { return &r.BuiltUsing }},
		{"static_built_using", func(r *datasets.PackageRow) *[]string { return &r.StaticBuiltUsing }},
		{"groups", func(r *datasets.PackageRow) *[]string { return &r.Groups }},
		{"obsoletes", func(r *datasets.PackageRow) *[]string { return &r.Obsoletes }},
		{"install_if", func(r *datasets.PackageRow) *[]string { return &r.InstallIf }},
		{"optional_depends", func(r *datasets.PackageRow) *[]string { return &r.OptionalDepends }},
		{"make_depends", func(r *datasets.PackageRow) *[]string { return &r.MakeDepends }},
		{"check_depends", func(r *datasets.PackageRow) *[]string { return &r.CheckDepends }},
		{"files", func(r *datasets.PackageRow) *[]string { return &r.Files }},
	}
)

// rowStructBytes is what a row costs besides its text.
var rowStructBytes = int64(reflect.TypeFor[datasets.PackageRow]().Size())

// utf8Stats counts what admitRow repaired.
type utf8Stats struct {
	rows, fields int64
	columns      map[string]bool
}

// admitRow makes every string of row valid UTF-8 (see validUTF8) — the
// readers keep values as the repository wrote them, and Parquet's strings
// must be UTF-8 — and returns about the memory the row holds: its text
// and a string header per list element and map entry, which bounds the
// rows buffered between the stages and for a row group.
func (u *utf8Stats) admitRow(row *datasets.PackageRow) int64 {
	n := rowStructBytes
	fixed := 0
	note := func(column string) {
		if fixed++; fixed == 1 {
			u.rows++
		}
		u.fields++
		if u.columns == nil {
			u.columns = map[string]bool{}
		}
		u.columns[column] = true
	}
	for _, c := range rowTextColumns {
		p := c.get(row)
		n += int64(len(*p))
		if !utf8.ValidString(*p) {
			*p = validUTF8(*p)
			note(c.name)
		}
	}
	for _, c := range rowListColumns {
		p := c.get(row)
		bad := false
		for k, s := range *p {
			n += 16 + int64(len(s))
			if !utf8.ValidString(s) {
				if !bad {
					// The list may share its array with other rows.
					*p = slices.Clone(*p)
					bad = true
				}
				(*p)[k] = validUTF8(s)
			}
		}
		if bad {
			note(c.name)
		}
	}
	var repaired map[string]string
	for k, s := range row.Extra {
		n += 48 + int64(len(k)+len(s))
		if !utf8.ValidString(k) || !utf8.ValidString(s) {
			if repaired == nil {
				repaired = map[string]string{}
			}
			repaired[k] = s
		}
	}
	if repaired != nil {
		for k, s := range repaired {
			delete(row.Extra, k)
			row.Extra[validUTF8(k)] = validUTF8(s)
		}
		note("extra")
	}
	return n
}

// columnNames lists the columns repaired, sorted.
func (u *utf8Stats) columnNames() []string {
	if len(u.columns) == 0 {
		return nil
	}
	names := slices.Collect(maps.Keys(u.columns))
	slices.Sort(names)
	return names
}

// validUTF8 returns s with each byte that is not part of valid UTF-8 read
// as Latin-1 (ISO 8859-1): the byte 0xfc becomes "ü". Valid UTF-8 is kept
// as it is. Latin-1 rather than U+FFFD because that is what such bytes
// are in practice — maintainers' names and descriptions of old third-party
// repositories — and it loses nothing: every byte can be read back from
// the character it became.
func validUTF8(s string) string {
	var b strings.Builder
	b.Grow(len(s) + len(s)/8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size <= 1 {
			b.WriteRune(rune(s[i]))
			i++
			continue
		}
		b.WriteString(s[i : i+size])
		i += size
	}
	return b.String()
}

// invalidUTF8Reason words a NoticeInvalidUTF8.
func invalidUTF8Reason(res IngestResult) string {
	rows := "rows"
	if res.InvalidUTF8Rows == 1 {
		rows = "row"
	}
	return fmt.Sprintf("%d %s held text that is not UTF-8 (%d fields, in %s), read as Latin-1",
		res.InvalidUTF8Rows, rows, res.InvalidUTF8Fields, strings.Join(res.InvalidUTF8Columns, ", "))
}
