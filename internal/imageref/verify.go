package imageref

import (
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/klauspost/compress/zstd"
)

// readAllLimit reads a small JSON document (manifest, index, config) and
// refuses one over max bytes, so a hostile source cannot make us buffer it.
func readAllLimit(r io.Reader, max int64, what string) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, fmt.Errorf("imageref: reading %s: %w", what, err)
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("imageref: %s is over the %d-byte limit for manifests and configs", what, max)
	}
	return b, nil
}

// checkDigest verifies a document read whole against its descriptor.
func checkDigest(b []byte, want v1.Hash, what string) error {
	if want.Algorithm != "sha256" {
		return fmt.Errorf("imageref: %s: unsupported digest algorithm %q", what, want.Algorithm)
	}
	sum := sha256.Sum256(b)
	if got := hex.EncodeToString(sum[:]); got != want.Hex {
		return fmt.Errorf("imageref: %s: content has digest sha256:%s, want %s", what, got, want)
	}
	return nil
}

// verifyingReader passes a blob through and, at its end, turns io.EOF into an
// error when the bytes read do not have the expected digest (and size, when
// known): a layout or archive on disk is not trusted, and a consumer that
// streams a layer must not accept a tampered one. The check happens at EOF,
// so a consumer must read to the end before trusting what it read.
type verifyingReader struct {
	r    io.Reader
	c    io.Closer
	h    hash.Hash
	want v1.Hash
	size int64 // -1: unknown
	n    int64
	what string
	// tail, when set, is waited for at EOF: it checks a second digest (the
	// uncompressed one) computed on the side.
	tail func() error
	done bool
}

func newVerifyingReader(rc io.ReadCloser, want v1.Hash, size int64, what string) (io.ReadCloser, error) {
	if want.Algorithm != "sha256" {
		rc.Close()
		return nil, fmt.Errorf("imageref: %s: unsupported digest algorithm %q", what, want.Algorithm)
	}
	return &verifyingReader{r: rc, c: rc, h: sha256.New(), want: want, size: size, what: what}, nil
}

func (v *verifyingReader) Read(p []byte) (int, error) {
	n, err := v.r.Read(p)
	v.h.Write(p[:n])
	v.n += int64(n)
	if v.size >= 0 && v.n > v.size {
		return n, fmt.Errorf("imageref: %s: longer than its %d bytes", v.what, v.size)
	}
	if errors.Is(err, io.EOF) && !v.done {
		v.done = true
		if v.size >= 0 && v.n != v.size {
			return n, fmt.Errorf("imageref: %s: %d bytes, want %d", v.what, v.n, v.size)
		}
		if got := hex.EncodeToString(v.h.Sum(nil)); got != v.want.Hex {
			return n, fmt.Errorf("imageref: %s: content has digest sha256:%s, want %s", v.what, got, v.want)
		}
		if v.tail != nil {
			if terr := v.tail(); terr != nil {
				return n, terr
			}
		}
	}
	return n, err
}

func (v *verifyingReader) Close() error { return v.c.Close() }

// diffIDReader passes a compressed layer through unchanged while a second
// goroutine decompresses a copy and hashes it, failing at EOF when the result
// is not the layer's DiffID. A docker-save archive names its layers only by
// their uncompressed digests, so a compressed layer there cannot be checked
// any other way.
func diffIDReader(rc io.ReadCloser, format string, diffID v1.Hash, what string) (io.ReadCloser, error) {
	if diffID.Algorithm != "sha256" {
		rc.Close()
		return nil, fmt.Errorf("imageref: %s: unsupported DiffID algorithm %q", what, diffID.Algorithm)
	}
	pr, pw := io.Pipe()
	result := make(chan error, 1)
	go func() {
		result <- hashDecompressed(pr, format, diffID, what)
		pr.Close()
	}()
	tee := &teeCloser{r: io.TeeReader(rc, pw), rc: rc, pw: pw, result: result}
	return tee, nil
}

type teeCloser struct {
	r      io.Reader
	rc     io.ReadCloser
	pw     *io.PipeWriter
	result chan error
	done   bool
	err    error
}

func (t *teeCloser) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if errors.Is(err, io.EOF) && !t.done {
		t.done = true
		t.pw.Close()
		if t.err = <-t.result; t.err != nil {
			return n, t.err
		}
	}
	return n, err
}

func (t *teeCloser) Close() error {
	if !t.done {
		t.done = true
		t.pw.CloseWithError(errors.New("imageref: layer closed before its end"))
		<-t.result
	}
	return t.rc.Close()
}

func hashDecompressed(r io.Reader, format string, want v1.Hash, what string) error {
	// Drain whatever is left, so the writer side never blocks on a failed decode.
	defer io.Copy(io.Discard, r)
	var dr io.Reader
	switch format {
	case "gzip":
		zr, err := gzip.NewReader(r)
		if err != nil {
			return fmt.Errorf("imageref: %s: %w", what, err)
		}
		defer zr.Close()
		dr = zr
	case "zstd":
		zr, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1))
		if err != nil {
			return fmt.Errorf("imageref: %s: %w", what, err)
		}
		defer zr.Close()
		dr = zr
	default:
		return fmt.Errorf("imageref: %s: unknown compression %q", what, format)
	}
	h := sha256.New()
	if _, err := io.Copy(h, dr); err != nil {
		return fmt.Errorf("imageref: %s: decompressing to check its DiffID: %w", what, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want.Hex {
		return fmt.Errorf("imageref: %s: uncompressed content has digest sha256:%s, want DiffID %s", what, got, want)
	}
	return nil
}

// ctxReader stops a local read when its context ends, as the remote reads do.
type ctxReader struct {
	ctx context.Context
	io.ReadCloser
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.ReadCloser.Read(p)
}

// sniffCompression names a stream's compression from its magic bytes.
func sniffCompression(head []byte) string {
	switch {
	case len(head) >= 2 && head[0] == 0x1f && head[1] == 0x8b:
		return "gzip"
	case len(head) >= 4 && head[0] == 0x28 && head[1] == 0xb5 && head[2] == 0x2f && head[3] == 0xfd:
		return "zstd"
	}
	return ""
}
