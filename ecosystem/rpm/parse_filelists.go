package rpm

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/distroscope/distroscope/ecosystem"
	"github.com/distroscope/distroscope/ecosystem/rpm/internal/xmltok"
)

// FilelistsReader reads a filelists.xml document one package at a time:
// every file of each package, keyed by the package's pkgid. Memory is
// bounded by MaxFilelistSize and MaxTextSize whatever the input.
type FilelistsReader struct {
	s        *xmlStream
	started  bool
	declared int
	read     int
	fl       FileList
	intern   xmltok.Interner
	maxText  int
	maxPkg   int64
}

// NewFilelistsReader returns a reader of the filelists.xml document r
// (already decompressed); name identifies it in errors, empty meaning
// "filelists.xml".
func NewFilelistsReader(r io.Reader, name string) *FilelistsReader {
	if name == "" {
		name = "filelists.xml"
	}
	return &FilelistsReader{s: newXMLStream(r, name, MaxFilelistSize), declared: -1,
		maxText: MaxTextSize, maxPkg: MaxFilelistSize}
}

// Next returns the next package's file list, or io.EOF after the last one
// once the declared count is checked. Errors and the reuse of the returned
// value are as for PrimaryReader.Next.
func (f *FilelistsReader) Next() (*FileList, error) {
	s := f.s
	if s.err != nil {
		return nil, s.err
	}
	if !f.started {
		root, err := rootElement(s, "filelists")
		if err != nil {
			return nil, err
		}
		f.started = true
		if v, ok := attr(root, "", "packages"); ok {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return nil, s.fail("", &ParseError{File: s.file, Line: s.line(), Element: "filelists@packages",
					Err: fmt.Errorf("%w: %s is not a count", ErrSyntax, ecosystem.Quote(v))})
			}
			f.declared = n
		}
	}
	for {
		t, err := s.token()
		if err == io.EOF {
			return nil, s.fail("", &ParseError{File: s.file, Line: s.line(),
				Err: fmt.Errorf("%w: no </filelists>", ErrSyntax)})
		}
		if err != nil {
			return nil, err
		}
		switch t := t.(type) {
		case *xml.StartElement:
			if t.Name.Local == "package" && t.Name.Space == "" && s.depth() == 2 {
				f.read++
				if err := f.readPackage(*t); err != nil {
					if s.err == nil {
						if serr := s.skip(2); serr != nil {
							return nil, serr
						}
					}
					return nil, err
				}
				s.resetBudget(f.maxPkg)
				return &f.fl, nil
			}
			if err := s.skip(s.depth()); err != nil {
				return nil, err
			}
		case *xml.EndElement:
			if err := endOfDocument(s); err != nil {
				return nil, err
			}
			if f.declared >= 0 && f.declared != f.read {
				return nil, s.fail("", &ParseError{File: s.file, Line: s.line(), Element: "filelists",
					Err: fmt.Errorf("%w: packages=\"%d\" but %d read", ErrCount, f.declared, f.read)})
			}
			s.err = io.EOF
			return nil, io.EOF
		}
	}
}

func (f *FilelistsReader) readPackage(start xml.StartElement) error {
	s := f.s
	f.fl = FileList{Line: s.line()}
	fl := &f.fl
	fl.Name, _ = attr(start, "", "name")
	fl.Arch, _ = attr(start, "", "arch")
	id, _ := attr(start, "", "pkgid")
	fail := func(element string, err error) error {
		var pe *ParseError
		if errors.As(err, &pe) {
			if pe.Package == "" {
				pe.Package = fl.Name
			}
			return err
		}
		return &ParseError{File: s.file, Line: s.line(), Package: fl.Name, Element: element, Err: err}
	}
	if fl.Name == "" {
		return fail("package@name", fmt.Errorf("%w attribute", ErrMissing))
	}
	if fl.Arch == "" {
		return fail("package@arch", fmt.Errorf("%w attribute", ErrMissing))
	}
	if id == "" {
		return fail("package@pkgid", fmt.Errorf("%w attribute", ErrMissing))
	}
	// The pkgid is the checksum of primary's <checksum>, whose type
	// filelists does not repeat: any hex length rpm-md uses is accepted.
	if !isHexChecksum(id) {
		return fail("package@pkgid", fmt.Errorf("%w: %s is not a checksum", ErrChecksum, ecosystem.Quote(id)))
	}
	fl.PkgID = id
	seenVersion := false
	for {
		t, err := s.token()
		if err != nil {
			return fail("", err)
		}
		switch t := t.(type) {
		case *xml.EndElement:
			if !seenVersion {
				return fail("version", fmt.Errorf("%w element", ErrMissing))
			}
			return nil
		case *xml.StartElement:
			if t.Name.Space != "" {
				if err := s.skip(s.depth()); err != nil {
					return fail("", err)
				}
				continue
			}
			switch t.Name.Local {
			case "version":
				if seenVersion {
					return fail("version", ErrDuplicate)
				}
				seenVersion = true
				for _, a := range t.Attr {
					switch a.Name.Local {
					case "epoch":
						fl.Version.Epoch = a.Value
					case "ver":
						fl.Version.Version = a.Value
					case "rel":
						fl.Version.Release = a.Value
					}
				}
				if err := checkPackageEVR(fl.Version); err != nil {
					return fail("version", err)
				}
				if err := s.skip(s.depth()); err != nil {
					return fail("", err)
				}
			case "file":
				if len(fl.Files) == MaxFiles {
					return fail("file", fmt.Errorf("%w: more than %d files", ErrTooMany, MaxFiles))
				}
				typ, _ := attr(*t, "", "type")
				switch typ {
				case "", "dir", "ghost":
				default:
					typ = f.intern.Get([]byte(typ))
				}
				b, err := s.readText(f.maxText)
				if err != nil {
					return fail("file", err)
				}
				if len(b) == 0 {
					return fail("file", fmt.Errorf("%w path", ErrMissing))
				}
				fl.Files = append(fl.Files, File{Path: string(b), Type: typ})
			default:
				if err := s.skip(s.depth()); err != nil {
					return fail("", err)
				}
			}
		}
	}
}

func isHexChecksum(s string) bool {
	ok := false
	for _, n := range checksumLengths {
		ok = ok || len(s) == n
	}
	if !ok {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// JoinFilelists returns a reader of the packages of pkgs with each
// package's complete file list from files in Package.Files.
//
// createrepo_c writes primary and filelists from one loop, so both list the
// same packages in the same order, and the join is a streaming merge that
// holds one package of each. A repository whose two files disagree (in
// count, order or pkgid) gets an ErrMismatch *ParseError naming the
// filelists document and line: it cannot be joined reliably, and the
// caller may read it without files instead. Any error, from either reader,
// ends the join: later calls return it again.
func JoinFilelists(pkgs PackageReader, files *FilelistsReader) PackageReader {
	return &joined{pkgs: pkgs, files: files}
}

type joined struct {
	pkgs  PackageReader
	files *FilelistsReader
	err   error
}

func (j *joined) Next() (*Package, error) {
	if j.err != nil {
		return nil, j.err
	}
	pkg, perr := j.pkgs.Next()
	fl, ferr := j.files.Next()
	switch {
	case perr == io.EOF && ferr == io.EOF:
		j.err = io.EOF
	case perr != nil && perr != io.EOF:
		j.err = perr
	case ferr != nil && ferr != io.EOF:
		j.err = ferr
	case perr == io.EOF:
		j.err = j.mismatch(fmt.Errorf("%w: filelists lists more packages than primary (%s.%s)", ErrMismatch, fl.Name, fl.Arch))
	case ferr == io.EOF:
		j.err = j.mismatch(fmt.Errorf("%w: filelists ends before package %s.%s", ErrMismatch, pkg.Name, pkg.Arch))
	case !equalFoldASCII(fl.PkgID, pkg.Checksum.Value) || fl.Name != pkg.Name || fl.Arch != pkg.Arch:
		j.err = j.mismatch(fmt.Errorf("%w: filelists has %s.%s (%s) where primary has %s.%s (%s)",
			ErrMismatch, fl.Name, fl.Arch, fl.PkgID, pkg.Name, pkg.Arch, pkg.Checksum.Value))
	default:
		pkg.Files = fl.Files
		return pkg, nil
	}
	return nil, j.err
}

func (j *joined) mismatch(err error) error {
	return &ParseError{File: j.files.s.file, Line: j.files.s.line(), Err: err}
}

func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
