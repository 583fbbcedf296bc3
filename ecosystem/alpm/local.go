package alpm

import (
	"bytes"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/distroscope/distroscope/ecosystem"
	"github.com/distroscope/distroscope/ecosystem/installed"
)

// LocalDB is the path of pacman's local database inside a root filesystem
// (its default DBPath var/lib/pacman plus "local"), as Local names it in
// errors.
const LocalDB = "var/lib/pacman/local"

// Local reads pacman's local database — one directory per installed
// package, "NAME-VERSION", holding desc, files and, since pacman 4.1,
// mtree — into one record per package, in the order of the directory
// names. entries maps a directory's name to its files' names and bytes;
// a directory without desc is refused, and files other than desc, files
// and mtree (install, changelog) are not read.
//
// desc is the sync databases' format (alpm-local-desc(5) adds %SIZE%,
// %INSTALLDATE%, %REASON%, %VALIDATION% and %XDATA%, kept nowhere here) and
// is read by the same parser, with the same bounds and checks: %NAME% and
// %VERSION% must agree with the directory name. %BASE% is the Source.
// files holds %FILES% — paths relative to the root, directories ending in
// "/" — and %BACKUP%, "path<TAB>md5" per file pacman treats as
// configuration (alpm-local-files(5)). mtree is the package's .MTREE
// (ParseMTree): each path's type, mode, owner, size, mtime, link target
// and digests as the package's archive recorded them, which is what
// pacman -Qkk compares a file with.
//
// A backup file is Config, and its Digest is the %BACKUP% MD5 rather than
// the mtree's SHA-256: that is the hash pacman's .pacnew logic compares
// the file on disk with when it upgrades the package (lib/libalpm/add.c),
// so a file that differs from it is one pacman will not overwrite. pacman
// -Qkk checks backup files like any other but reports them apart
// ("backup file: ...") and does not count them as altered; distroscope
// reports their state against the backup MD5. Every other file's Digest
// is the mtree's SHA-256 (its MD5 when that is all there is).
func Local(entries map[string]map[string][]byte) ([]installed.Package, error) {
	dirs := make([]string, 0, len(entries))
	for dir := range entries {
		dirs = append(dirs, dir)
	}
	slices.Sort(dirs)
	pkgs := make([]installed.Package, 0, len(dirs))
	for _, dir := range dirs {
		p, err := localPackage(dir, entries[dir])
		if err != nil {
			return nil, err
		}
		pkgs = append(pkgs, p)
	}
	return pkgs, nil
}

func localPackage(dir string, files map[string][]byte) (installed.Package, error) {
	if dir == "" || dir == "." || dir == ".." || strings.ContainsAny(dir, "/\x00") {
		return installed.Package{}, &ParseError{File: LocalDB, Member: dir, Err: fmt.Errorf("%w: package directory %s", ErrUnsafePath, ecosystem.Quote(dir))}
	}
	if _, ok := files["desc"]; !ok {
		return installed.Package{}, &ParseError{File: LocalDB, Member: dir + "/desc", Err: fmt.Errorf("%w: no desc file", ErrMissingField)}
	}
	st := entryState{pkg: &Package{Dir: dir, CSize: -1, ISize: -1}}
	for _, e := range []struct {
		name  string
		files bool
		max   int64
	}{{"desc", false, DefaultMaxEntrySize}, {"files", true, DefaultMaxFilesEntrySize}} {
		data, ok := files[e.name]
		if !ok {
			continue
		}
		member := dir + "/" + e.name
		if int64(len(data)) > e.max {
			return installed.Package{}, &ParseError{File: LocalDB, Member: member, Err: fmt.Errorf("%w: %d bytes, limit %d", ErrMemberTooLarge, len(data), e.max)}
		}
		if err := st.parse(LocalDB, member, data, e.files); err != nil {
			return installed.Package{}, err
		}
	}
	if err := st.check(LocalDB, dir); err != nil {
		return installed.Package{}, err
	}
	ap := st.pkg
	p := installed.Package{
		Ecosystem:    ecosystem.ALPM,
		Name:         ap.Name,
		Version:      ap.Version,
		Architecture: ap.Arch,
		Source:       ap.Base,
	}
	backup, err := parseBackup(dir, ap.Extra)
	if err != nil {
		return installed.Package{}, err
	}
	var tree map[string]MTreeEntry
	if data, ok := files["mtree"]; ok {
		entries, err := parseMTree(bytes.NewReader(data), LocalDB, dir+"/mtree")
		if err != nil {
			return installed.Package{}, err
		}
		tree = make(map[string]MTreeEntry, len(entries))
		for _, e := range entries {
			tree[e.Path] = e
		}
	}
	p.Files = make([]installed.File, 0, len(ap.Files))
	for _, rel := range ap.Files {
		p.Files = append(p.Files, localFile(rel, tree, backup))
	}
	return p, nil
}

// parseBackup reads %BACKUP%: "path<TAB>md5" per line. The path is
// relative, as in %FILES%.
func parseBackup(dir string, extra []Section) (map[string]string, error) {
	backup := map[string]string{}
	for _, s := range extra {
		if s.Name != "BACKUP" {
			continue
		}
		for _, v := range s.Values {
			rel, sum, ok := strings.Cut(v, "\t")
			fail := func(err error) error {
				return &ParseError{File: LocalDB, Member: dir + "/files", Section: "%BACKUP%", Err: err}
			}
			if !ok {
				return nil, fail(fmt.Errorf("%w: %s is not path<TAB>md5", ErrSyntax, ecosystem.Quote(v)))
			}
			if rel == "" || strings.HasPrefix(rel, "/") || hasDotDot(rel) {
				return nil, fail(fmt.Errorf("%w: %s", ErrUnsafePath, ecosystem.Quote(rel)))
			}
			sum, err := checkHex(sum, 32)
			if err != nil {
				return nil, fail(err)
			}
			backup[path.Clean("/"+rel)] = strings.ToLower(sum)
		}
	}
	return backup, nil
}

// localFile is one %FILES% path with what the mtree and %BACKUP% say of it.
func localFile(rel string, tree map[string]MTreeEntry, backup map[string]string) installed.File {
	f := installed.File{Path: path.Clean("/" + rel)}
	if strings.HasSuffix(rel, "/") {
		f.Type = installed.TypeDir
	}
	if e, ok := tree[f.Path]; ok {
		switch e.Type {
		case "file":
			f.Type = installed.TypeRegular
		case "dir":
			f.Type = installed.TypeDir
		case "link":
			f.Type = installed.TypeSymlink
		case "":
		default:
			f.Type = installed.TypeOther
		}
		f.HasMode, f.Mode = e.HasMode, e.Mode
		if e.HasUID && e.HasGID {
			f.HasOwner, f.UID, f.GID = true, e.UID, e.GID
		}
		if e.HasSize && f.Type == installed.TypeRegular {
			f.HasSize, f.Size = true, e.Size
		}
		// A directory's mtime changes whenever anything is added in
		// it, so pacman -Qkk does not compare it (check.c), and
		// neither should a comparison.
		if f.Type != installed.TypeDir {
			f.HasMTime, f.MTime = e.HasTime, e.Time
		}
		f.HasLink, f.Link = e.HasLink, e.Link
		switch {
		case e.SHA256 != "":
			f.Digest = installed.Digest{Algo: installed.SHA256, Hex: e.SHA256}
		case e.MD5 != "":
			f.Digest = installed.Digest{Algo: installed.MD5, Hex: e.MD5}
		}
	}
	if sum, ok := backup[f.Path]; ok {
		f.Config = true
		f.Digest = installed.Digest{Algo: installed.MD5, Hex: sum}
	}
	return f
}
