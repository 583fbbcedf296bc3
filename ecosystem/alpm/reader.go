package alpm

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/distroscope/distroscope/ecosystem"
)

// Limits on untrusted input. The line limit is libalpm's own
// (be_sync.c: "512K for a line length seems reasonable").
const (
	MaxLineSize = 512 << 10
	// MaxSections bounds the sections of one package (desc and depends
	// together; a real one has about twenty) and MaxValues the values of
	// one section (the longest real lists, of provides, are a few
	// hundred), so that no package costs more than linear time and a
	// bounded amount of memory. MaxFiles bounds the paths of one files
	// entry (the largest real packages have tens of thousands).
	MaxSections = 256
	MaxValues   = 8192
	MaxFiles    = 1 << 20
	// DefaultMaxSize bounds the uncompressed tar stream of one database:
	// Arch's largest (extra.files) is a few hundred MiB.
	DefaultMaxSize int64 = 4 << 30
	// DefaultMaxEntrySize bounds one desc or depends entry.
	DefaultMaxEntrySize int64 = 1 << 20
	// DefaultMaxFilesEntrySize bounds one files entry (a package's path
	// list; the largest real ones are a few MiB).
	DefaultMaxFilesEntrySize int64 = 64 << 20
)

// Option configures a Reader.
type Option func(*config)

type config struct {
	files        bool
	maxSize      int64
	maxEntry     int64
	maxFilesSize int64
}

// WithFiles makes the reader parse the files entries of a .files database
// into Package.Files. Without it they are skipped unread.
func WithFiles() Option { return func(c *config) { c.files = true } }

// WithMaxSize bounds the uncompressed tar stream (default DefaultMaxSize);
// past it Next fails with ErrDatabaseTooLarge.
func WithMaxSize(n int64) Option { return func(c *config) { c.maxSize = n } }

// WithMaxEntrySize bounds each desc, depends and files entry to n bytes
// (defaults: DefaultMaxEntrySize for desc and depends,
// DefaultMaxFilesEntrySize for files).
func WithMaxEntrySize(n int64) Option {
	return func(c *config) { c.maxEntry, c.maxFilesSize = n, n }
}

// Reader reads the packages of an uncompressed repository database tar
// stream one at a time, in the style of archive/tar.Reader.
type Reader struct {
	file    string
	cfg     config
	lr      *limitReader
	tr      *tar.Reader
	closer  io.Closer
	comp    string
	pending *tar.Header // the first member of the next package, already read
	seen    map[string]struct{}
	skipDir string // after a package-level error: the rest of its directory
	err     error  // sticky: archive-level damage or io.EOF
	buf     []byte
	files   bool // some directory had a files entry
}

// NewReader returns a reader of the uncompressed database tar stream r.
// name identifies the database in errors (e.g. "core.db"); empty means
// "db". Use Open for a compressed database.
func NewReader(r io.Reader, name string, opts ...Option) *Reader {
	if name == "" {
		name = "db"
	}
	cfg := config{maxSize: DefaultMaxSize, maxEntry: DefaultMaxEntrySize, maxFilesSize: DefaultMaxFilesEntrySize}
	for _, o := range opts {
		o(&cfg)
	}
	lr := &limitReader{r: r, left: cfg.maxSize}
	return &Reader{file: name, cfg: cfg, lr: lr, tr: tar.NewReader(lr), comp: "none", seen: map[string]struct{}{}}
}

// Compression names the compression Open found ("gzip", "xz", "zstd",
// "bzip2", "lz4" or "none").
func (r *Reader) Compression() string { return r.comp }

// FilesDatabase reports whether a files entry has been met so far, that is
// whether this is a .files database; it is settled once Next has returned
// the first package.
func (r *Reader) FilesDatabase() bool { return r.files }

// Close releases the decompressor Open made; it does not close the
// underlying reader.
func (r *Reader) Close() error {
	if r.closer != nil {
		return r.closer.Close()
	}
	return nil
}

// Next returns the next package, or io.EOF after the last one. Each call
// returns a new *Package that the caller may keep.
//
// A *ParseError about one package (a malformed entry, a missing section, an
// oversized entry) leaves the reader on the next package directory: calling
// Next again goes on. Damage to the archive itself (a corrupt or truncated
// stream, an unsafe path, the size limit) is final and returned again by
// every later call.
func (r *Reader) Next() (*Package, error) {
	if r.err != nil {
		return nil, r.err
	}
	var st entryState
	cur := ""
	for {
		hdr := r.pending
		r.pending = nil
		if hdr == nil {
			var err error
			hdr, err = r.tr.Next()
			if err == io.EOF {
				r.err = io.EOF
				if cur != "" {
					return r.finish(cur, &st)
				}
				return nil, io.EOF
			}
			if err != nil {
				return nil, r.fatal("", r.archiveError(err))
			}
		}
		dir, base, err := splitMember(hdr)
		if err != nil {
			return nil, r.fatal(hdr.Name, err)
		}
		if dir == "" { // a pax global header, the root, or a file outside any directory: libalpm ignores these
			continue
		}
		if dir == r.skipDir {
			continue
		}
		r.skipDir = ""
		if cur == "" {
			if _, dup := r.seen[dir]; dup {
				r.skipDir = dir
				return nil, &ParseError{File: r.file, Member: hdr.Name, Err: ErrDuplicatePackage}
			}
			r.seen[dir] = struct{}{}
			cur = dir
			st = entryState{pkg: &Package{Dir: dir, CSize: -1, ISize: -1}}
		} else if dir != cur {
			r.pending = hdr
			return r.finish(cur, &st)
		}
		switch base {
		case "": // the directory itself
		case "desc", "depends":
			data, err := r.readMember(hdr, r.cfg.maxEntry)
			if err == nil {
				err = st.parse(r.file, hdr.Name, data, false)
			}
			if err != nil {
				return nil, r.packageError(cur, hdr.Name, err)
			}
		case "files":
			st.pkg.HasFiles, r.files = true, true
			if !r.cfg.files {
				continue
			}
			data, err := r.readMember(hdr, r.cfg.maxFilesSize)
			if err == nil {
				err = st.parse(r.file, hdr.Name, data, true)
			}
			if err != nil {
				return nil, r.packageError(cur, hdr.Name, err)
			}
		default:
			// Other entries (the "deltas" of old databases, or anything
			// newer) are skipped, as libalpm does.
		}
	}
}

// finish checks the package whose directory just ended.
func (r *Reader) finish(dir string, st *entryState) (*Package, error) {
	if err := st.check(r.file, dir); err != nil {
		return nil, err
	}
	return st.pkg, nil
}

// packageError turns an error about one package into a recoverable one:
// the reader skips the rest of that package's directory. Archive-level
// errors met while reading the member stay final.
func (r *Reader) packageError(dir, member string, err error) error {
	var pe *ParseError
	if errors.As(err, &pe) && pe.Member == "" {
		return r.fatal(member, err)
	}
	if errors.As(err, &pe) {
		if errors.Is(err, ErrCorruptArchive) || errors.Is(err, ErrDatabaseTooLarge) {
			r.err = err
			return err
		}
		r.skipDir = dir
		return err
	}
	r.skipDir = dir
	return &ParseError{File: r.file, Member: member, Err: err}
}

func (r *Reader) fatal(member string, err error) error {
	var pe *ParseError
	if !errors.As(err, &pe) {
		err = &ParseError{File: r.file, Member: member, Err: err}
	} else if pe.Member == "" && member != "" {
		pe.Member = member
	}
	r.err = err
	return err
}

// archiveError classifies a failure of the tar or decompression layer.
func (r *Reader) archiveError(err error) error {
	if errors.Is(err, errLimit) {
		return fmt.Errorf("%w: more than %d bytes uncompressed", ErrDatabaseTooLarge, r.cfg.maxSize)
	}
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("%w: %w", ErrCorruptArchive, err)
}

// readMember reads one member whole, refusing it when it is larger than
// limit.
func (r *Reader) readMember(hdr *tar.Header, limit int64) ([]byte, error) {
	if hdr.Size > limit {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrMemberTooLarge, hdr.Size, limit)
	}
	if int64(cap(r.buf)) < hdr.Size {
		r.buf = make([]byte, hdr.Size, max(hdr.Size, 64<<10))
	}
	buf := r.buf[:hdr.Size]
	if _, err := io.ReadFull(r.tr, buf); err != nil {
		return nil, &ParseError{File: r.file, Member: hdr.Name, Err: r.archiveError(err)}
	}
	return buf, nil
}

// splitMember validates a member's path and splits it into the package
// directory and the entry within it ("" for the directory itself). Only
// directories and regular files belong in a database; a path that leaves
// the archive's root, or a link, is refused.
func splitMember(hdr *tar.Header) (dir, base string, err error) {
	switch hdr.Typeflag {
	case tar.TypeXGlobalHeader:
		return "", "", nil
	case tar.TypeReg, tar.TypeRegA, tar.TypeDir:
	default:
		return "", "", fmt.Errorf("%w: member of type %q", ErrUnsupported, hdr.Typeflag)
	}
	name := hdr.Name
	if strings.HasPrefix(name, "/") || strings.ContainsRune(name, 0) {
		return "", "", fmt.Errorf("%w: %s", ErrUnsafePath, ecosystem.Quote(name))
	}
	name = strings.TrimPrefix(name, "./")
	isDir := hdr.Typeflag == tar.TypeDir
	if isDir || strings.HasSuffix(name, "/") {
		name = strings.TrimSuffix(name, "/")
		isDir = true
	}
	if name == "" || name == "." {
		return "", "", nil
	}
	dir, base, nested := strings.Cut(name, "/")
	if nested && strings.Contains(base, "/") {
		if hasBadComponent(name) {
			return "", "", fmt.Errorf("%w: %s", ErrUnsafePath, ecosystem.Quote(hdr.Name))
		}
		return "", "", fmt.Errorf("%w: %s is nested deeper than <package>/<entry>", ErrSyntax, ecosystem.Quote(hdr.Name))
	}
	if badComponent(dir) || nested && badComponent(base) {
		return "", "", fmt.Errorf("%w: %s", ErrUnsafePath, ecosystem.Quote(hdr.Name))
	}
	switch {
	case !nested && isDir:
		return dir, "", nil
	case !nested:
		return "", "", nil // a file outside any package directory
	case isDir:
		return "", "", fmt.Errorf("%w: %s is nested deeper than <package>/<entry>", ErrSyntax, ecosystem.Quote(hdr.Name))
	}
	return dir, base, nil
}

func badComponent(p string) bool { return p == "" || p == "." || p == ".." }

func hasBadComponent(path string) bool {
	for {
		part, rest, more := strings.Cut(path, "/")
		if badComponent(part) {
			return true
		}
		if !more {
			return false
		}
		path = rest
	}
}

var errLimit = errors.New("size limit reached")

// limitReader fails once more than left bytes have been read through it.
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
