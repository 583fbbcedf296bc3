package settings

import (
	"cmp"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
)

// Network reads the network configuration of the four systems a Linux
// image may configure its interfaces with — ifupdown, netplan,
// NetworkManager and systemd-networkd — into Program "network" rows. Keys
// are "<system>.<interface>.<setting>": the system is "ifupdown",
// "netplan", "networkmanager" or "networkd"; the interface is what that
// system configures an interface by (an iface name, a netplan ID, a
// NetworkManager connection, a .network file) and each parser documents
// its keys and conditions. An image usually holds one system's files, but
// nothing stops it from holding several (Debian's network-manager leaves
// /etc/network/interfaces alone), so all four are read and the rows say
// which one set what.
func Network(fsys fs.FS) ([]Setting, error) {
	rows := &networkRows{}
	for _, parse := range []func(fs.FS, *networkRows) error{
		networkIfupdown,
		networkNetplan,
		networkManager,
		networkNetworkd,
	} {
		if err := parse(fsys, rows); err != nil {
			return nil, err
		}
	}
	slices.SortStableFunc(rows.rows, func(a, b Setting) int {
		return cmp.Or(strings.Compare(a.Key, b.Key), strings.Compare(a.Condition, b.Condition))
	})
	return rows.rows, nil
}

// networkSecret is the value written instead of a password or key: the
// rows end up in datasets and reports, which must not carry credentials.
const networkSecret = "(secret)"

// networkRows collects the rows of one Network call and enforces the row
// bound across all four systems.
type networkRows struct {
	rows []Setting
}

func (r *networkRows) add(s Setting) error {
	if len(r.rows) >= maxRows {
		return fmt.Errorf("settings: network: %s line %d: more than %d rows", s.File, s.Line, maxRows)
	}
	s.Program = "network"
	r.rows = append(r.rows, s)
	return nil
}

// networkRead reads one file of the image through the size bound, its
// symlinks followed inside the image's root (imageRoot), never on the
// host. A missing file or a directory returns an error matching
// fs.ErrNotExist, which callers take for "no rows"; a link to /dev/null
// reads as empty.
func networkRead(fsys fs.FS, name string) ([]byte, error) {
	real, err := imageRoot{fsys}.resolve(name)
	if err != nil {
		return nil, fmt.Errorf("settings: network: /%s: %w", name, err)
	}
	if real == "dev/null" {
		return nil, nil
	}
	f, err := fsys.Open(real)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if info, err := f.Stat(); err == nil && info.IsDir() {
		return nil, fmt.Errorf("settings: network: /%s is a directory: %w", name, fs.ErrNotExist)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("settings: network: /%s: %w", name, err)
	}
	if len(data) > maxFileBytes {
		return nil, fmt.Errorf("settings: network: /%s: larger than %d bytes", name, maxFileBytes)
	}
	return data, nil
}

// networkStat stats a file of the image with its symlinks followed inside
// the root.
func networkStat(fsys fs.FS, name string) (fs.FileInfo, error) {
	real, err := imageRoot{fsys}.resolve(name)
	if err != nil {
		return nil, err
	}
	return fs.Stat(fsys, real)
}

// networkDirFile is one configuration file found in a set of directories
// where a same-named file in an earlier (higher-priority) directory
// replaces the others: netplan's, NetworkManager's conf.d and networkd's.
type networkDirFile struct {
	name string // base name, the sort key
	path string // path in the image, without the leading slash
}

// networkDirFiles lists the files (or symlinks; not directories) whose
// names match keep in dirs, given from the highest priority down, one per base name,
// sorted by base name regardless of directory.
func networkDirFiles(fsys fs.FS, dirs []string, keep func(name string) bool) ([]networkDirFile, error) {
	seen := map[string]bool{}
	var files []networkDirFile
	for _, dir := range dirs {
		entries, err := imageRoot{fsys}.readDir(dir)
		if err != nil {
			// A path component that is a file, not a directory, holds no
			// configuration either.
			if info, serr := networkStat(fsys, dir); serr == nil && !info.IsDir() {
				continue
			}
			return nil, fmt.Errorf("settings: network: /%s: %w", dir, err)
		}
		for _, e := range entries {
			if !keep(e.Name()) || seen[e.Name()] || e.IsDir() {
				continue
			}
			seen[e.Name()] = true
			files = append(files, networkDirFile{name: e.Name(), path: path.Join(dir, e.Name())})
		}
		if len(files) > maxRows {
			return nil, fmt.Errorf("settings: network: /%s: more than %d files", dir, maxRows)
		}
	}
	slices.SortFunc(files, func(a, b networkDirFile) int { return strings.Compare(a.name, b.name) })
	return files, nil
}

// networkLines splits a file into lines; a CR before the newline is left
// for the parsers' whitespace trimming, as all four programs trim it.
func networkLines(data []byte) []string {
	return strings.Split(string(data), "\n")
}
