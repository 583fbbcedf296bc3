package initsys

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
)

// Name names an init system.
type Name string

// The init systems Detect tells apart.
const (
	Systemd  Name = "systemd"
	OpenRC   Name = "openrc"
	SysVinit Name = "sysvinit"
	Runit    Name = "runit"
	S6       Name = "s6"
	Busybox  Name = "busybox"
	// None: the tree has no /sbin/init — a container image, whose entry
	// point is its only process.
	None Name = "none"
	// Unknown: an /sbin/init none of the rules recognise.
	Unknown Name = "unknown"
)

// System is the init system a tree boots with.
type System struct {
	Name Name
	// Evidence is what decided, as paths of the image: "/sbin/init →
	// /usr/lib/systemd/systemd", "/etc/inittab runs /sbin/openrc".
	Evidence string
	// Version when the tree says it without running anything (systemd's
	// libsystemd-shared-VERSION.so); empty otherwise.
	Version string
}

// initPaths are where the kernel looks for init (init/main.c tries
// /sbin/init first; /usr/sbin/init is the same file on merged-/usr trees
// and the only one on some).
var initPaths = []string{"sbin/init", "usr/sbin/init"}

// Detect tells which init system the tree fsys boots with, from what
// /sbin/init is (a link to systemd, busybox, runit-init, an s6-linux-init
// script, sysvinit's binary) and the configuration beside it (/etc/inittab,
// /etc/runlevels).
func Detect(fsys fs.FS) (System, error) {
	for _, p := range initPaths {
		dir, err := resolve(fsys, path.Dir(p))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return System{}, fmt.Errorf("initsys: /%s: %w", p, err)
		}
		if _, err := lstat(fsys, path.Join(dir, path.Base(p))); errors.Is(err, fs.ErrNotExist) {
			continue
		} else if err != nil {
			return System{}, fmt.Errorf("initsys: /%s: %w", p, err)
		}
		target, err := resolve(fsys, p)
		evidence := "/" + p
		if target != path.Join(dir, path.Base(p)) {
			evidence += " → /" + target
		}
		if errors.Is(err, fs.ErrNotExist) {
			return System{Name: None, Evidence: evidence + " (missing: nothing to boot)"}, nil
		}
		if err != nil {
			return System{}, fmt.Errorf("initsys: /%s: %w", p, err)
		}
		return classify(fsys, target, evidence)
	}
	return System{Name: None, Evidence: "no /sbin/init or /usr/sbin/init"}, nil
}

// classify names the init system whose init is the file target (resolved).
func classify(fsys fs.FS, target, evidence string) (System, error) {
	switch base := path.Base(target); {
	case base == "systemd":
		return System{Name: Systemd, Evidence: evidence, Version: systemdVersion(fsys)}, nil
	case base == "openrc-init":
		return System{Name: OpenRC, Evidence: evidence}, nil
	case base == "runit-init" || base == "runit":
		return System{Name: Runit, Evidence: evidence}, nil
	case strings.HasPrefix(base, "s6-"):
		return System{Name: S6, Evidence: evidence}, nil
	case base == "busybox":
		// Alpine's init is busybox's, and OpenRC its service manager,
		// started from /etc/inittab.
		if rc, ok, err := openrcFromInittab(fsys); err != nil || ok {
			return System{Name: OpenRC, Evidence: evidence + "; " + rc}, err
		}
		return System{Name: Busybox, Evidence: evidence}, nil
	}
	// A regular /sbin/init: s6-linux-init-maker writes an execline script
	// there; sysvinit's is a binary configured by /etc/inittab.
	head, err := readHead(fsys, target, 4096)
	if err != nil {
		return System{}, fmt.Errorf("initsys: %s: %w", evidence, err)
	}
	if bytes.HasPrefix(head, []byte("#!")) {
		switch {
		case bytes.Contains(head, []byte("s6-linux-init")):
			return System{Name: S6, Evidence: evidence + " (a script running s6-linux-init)"}, nil
		case bytes.Contains(head, []byte("runit")):
			return System{Name: Runit, Evidence: evidence + " (a script running runit)"}, nil
		}
	}
	if rc, ok, err := openrcFromInittab(fsys); err != nil || ok {
		return System{Name: OpenRC, Evidence: evidence + "; " + rc}, err
	}
	if exists(fsys, "etc/inittab") {
		return System{Name: SysVinit, Evidence: evidence + " with /etc/inittab"}, nil
	}
	return System{Name: Unknown, Evidence: evidence + " (not recognised)"}, nil
}

// openrcFromInittab reports whether /etc/inittab hands the boot to OpenRC,
// as Alpine's and Gentoo's do ("::sysinit:/sbin/openrc sysinit"), saying
// which line.
func openrcFromInittab(fsys fs.FS) (string, bool, error) {
	b, err := readFile(fsys, "etc/inittab")
	if errors.Is(err, fs.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("initsys: /etc/inittab: %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "#") {
			continue
		}
		if strings.Contains(line, "/openrc") {
			return fmt.Sprintf("/etc/inittab line %d runs OpenRC", n), true, nil
		}
	}
	return "", false, nil
}

// systemdDirs are where distributions install libsystemd-shared: Debian
// under the multiarch directory, Fedora in /usr/lib64, Arch in /usr/lib.
var systemdDirs = []string{"usr/lib/systemd", "usr/lib64/systemd", "lib/systemd", "usr/lib/*/systemd"}

// systemdVersion reads systemd's version off the name of its shared
// library, libsystemd-shared-VERSION.so, which every build installs.
func systemdVersion(fsys fs.FS) string {
	for _, pattern := range systemdDirs {
		dirs := []string{pattern}
		if strings.Contains(pattern, "*") {
			parent, entries, err := readDir(fsys, path.Dir(path.Dir(pattern)))
			if err != nil {
				continue
			}
			dirs = dirs[:0]
			for _, e := range entries {
				if e.IsDir() {
					dirs = append(dirs, path.Join(parent, e.Name(), "systemd"))
				}
			}
		}
		for _, d := range dirs {
			_, entries, err := readDir(fsys, d)
			if err != nil {
				continue
			}
			for _, e := range entries {
				if v, ok := strings.CutPrefix(e.Name(), "libsystemd-shared-"); ok {
					if v, ok := strings.CutSuffix(v, ".so"); ok {
						return v
					}
				}
			}
		}
	}
	return ""
}
