package apk

import (
	"archive/tar"
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/klauspost/compress/gzip"

	"github.com/distroscope/distroscope/ecosystem"
)

// Limits of the archive layers.
const (
	// DefaultMaxSize bounds the decompressed bytes of all gzip streams
	// together: Alpine's largest index (community) is tens of MiB.
	DefaultMaxSize int64 = 1 << 30
	// MaxMemberSize bounds each member read whole (DESCRIPTION, a
	// signature).
	MaxMemberSize = 64 << 10
)

// Option configures a Reader.
type Option func(*config)

type config struct{ maxSize int64 }

// WithMaxSize bounds the decompressed size (default DefaultMaxSize); past
// it reading fails with ErrIndexTooLarge.
func WithMaxSize(n int64) Option { return func(c *config) { c.maxSize = n } }

// Signature is one ".SIGN.<algorithm>.<key name>" member of the signature
// stream.
type Signature struct {
	Algorithm string // "RSA" (SHA-1), "RSA256", "RSA512" or "DSA"
	KeyName   string // the public key's file name, e.g. "alpine-devel@lists.alpinelinux.org-6165ee59.rsa.pub"
	Bytes     []byte // the raw signature
}

// Reader reads an APKINDEX.tar.gz: its signatures, its DESCRIPTION and,
// through Next, its packages.
type Reader struct {
	file string
	sigs []Signature
	desc string
	pr   *PackagesReader
}

// NewReader reads r up to the start of the APKINDEX member: the signature
// stream if there is one, then DESCRIPTION. file names the index in errors
// (e.g. "v3.20/main/x86_64/APKINDEX.tar.gz"); empty means
// "APKINDEX.tar.gz". DESCRIPTION is only seen when it comes before
// APKINDEX, as apk index writes it.
func NewReader(r io.Reader, file string, opts ...Option) (*Reader, error) {
	if file == "" {
		file = "APKINDEX.tar.gz"
	}
	cfg := config{maxSize: DefaultMaxSize}
	for _, o := range opts {
		o(&cfg)
	}
	rd := &Reader{file: file}
	br := bufio.NewReaderSize(r, 64<<10)
	lr := &limitReader{left: cfg.maxSize}
	var zr *gzip.Reader
	for stream := 0; ; stream++ {
		var err error
		if zr == nil {
			zr, err = gzip.NewReader(br)
		} else {
			err = zr.Reset(br)
		}
		if err == io.EOF {
			return nil, &ParseError{File: file, Err: ErrNoIndex}
		}
		if err != nil {
			return nil, &ParseError{File: file, Err: fmt.Errorf("%w: gzip stream %d: %w", ErrCorruptArchive, stream+1, err)}
		}
		// Each stream on its own: the signature covers the second one
		// byte for byte, and the tar segment of the first has no end.
		zr.Multistream(false)
		lr.r = zr
		tr := tar.NewReader(lr)
		for {
			hdr, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, &ParseError{File: file, Err: archiveError(err, cfg.maxSize)}
			}
			if err := checkMember(hdr); err != nil {
				return nil, &ParseError{File: file, Member: hdr.Name, Err: err}
			}
			switch name := hdr.Name; {
			case hdr.Typeflag == tar.TypeXGlobalHeader || hdr.Typeflag == tar.TypeDir:
			case strings.HasPrefix(name, ".SIGN."):
				if stream > 0 || rd.desc != "" {
					return nil, &ParseError{File: file, Member: name, Err: fmt.Errorf("%w: a signature after the signed stream began", ErrSyntax)}
				}
				sig, err := parseSignatureName(name)
				if err == nil {
					sig.Bytes, err = readMember(tr, hdr, cfg.maxSize)
				}
				if err != nil {
					return nil, &ParseError{File: file, Member: name, Err: err}
				}
				rd.sigs = append(rd.sigs, sig)
			case name == "DESCRIPTION":
				b, err := readMember(tr, hdr, cfg.maxSize)
				if err != nil {
					return nil, &ParseError{File: file, Member: name, Err: err}
				}
				rd.desc = strings.TrimRight(string(b), "\n")
			case name == "APKINDEX":
				rd.pr = newMemberReader(tr, file, name, cfg.maxSize)
				return rd, nil
			default:
				// Other members are skipped, as apk skips them.
			}
		}
		// The stream's tar ended (or, for a signature segment, simply
		// stopped): drain what is left of the gzip stream, within the
		// limit, so that the next one starts where this one ended.
		if _, err := io.Copy(io.Discard, lr); err != nil {
			return nil, &ParseError{File: file, Err: archiveError(err, cfg.maxSize)}
		}
	}
}

// Signatures returns the signatures of the signature stream, if any.
func (r *Reader) Signatures() []Signature { return r.sigs }

// Description returns the DESCRIPTION member, without its final newline.
func (r *Reader) Description() string { return r.desc }

// Next returns the next package of APKINDEX, or io.EOF after the last
// one; see PackagesReader.Next.
func (r *Reader) Next() (*Package, error) { return r.pr.Next() }

// checkMember refuses members that are not plain files with a plain name:
// an index holds nothing else, and a name with a slash could escape the
// directory of a careless extractor.
func checkMember(hdr *tar.Header) error {
	switch hdr.Typeflag {
	case tar.TypeReg, tar.TypeRegA, tar.TypeXGlobalHeader:
	case tar.TypeDir:
	default:
		return fmt.Errorf("%w: member of type %q", ErrUnsupported, hdr.Typeflag)
	}
	name := strings.TrimSuffix(hdr.Name, "/")
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\\\x00") {
		return fmt.Errorf("%w: %s", ErrUnsafePath, ecosystem.Quote(hdr.Name))
	}
	return nil
}

func parseSignatureName(name string) (Signature, error) {
	rest := strings.TrimPrefix(name, ".SIGN.")
	alg, key, ok := strings.Cut(rest, ".")
	if !ok || key == "" {
		return Signature{}, fmt.Errorf("%w: %s is not .SIGN.<algorithm>.<key name>", ErrSyntax, ecosystem.Quote(name))
	}
	switch alg {
	case "RSA", "RSA256", "RSA512", "DSA":
	default:
		return Signature{}, fmt.Errorf("%w: %s", ErrUnknownAlgorithm, ecosystem.Quote(alg))
	}
	return Signature{Algorithm: alg, KeyName: key}, nil
}

func readMember(tr *tar.Reader, hdr *tar.Header, maxSize int64) ([]byte, error) {
	if hdr.Size > MaxMemberSize {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrMemberTooLarge, hdr.Size, MaxMemberSize)
	}
	b := make([]byte, hdr.Size)
	if _, err := io.ReadFull(tr, b); err != nil {
		return nil, archiveError(err, maxSize)
	}
	return b, nil
}

func archiveError(err error, maxSize int64) error {
	if errors.Is(err, errLimit) {
		return fmt.Errorf("%w: more than %d bytes decompressed", ErrIndexTooLarge, maxSize)
	}
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("%w: %w", ErrCorruptArchive, err)
}

var errLimit = errors.New("size limit reached")

// limitReader fails once more than left bytes have been read through it,
// across every gzip stream.
type limitReader struct {
	r    io.Reader
	left int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.left < 0 {
		return 0, errLimit
	}
	if int64(len(p)) > l.left+1 {
		p = p[:l.left+1]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	if l.left < 0 {
		return n, errLimit
	}
	return n, err
}
