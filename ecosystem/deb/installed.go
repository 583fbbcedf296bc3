package deb

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"github.com/distroscope/distroscope/ecosystem"
	"github.com/distroscope/distroscope/ecosystem/installed"
)

// Where dpkg and ucf keep their databases, relative to the root.
const (
	StatusPath      = "var/lib/dpkg/status"
	StatusDDir      = "var/lib/dpkg/status.d"
	InfoDir         = "var/lib/dpkg/info"
	DiversionsPath  = "var/lib/dpkg/diversions"
	UCFHashfilePath = "var/lib/ucf/hashfile"
	UCFRegistryPath = "var/lib/ucf/registry"
)

// infoSuffixes are the info/ files Installed reads; the maintainer
// scripts, shlibs, symbols and triggers beside them are not needed.
var infoSuffixes = []string{".list", ".md5sums", ".conffiles"}

// DB is a dpkg database as bytes, read out of a root filesystem by the
// caller (which bounds each file's size): Installed is pure and does no
// I/O. Absent files are nil.
type DB struct {
	Status []byte // var/lib/dpkg/status
	// StatusD holds var/lib/dpkg/status.d/, base name to bytes: one
	// control stanza per package, without Status (distroless images), and
	// NAME.md5sums beside it.
	StatusD map[string][]byte
	// Info holds var/lib/dpkg/info/ base name to bytes: PKG.list,
	// PKG.md5sums and PKG.conffiles, "PKG:ARCH.*" for Multi-Arch: same.
	Info        map[string][]byte
	Diversions  []byte // var/lib/dpkg/diversions
	UCF         []byte // var/lib/ucf/hashfile
	UCFRegistry []byte // var/lib/ucf/registry
}

// WantsPath reports whether Installed reads the file at p (relative to the
// root, without a leading slash), so that a caller reads only those.
func WantsPath(p string) bool {
	switch p {
	case StatusPath, DiversionsPath, UCFHashfilePath, UCFRegistryPath:
		return true
	}
	dir, base, _ := cutLast(p, '/')
	switch dir {
	case StatusDDir:
		return base != ""
	case InfoDir:
		for _, s := range infoSuffixes {
			if strings.HasSuffix(base, s) {
				return true
			}
		}
	}
	return false
}

// Add files the bytes of the file at p (as WantsPath takes it) into db;
// a path WantsPath refuses is ignored.
func (db *DB) Add(p string, data []byte) {
	if !WantsPath(p) {
		return
	}
	switch p {
	case StatusPath:
		db.Status = data
		return
	case DiversionsPath:
		db.Diversions = data
		return
	case UCFHashfilePath:
		db.UCF = data
		return
	case UCFRegistryPath:
		db.UCFRegistry = data
		return
	}
	dir, base, _ := cutLast(p, '/')
	m := &db.Info
	if dir == StatusDDir {
		m = &db.StatusD
	}
	if *m == nil {
		*m = map[string][]byte{}
	}
	(*m)[base] = data
}

func cutLast(s string, sep byte) (before, after string, found bool) {
	if i := strings.LastIndexByte(s, sep); i >= 0 {
		return s[:i], s[i+1:], true
	}
	return "", s, false
}

// Installed returns the packages of a dpkg database that `dpkg-query -W`
// lists, in the order of the status file (then of status.d/, by file
// name), each with the paths it owns and what dpkg expects of them:
//
//   - ownership is the union of info/PKG.list (every path, directories
//     included), PKG.md5sums and the conffiles, in that order; dpkg
//     records no file types, so Type is unknown;
//   - a regular file's Digest is its md5 from PKG.md5sums; a conffile's is
//     the one in the status file's Conffiles field (dh_md5sums leaves
//     conffiles out of md5sums), none while dpkg still marks it
//     "newconffile"; an obsolete or remove-on-upgrade conffile is a Ghost;
//   - a path diverted away from the package (var/lib/dpkg/diversions, by
//     another package or locally) is recorded where dpkg put it, the
//     diverted-to name, with the package's digest. `dpkg --verify` (1.21 and
//     1.22 alike) looks there too and reports the file missing when it is
//     absent, but does not compare its content: the content dpkg unpacked
//     there is the package's, so it is compared here, and a changed diverted
//     file is "modified" where dpkg --verify says nothing;
//   - a file ucf manages (var/lib/ucf/registry) that is no package's dpkg
//     conffile is the registering package's, Config with Managed "ucf" and
//     the Digest in ucf's hashfile.
//
// In status.d/ (distroless images) a stanza has no Status and counts as
// installed, its md5sums are status.d/NAME.md5sums and there is no .list.
//
// Every failure is a *ParseError naming the file and line (a package
// listed twice, in status and status.d say, names the second place); all
// lines are bounded by MaxInfoLine, all paths together by MaxOwnedPaths
// and the packages by MaxStatusEntries.
func Installed(db DB) ([]installed.Package, error) {
	budget := MaxOwnedPaths
	var entries []StatusEntry
	var md5Files []string // per entry: where its md5sums are
	if db.Status != nil {
		all, err := parseStatus(bytes.NewReader(db.Status), "status")
		if err != nil {
			return nil, err
		}
		for _, e := range all {
			// dpkg reads a status stanza without Status as "unknown ok
			// not-installed" and does not list it.
			if e.Status != "" {
				entries = append(entries, e)
				md5Files = append(md5Files, "")
			}
		}
	}
	names := make([]string, 0, len(db.StatusD))
	for name := range db.StatusD {
		if !strings.HasSuffix(name, ".md5sums") {
			names = append(names, name)
		}
	}
	if len(names) > MaxStatusEntries {
		return nil, &ParseError{File: "status.d", Line: 1, Err: fmt.Errorf("%w: more than %d files", ErrTooManyEntries, MaxStatusEntries)}
	}
	slices.Sort(names)
	for _, name := range names {
		got, err := parseStatus(bytes.NewReader(db.StatusD[name]), "status.d/"+name)
		if err != nil {
			return nil, err
		}
		for _, e := range got {
			entries = append(entries, e)
			md5Files = append(md5Files, name+".md5sums")
		}
	}
	if len(entries) > MaxStatusEntries {
		return nil, &ParseError{File: "status.d", Line: 1, Err: fmt.Errorf("%w: more than %d packages", ErrTooManyEntries, MaxStatusEntries)}
	}

	var diversions map[string]Diversion
	if db.Diversions != nil {
		var err error
		if diversions, err = parseDiversions(db.Diversions, "diversions", &budget); err != nil {
			return nil, err
		}
	}

	pkgs := make([]installed.Package, 0, len(entries))
	seen := make(map[string]string, len(entries)) // key -> file that listed it
	for i, e := range entries {
		p := installed.Package{
			Ecosystem: ecosystem.Deb, Name: e.Package, Version: e.Version, Architecture: e.Architecture,
			Source: e.Source, SourceVersion: e.SourceVersion,
		}
		if p.Source == "" {
			p.Source = p.Name
		}
		if p.SourceVersion == p.Version {
			p.SourceVersion = ""
		}
		where := "status"
		if md5Files[i] != "" {
			where = "status.d/" + strings.TrimSuffix(md5Files[i], ".md5sums")
		}
		if first, dup := seen[p.Key()]; dup {
			return nil, &ParseError{File: where, Line: e.Line, Package: e.Package,
				Err: fmt.Errorf("%w: %s is also in %s", ErrDuplicateField, ecosystem.Quote(p.Key()), first)}
		}
		seen[p.Key()] = where
		files, err := ownedFiles(db, e, md5Files[i], diversions, &budget)
		if err != nil {
			return nil, err
		}
		p.Files = files
		pkgs = append(pkgs, p)
	}
	if err := addUCF(db, pkgs); err != nil {
		return nil, err
	}
	return pkgs, nil
}

// infoName finds the name dpkg gave a package's info files: "PKG:ARCH"
// for Multi-Arch: same, "PKG" otherwise — each tried after the other, as
// databases converted from before multiarch may keep the plain name.
func infoName(db DB, e StatusEntry) string {
	qualified := e.Package + ":" + e.Architecture
	order := []string{e.Package, qualified}
	if e.MultiArch == "same" {
		order = []string{qualified, e.Package}
	}
	for _, n := range order {
		for _, s := range infoSuffixes {
			if _, ok := db.Info[n+s]; ok {
				return n
			}
		}
	}
	return order[0]
}

// fileSet collects a package's files in database order, one per path.
type fileSet struct {
	files []installed.File
	index map[string]int
}

func (s *fileSet) get(p string) *installed.File {
	if i, ok := s.index[p]; ok {
		return &s.files[i]
	}
	s.index[p] = len(s.files)
	s.files = append(s.files, installed.File{Path: p})
	return &s.files[len(s.files)-1]
}

// ownedFiles builds one package's file records (see Installed).
func ownedFiles(db DB, e StatusEntry, md5File string, diversions map[string]Diversion, budget *int) ([]installed.File, error) {
	var md5Data []byte
	var md5Name, n string
	if md5File != "" {
		md5Data, md5Name = db.StatusD[md5File], "status.d/"+md5File
	} else {
		n = infoName(db, e)
	}
	// The .list (or, without one, the md5sums) names nearly every path:
	// sized from its lines, the records are not grown and copied.
	size := bytes.Count(db.Info[n+".list"], []byte{'\n'}) + len(e.Conffiles)
	if md5File != "" {
		size = bytes.Count(md5Data, []byte{'\n'})
	}
	size = min(size, *budget)
	set := fileSet{files: make([]installed.File, 0, size), index: make(map[string]int, size)}
	if md5File == "" {
		if data, ok := db.Info[n+".list"]; ok {
			paths, err := parseList(data, "info/"+n+".list", budget)
			if err != nil {
				return nil, err
			}
			for _, p := range paths {
				set.get(p)
			}
		}
		md5Data, md5Name = db.Info[n+".md5sums"], "info/"+n+".md5sums"
		if data, ok := db.Info[n+".conffiles"]; ok {
			cfs, err := parseConffilesInfo(data, "info/"+n+".conffiles", budget)
			if err != nil {
				return nil, err
			}
			for _, c := range cfs {
				f := set.get(c.Path)
				f.Config = true
				f.Ghost = f.Ghost || c.RemoveOnUpgrade
			}
		}
	}
	if md5Data != nil {
		sums, err := parseMD5sums(md5Data, md5Name, budget)
		if err != nil {
			return nil, err
		}
		for _, s := range sums {
			set.get(s.Path).Digest = installed.Digest{Algo: installed.MD5, Hex: s.MD5}
		}
	}
	for _, c := range e.Conffiles {
		f := set.get(c.Path)
		f.Config = true
		// The status file's digest is the default the package shipped; a
		// newconffile has none yet, whatever md5sums says.
		f.Digest = installed.Digest{}
		if c.MD5 != "" {
			f.Digest = installed.Digest{Algo: installed.MD5, Hex: c.MD5}
		}
		f.Ghost = c.Obsolete || c.RemoveOnUpgrade
	}
	*budget -= len(e.Conffiles)
	if *budget < 0 {
		return nil, &ParseError{File: "info", Line: 1, Package: e.Package,
			Err: fmt.Errorf("%w: more than %d owned paths", ErrTooManyEntries, MaxOwnedPaths)}
	}
	for i := range set.files {
		f := &set.files[i]
		if d, ok := diversions[f.Path]; ok && d.Package != e.Package {
			f.Path = d.To
		}
	}
	return set.files, nil
}

// addUCF attributes the files ucf manages to the packages that registered
// them. A path that is some package's dpkg conffile stays dpkg's; a
// registration by a package that is not installed is left out (nothing
// owns the file any more).
func addUCF(db DB, pkgs []installed.Package) error {
	if db.UCFRegistry == nil {
		return nil
	}
	regs, err := ParseUCFRegistry(bytes.NewReader(db.UCFRegistry))
	if err != nil {
		return err
	}
	hashes := map[string]string{}
	if db.UCF != nil {
		hs, err := ParseUCFHashfile(bytes.NewReader(db.UCF))
		if err != nil {
			return err
		}
		for _, h := range hs {
			hashes[h.Path] = h.MD5
		}
	}
	conffiles := map[string]bool{}
	byName := map[string]int{}
	for i := range pkgs {
		if _, ok := byName[pkgs[i].Name]; !ok {
			byName[pkgs[i].Name] = i
		}
		for _, f := range pkgs[i].Files {
			if f.Config && f.Managed == "" {
				conffiles[f.Path] = true
			}
		}
	}
	for _, r := range regs {
		i, ok := byName[r.Package]
		if !ok || conffiles[r.Path] {
			continue
		}
		p := &pkgs[i]
		j := slices.IndexFunc(p.Files, func(f installed.File) bool { return f.Path == r.Path })
		if j < 0 {
			p.Files = append(p.Files, installed.File{Path: r.Path})
			j = len(p.Files) - 1
		}
		f := &p.Files[j]
		f.Config, f.Managed, f.Digest = true, "ucf", installed.Digest{}
		if sum, ok := hashes[r.Path]; ok {
			f.Digest = installed.Digest{Algo: installed.MD5, Hex: sum}
		}
	}
	return nil
}
