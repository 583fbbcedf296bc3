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

// Limits on untrusted primary and filelists documents. The largest package
// entries of real repositories (kernel modules and TeX Live packages with
// thousands of provides) are a few hundred KiB; descriptions a few KiB.
// Each limit is about ten times that; past one the package is refused with
// a *ParseError naming the line, so that no package costs more than linear
// time and a bounded amount of memory.
const (
	// MaxPackageSize bounds the bytes of one <package> of primary.xml, and
	// of any stretch of the document between two packages.
	MaxPackageSize = 4 << 20
	// MaxFilelistSize bounds one <package> of filelists.xml.
	MaxFilelistSize = 64 << 20
	// MaxTextSize bounds the text of one element (a description, a path).
	MaxTextSize = 1 << 20
	// MaxEntries bounds the entries of one dependency list (provides,
	// requires, ...): without it a package of MaxPackageSize bytes could
	// hold 200,000 tiny entries, a hundred bytes of memory each.
	MaxEntries = 16384
	// MaxFiles bounds the files of one package (filelists, or primary's
	// partial list).
	MaxFiles = 1 << 18
)

// Option changes how a primary reader works.
type Option func(*options)

type options struct {
	primaryFiles bool
}

// WithPrimaryFiles keeps the files primary lists for each package (its
// executables and files under /etc, which dependencies may name) in
// Package.Files. By default they are skipped: the complete list is in
// filelists (JoinFilelists).
func WithPrimaryFiles() Option { return func(o *options) { o.primaryFiles = true } }

// PrimaryReader reads the packages of a primary.xml document one at a time,
// in the style of archive/tar.Reader, holding one package in memory at a
// time whatever the size of the document (MaxPackageSize, MaxTextSize).
type PrimaryReader struct {
	s        *xmlStream
	opts     options
	started  bool
	declared int // packages="N"; -1 when absent
	read     int
	pkg      Package
	intern   xmltok.Interner
	maxText  int
	maxPkg   int64
}

// NewPrimaryReader returns a reader of the primary.xml document r (already
// decompressed). name identifies the document in errors (e.g.
// "repodata/primary.xml"); empty means "primary.xml".
func NewPrimaryReader(r io.Reader, name string, opts ...Option) *PrimaryReader {
	if name == "" {
		name = "primary.xml"
	}
	p := &PrimaryReader{s: newXMLStream(r, name, MaxPackageSize), declared: -1,
		maxText: MaxTextSize, maxPkg: MaxPackageSize}
	for _, o := range opts {
		o(&p.opts)
	}
	return p
}

// Next returns the next package, or io.EOF after the last one, once the
// count the document declares (packages="N") has been checked against the
// packages read: a shortfall means a truncated file (ErrCount).
//
// The returned *Package is overwritten by the next call; its strings and
// slices are not, so a shallow copy stays valid.
//
// A *ParseError about one package's content (a malformed version, an
// unknown checksum type, a missing element) leaves the reader after that
// package: calling Next again goes on. Malformed XML, size limits and
// errors of the underlying reader are final and returned by every later
// call.
func (p *PrimaryReader) Next() (*Package, error) {
	s := p.s
	if s.err != nil {
		return nil, s.err
	}
	if !p.started {
		if err := p.start(); err != nil {
			return nil, err
		}
	}
	for {
		t, err := s.token()
		if err == io.EOF {
			return nil, s.fail("", &ParseError{File: s.file, Line: s.line(),
				Err: fmt.Errorf("%w: no </metadata>", ErrSyntax)})
		}
		if err != nil {
			return nil, err
		}
		switch t := t.(type) {
		case *xml.StartElement:
			if t.Name.Local == "package" && t.Name.Space == "" && s.depth() == 2 {
				p.read++
				if err := p.readPackage(); err != nil {
					if s.err == nil {
						// Content error: the rest of the package is
						// skipped so that the next call goes on.
						if serr := s.skip(2); serr != nil {
							return nil, serr
						}
					}
					return nil, err
				}
				s.resetBudget(p.maxPkg)
				return &p.pkg, nil
			}
			if err := s.skip(s.depth()); err != nil {
				return nil, err
			}
		case *xml.EndElement:
			// </metadata>: the document is complete.
			if err := p.finish(); err != nil {
				return nil, err
			}
			return nil, io.EOF
		}
	}
}

// start reads up to the root element and its packages attribute.
func (p *PrimaryReader) start() error {
	s := p.s
	root, err := rootElement(s, "metadata")
	if err != nil {
		return err
	}
	p.started = true
	if v, ok := attr(root, "", "packages"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return s.fail("", &ParseError{File: s.file, Line: s.line(), Element: "metadata@packages",
				Err: fmt.Errorf("%w: %s is not a count", ErrSyntax, ecosystem.Quote(v))})
		}
		p.declared = n
	}
	return nil
}

// finish checks what follows the root element and the package count.
func (p *PrimaryReader) finish() error {
	s := p.s
	if err := endOfDocument(s); err != nil {
		return err
	}
	if p.declared >= 0 && p.declared != p.read {
		return s.fail("", &ParseError{File: s.file, Line: s.line(), Element: "metadata",
			Err: fmt.Errorf("%w: packages=\"%d\" but %d read", ErrCount, p.declared, p.read)})
	}
	s.err = io.EOF
	return nil
}

// rootElement skips the prolog and returns the root element, which must be
// named local.
func rootElement(s *xmlStream, local string) (xml.StartElement, error) {
	for {
		t, err := s.token()
		if err == io.EOF {
			return xml.StartElement{}, s.fail("", &ParseError{File: s.file, Line: s.line(),
				Err: fmt.Errorf("%w: no <%s> element", ErrSyntax, local)})
		}
		if err != nil {
			return xml.StartElement{}, err
		}
		switch t := t.(type) {
		case *xml.StartElement:
			if t.Name.Local != local || t.Name.Space != "" {
				return xml.StartElement{}, s.fail("", &ParseError{File: s.file, Line: s.line(),
					Element: qname(t.Name), Err: fmt.Errorf("%w: root element is not <%s>", ErrSyntax, local)})
			}
			return *t, nil
		case *xml.CharData:
			if !isBlank(*t) {
				return xml.StartElement{}, s.fail("", &ParseError{File: s.file, Line: s.line(),
					Err: fmt.Errorf("%w: text before <%s>", ErrSyntax, local)})
			}
		}
	}
}

// endOfDocument checks that nothing but white space, comments and
// processing instructions follows the root element.
func endOfDocument(s *xmlStream) error {
	for {
		t, err := s.token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		switch t := t.(type) {
		case *xml.StartElement:
			return s.fail("", &ParseError{File: s.file, Line: s.line(), Element: qname(t.Name),
				Err: fmt.Errorf("%w: element after the root element", ErrSyntax)})
		case *xml.CharData:
			if !isBlank(*t) {
				return s.fail("", &ParseError{File: s.file, Line: s.line(),
					Err: fmt.Errorf("%w: text after the root element", ErrSyntax)})
			}
		}
	}
}

// Elements of a package that may appear once, as bits of a seen mask.
const (
	seenName uint32 = 1 << iota
	seenArch
	seenVersion
	seenChecksum
	seenSummary
	seenDescription
	seenPackager
	seenURL
	seenTime
	seenSize
	seenLocation
	seenFormat
	seenLicense
	seenVendor
	seenGroup
	seenBuildHost
	seenSourceRPM
	seenHeaderRange
	seenProvides
	seenRequires
	seenConflicts
	seenObsoletes
	seenRecommends
	seenSuggests
	seenSupplements
	seenEnhances
)

// pkgParser carries one package's parse: what was seen, and where errors go.
type pkgParser struct {
	p    *PrimaryReader
	pkg  *Package
	seen uint32
}

func (pp *pkgParser) errorf(element string, err error) error {
	return &ParseError{File: pp.p.s.file, Line: pp.p.s.line(), Package: pp.pkg.Name, Element: element, Err: err}
}

// once checks that an element appears only once.
func (pp *pkgParser) once(bit uint32, element string) error {
	if pp.seen&bit != 0 {
		return pp.errorf(element, ErrDuplicate)
	}
	pp.seen |= bit
	return nil
}

func (pp *pkgParser) text() (string, error) {
	b, err := pp.p.s.readText(pp.p.maxText)
	if err != nil {
		return "", pp.attach(err)
	}
	return string(b), nil
}

// attach names the package in a stream error raised while parsing it.
func (pp *pkgParser) attach(err error) error {
	var pe *ParseError
	if errors.As(err, &pe) && pe.Package == "" {
		pe.Package = pp.pkg.Name
	}
	return err
}

func (pp *pkgParser) int64Attr(e xml.StartElement, local string) (int64, error) {
	v, ok := attr(e, "", local)
	if !ok || v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, pp.errorf(e.Name.Local+"@"+local, fmt.Errorf("%w: %s is not a non-negative integer", ErrSyntax, ecosystem.Quote(v)))
	}
	return n, nil
}

// readPackage parses one <package> element, just opened.
func (p *PrimaryReader) readPackage() error {
	s := p.s
	p.pkg = Package{Line: s.line()}
	pp := &pkgParser{p: p, pkg: &p.pkg}
	pkg := pp.pkg
	for {
		t, err := s.token()
		if err != nil {
			return pp.attach(err)
		}
		switch t := t.(type) {
		case *xml.EndElement:
			return pp.complete()
		case *xml.StartElement:
			if t.Name.Space != "" {
				if err := s.skip(s.depth()); err != nil {
					return pp.attach(err)
				}
				continue
			}
			var err error
			switch t.Name.Local {
			case "name":
				if err = pp.once(seenName, "name"); err == nil {
					if pkg.Name, err = pp.text(); err == nil {
						if cerr := checkName(pkg.Name); cerr != nil {
							pkg.Name = ""
							err = pp.errorf("name", cerr)
						}
					}
				}
			case "arch":
				if err = pp.once(seenArch, "arch"); err == nil {
					pkg.Arch, err = pp.internedText()
				}
			case "version":
				if err = pp.once(seenVersion, "version"); err == nil {
					pkg.Version, err = pp.evr(*t)
					if err == nil {
						if cerr := checkPackageEVR(pkg.Version); cerr != nil {
							err = pp.errorf("version", cerr)
						}
					}
					if err == nil {
						err = s.skip(s.depth())
					}
				}
			case "checksum":
				if err = pp.once(seenChecksum, "checksum"); err == nil {
					typ, _ := attr(*t, "", "type")
					var v string
					if v, err = pp.text(); err == nil {
						var cerr error
						if pkg.Checksum, cerr = checkChecksum(typ, v); cerr != nil {
							err = pp.errorf("checksum", cerr)
						}
					}
				}
			case "summary":
				if err = pp.once(seenSummary, "summary"); err == nil {
					pkg.Summary, err = pp.text()
				}
			case "description":
				// Read (so that its size is checked) but not kept.
				if err = pp.once(seenDescription, "description"); err == nil {
					_, err = s.readText(p.maxText)
					err = pp.attach(err)
				}
			case "packager":
				if err = pp.once(seenPackager, "packager"); err == nil {
					pkg.Packager, err = pp.internedText()
				}
			case "url":
				if err = pp.once(seenURL, "url"); err == nil {
					pkg.URL, err = pp.text()
				}
			case "time":
				if err = pp.once(seenTime, "time"); err == nil {
					if pkg.FileTime, err = pp.int64Attr(*t, "file"); err == nil {
						if pkg.BuildTime, err = pp.int64Attr(*t, "build"); err == nil {
							err = s.skip(s.depth())
						}
					}
				}
			case "size":
				if err = pp.once(seenSize, "size"); err == nil {
					if pkg.PackageSize, err = pp.int64Attr(*t, "package"); err == nil {
						if pkg.InstalledSize, err = pp.int64Attr(*t, "installed"); err == nil {
							if pkg.ArchiveSize, err = pp.int64Attr(*t, "archive"); err == nil {
								err = s.skip(s.depth())
							}
						}
					}
				}
			case "location":
				if err = pp.once(seenLocation, "location"); err == nil {
					pkg.Location, _ = attr(*t, "", "href")
					pkg.LocationBase, _ = attr(*t, "xml", "base")
					err = s.skip(s.depth())
				}
			case "format":
				if err = pp.once(seenFormat, "format"); err == nil {
					err = pp.format()
				}
			default:
				err = s.skip(s.depth())
			}
			if err != nil {
				return pp.attach(err)
			}
		}
	}
}

// complete checks a package once its end tag is read and derives the source
// package's name and version.
func (pp *pkgParser) complete() error {
	pkg := pp.pkg
	for _, req := range [...]struct {
		bit  uint32
		name string
		ok   bool
	}{
		{seenName, "name", pkg.Name != ""},
		{seenArch, "arch", pkg.Arch != ""},
		{seenVersion, "version", true},
		{seenChecksum, "checksum", true},
		{seenLocation, "location", pkg.Location != ""},
	} {
		if pp.seen&req.bit == 0 || !req.ok {
			return pp.errorf(req.name, fmt.Errorf("%w element or value", ErrMissing))
		}
	}
	return pp.sourcePackage()
}

// sourcePackage fills SourceName and SourceVersion.
func (pp *pkgParser) sourcePackage() error {
	if err := deriveSource(pp.pkg); err != nil {
		return pp.errorf("rpm:sourcerpm", err)
	}
	return nil
}

// deriveSource splits the source rpm's file name into SourceName and
// SourceVersion; a package without one (a source package) is its own
// source.
func deriveSource(pkg *Package) error {
	if pkg.SourceRPM == "" {
		pkg.SourceName = pkg.Name
		pkg.SourceVersion = pkg.Version.Version
		if pkg.Version.Release != "" {
			pkg.SourceVersion += "-" + pkg.Version.Release
		}
		return nil
	}
	var err error
	pkg.SourceName, pkg.SourceVersion, err = splitSourceRPM(pkg.SourceRPM)
	return err
}

// evr reads the epoch, ver and rel attributes of a version element or
// dependency entry.
func (pp *pkgParser) evr(e xml.StartElement) (EVR, error) {
	var v EVR
	for _, a := range e.Attr {
		if a.Name.Space != "" {
			continue
		}
		switch a.Name.Local {
		case "epoch":
			v.Epoch = a.Value
			if v.Epoch == "0" {
				v.Epoch = "0" // one shared string, not the decoder's copy
			}
		case "ver":
			v.Version = a.Value
		case "rel":
			v.Release = a.Value
		}
	}
	if err := checkEpoch(v.Epoch); err != nil {
		return EVR{}, pp.errorf(qname(e.Name), err)
	}
	return v, nil
}

// format parses <format>, just opened.
func (pp *pkgParser) format() error {
	p, s, pkg := pp.p, pp.p.s, pp.pkg
	for {
		t, err := s.token()
		if err != nil {
			return err
		}
		switch t := t.(type) {
		case *xml.EndElement:
			return nil
		case *xml.StartElement:
			var err error
			switch {
			case t.Name.Space == "rpm":
				err = pp.formatElement(*t)
			case t.Name.Space == "" && t.Name.Local == "file" && p.opts.primaryFiles:
				if len(pkg.Files) == MaxFiles {
					return pp.errorf("file", fmt.Errorf("%w: more than %d files", ErrTooMany, MaxFiles))
				}
				var f File
				f.Type, _ = attr(*t, "", "type")
				if f.Path, err = pp.text(); err == nil {
					pkg.Files = append(pkg.Files, f)
				}
			default:
				err = s.skip(s.depth())
			}
			if err != nil {
				return err
			}
		}
	}
}

func (pp *pkgParser) formatElement(t xml.StartElement) error {
	s, pkg := pp.p.s, pp.pkg
	var err error
	name := "rpm:" + t.Name.Local
	switch t.Name.Local {
	case "license":
		if err = pp.once(seenLicense, name); err == nil {
			pkg.License, err = pp.internedText()
		}
	case "vendor":
		if err = pp.once(seenVendor, name); err == nil {
			pkg.Vendor, err = pp.internedText()
		}
	case "group":
		if err = pp.once(seenGroup, name); err == nil {
			pkg.Group, err = pp.internedText()
		}
	case "buildhost":
		if err = pp.once(seenBuildHost, name); err == nil {
			pkg.BuildHost, err = pp.internedText()
		}
	case "sourcerpm":
		if err = pp.once(seenSourceRPM, name); err == nil {
			pkg.SourceRPM, err = pp.text()
		}
	case "header-range":
		if err = pp.once(seenHeaderRange, name); err == nil {
			if pkg.HeaderStart, err = pp.int64Attr(t, "start"); err == nil {
				if pkg.HeaderEnd, err = pp.int64Attr(t, "end"); err == nil {
					err = s.skip(s.depth())
				}
			}
		}
	case "provides":
		err = pp.entries(seenProvides, name, &pkg.Provides, false)
	case "requires":
		err = pp.entries(seenRequires, name, &pkg.Requires, true)
	case "conflicts":
		err = pp.entries(seenConflicts, name, &pkg.Conflicts, false)
	case "obsoletes":
		err = pp.entries(seenObsoletes, name, &pkg.Obsoletes, false)
	case "recommends":
		err = pp.entries(seenRecommends, name, &pkg.Recommends, false)
	case "suggests":
		err = pp.entries(seenSuggests, name, &pkg.Suggests, false)
	case "supplements":
		err = pp.entries(seenSupplements, name, &pkg.Supplements, false)
	case "enhances":
		err = pp.entries(seenEnhances, name, &pkg.Enhances, false)
	default:
		err = s.skip(s.depth())
	}
	return err
}

// entries reads the <rpm:entry> elements of a dependency list, just opened.
func (pp *pkgParser) entries(bit uint32, name string, dst *[]Dependency, requires bool) error {
	if err := pp.once(bit, name); err != nil {
		return err
	}
	s := pp.p.s
	for {
		t, err := s.token()
		if err != nil {
			return err
		}
		switch t := t.(type) {
		case *xml.EndElement:
			return nil
		case *xml.StartElement:
			if t.Name.Space != "rpm" || t.Name.Local != "entry" {
				if err := s.skip(s.depth()); err != nil {
					return err
				}
				continue
			}
			if len(*dst) == MaxEntries {
				return pp.errorf(name, fmt.Errorf("%w: more than %d", ErrTooMany, MaxEntries))
			}
			d, err := pp.entry(*t, requires)
			if err != nil {
				return err
			}
			*dst = append(*dst, d)
			if err := s.skip(s.depth()); err != nil {
				return err
			}
		}
	}
}

func (pp *pkgParser) entry(t xml.StartElement, requires bool) (Dependency, error) {
	var d Dependency
	var err error
	if d.EVR, err = pp.evr(t); err != nil {
		return d, err
	}
	for _, a := range t.Attr {
		if a.Name.Space != "" {
			continue
		}
		switch a.Name.Local {
		case "name":
			d.Name = a.Value
		case "flags":
			if d.Flags, err = parseFlags(a.Value); err != nil {
				return d, pp.errorf("rpm:entry", err)
			}
		case "pre":
			// createrepo_c writes pre="1"; yum's createrepo wrote "1" too,
			// and its sqlite "TRUE".
			d.Pre = requires && (a.Value == "1" || a.Value == "TRUE" || a.Value == "true")
		}
	}
	if err := checkDependency(d); err != nil {
		return d, pp.errorf("rpm:entry", err)
	}
	return d, nil
}

// internedText reads an element's text and shares one string among the
// packages that repeat it (arch, license, vendor, group, build host,
// packager), so that a long index keeps one copy of each.
func (pp *pkgParser) internedText() (string, error) {
	b, err := pp.p.s.readText(pp.p.maxText)
	if err != nil {
		return "", pp.attach(err)
	}
	return pp.p.intern.Get(b), nil
}
