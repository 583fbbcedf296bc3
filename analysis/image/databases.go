package image

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/distroscope/distroscope/ecosystem"
	"github.com/distroscope/distroscope/ecosystem/alpm"
	"github.com/distroscope/distroscope/ecosystem/apk"
	"github.com/distroscope/distroscope/ecosystem/deb"
	"github.com/distroscope/distroscope/ecosystem/installed"
	"github.com/distroscope/distroscope/ecosystem/rpm/rpmdb"
	"github.com/distroscope/distroscope/internal/imagefs"
)

// Where each ecosystem keeps its database. rpm moved from /var/lib/rpm to
// /usr/lib/sysimage/rpm (Fedora 36, openSUSE), leaving a symlink behind;
// apk-tools 3 moved /lib/apk/db to /usr/lib/apk/db.
var (
	rpmDirs       = []string{"/usr/lib/sysimage/rpm", "/var/lib/rpm"}
	rpmFiles      = map[string]bool{"rpmdb.sqlite": true, "rpmdb.sqlite-wal": true, "rpmdb.sqlite-shm": true, "Packages": true, "Packages.db": true}
	apkInstalled  = []string{"/lib/apk/db/installed", "/usr/lib/apk/db/installed"}
	apkProtected  = "/etc/apk/protected_paths.d"
	pacmanLocal   = "/var/lib/pacman/local"
	pacmanFiles   = map[string]bool{"desc": true, "files": true, "mtree": true}
	osReleases    = []string{"/etc/os-release", "/usr/lib/os-release"}
	accountsFiles = []string{"/etc/passwd", "/etc/group"}
)

// databasePath says which files of a layer are kept in memory as it
// streams by: the package databases, os-release and the account files.
// Everything else is only hashed.
func databasePath(p string) bool {
	rel := strings.TrimPrefix(p, "/")
	if deb.WantsPath(rel) {
		return true
	}
	dir, base := path.Split(p)
	dir = strings.TrimSuffix(dir, "/")
	switch {
	case rpmFiles[base] && (dir == rpmDirs[0] || dir == rpmDirs[1]):
		return true
	case dir == apkProtected && strings.HasSuffix(base, ".list"):
		return true
	case pacmanFiles[base] && path.Dir(dir) == pacmanLocal:
		return true
	}
	for _, set := range [][]string{apkInstalled, osReleases, accountsFiles} {
		for _, q := range set {
			if p == q {
				return true
			}
		}
	}
	return false
}

// readDatabases reads every package database the tree holds, ecosystem by
// ecosystem: an image normally has one, but a Debian image with rpm
// installed for building packages has an (empty) rpm database too.
func readDatabases(t *imagefs.Tree) ([]installed.Package, []ecosystem.Name, error) {
	var (
		all   []installed.Package
		found []ecosystem.Name
	)
	for _, r := range []struct {
		eco  ecosystem.Name
		read func(*imagefs.Tree) ([]installed.Package, bool, error)
	}{{ecosystem.Deb, readDeb}, {ecosystem.RPM, readRPM}, {ecosystem.APK, readAPK}, {ecosystem.ALPM, readPacman}} {
		pkgs, ok, err := r.read(t)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %s database: %w", ErrCorrupt, r.eco, err)
		}
		if ok {
			found = append(found, r.eco)
			all = append(all, pkgs...)
		}
	}
	return all, found, nil
}

// readOptional reads a file that may be absent.
func readOptional(t *imagefs.Tree, p string) ([]byte, error) {
	b, err := t.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return b, err
}

// readDir reads the regular files of a directory that keep reports
// wanted, base name to bytes; a missing directory is empty.
func readDir(t *imagefs.Tree, dir string, keep func(name string) bool) (map[string][]byte, error) {
	nodes, err := t.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	for _, n := range nodes {
		name := path.Base(n.Path)
		if n.Type != imagefs.Regular || !keep(name) {
			continue
		}
		b, err := t.ReadFile(n.Path)
		if err != nil {
			return nil, err
		}
		out[name] = b
	}
	return out, nil
}

func readDeb(t *imagefs.Tree) ([]installed.Package, bool, error) {
	var db deb.DB
	var err error
	if db.Status, err = readOptional(t, "/"+deb.StatusPath); err != nil {
		return nil, false, err
	}
	if db.StatusD, err = readDir(t, "/var/lib/dpkg/status.d", func(string) bool { return true }); err != nil {
		return nil, false, err
	}
	if db.Status == nil && len(db.StatusD) == 0 {
		return nil, false, nil
	}
	if db.Info, err = readDir(t, "/var/lib/dpkg/info", func(name string) bool { return deb.WantsPath("var/lib/dpkg/info/" + name) }); err != nil {
		return nil, false, err
	}
	for _, f := range []struct {
		dst *[]byte
		p   string
	}{{&db.Diversions, deb.DiversionsPath}, {&db.UCF, deb.UCFHashfilePath}, {&db.UCFRegistry, deb.UCFRegistryPath}} {
		if *f.dst, err = readOptional(t, "/"+f.p); err != nil {
			return nil, false, err
		}
	}
	pkgs, err := deb.Installed(db)
	return pkgs, true, err
}

func readRPM(t *imagefs.Tree) ([]installed.Package, bool, error) {
	for _, dir := range rpmDirs {
		files, err := readDir(t, dir, func(name string) bool { return rpmFiles[name] })
		if err != nil {
			return nil, false, err
		}
		if len(files) == 0 {
			continue
		}
		pkgs, _, err := rpmdb.Read(files)
		return pkgs, true, err
	}
	return nil, false, nil
}

func readAPK(t *imagefs.Tree) ([]installed.Package, bool, error) {
	for _, p := range apkInstalled {
		db, err := readOptional(t, p)
		if err != nil {
			return nil, false, err
		}
		if db == nil {
			continue
		}
		protected, err := readDir(t, apkProtected, func(name string) bool { return strings.HasSuffix(name, ".list") })
		if err != nil {
			return nil, false, err
		}
		pkgs, err := apk.Installed(db, protected)
		return pkgs, true, err
	}
	return nil, false, nil
}

func readPacman(t *imagefs.Tree) ([]installed.Package, bool, error) {
	dirs, err := t.ReadDir(pacmanLocal)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	entries := map[string]map[string][]byte{}
	for _, d := range dirs {
		if d.Type != imagefs.Dir {
			continue
		}
		files, err := readDir(t, d.Path, func(name string) bool { return pacmanFiles[name] })
		if err != nil {
			return nil, false, err
		}
		entries[path.Base(d.Path)] = files
	}
	if len(entries) == 0 {
		return nil, false, nil
	}
	pkgs, err := alpm.Local(entries)
	return pkgs, true, err
}
