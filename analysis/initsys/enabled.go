package initsys

import (
	"bufio"
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
)

// Service is one service an init system is set to start at boot — or, for
// systemd, a unit whose enablement its presets decide.
type Service struct {
	// Name is the unit or script: "sshd.service", "getty@tty1.service",
	// "networking".
	Name string
	// Path is the unit file or script the link leads to, absolute in the
	// image ("/usr/lib/systemd/system/sshd.service"); the target as written
	// when it is missing.
	Path string
	// Target is what starts it: a systemd target ("multi-user.target"), a
	// sysvinit runlevel ("2", "S"), an OpenRC runlevel ("default", "boot"),
	// a runsvdir or s6-rc bundle ("default"); empty for a preset-only row.
	Target string
	// Source says how it was found: "wants-symlink", "requires-symlink",
	// "mask", "preset" (systemd); "rc-link" (sysvinit); "runlevel"
	// (OpenRC); "service-link" (runit); "bundle" (s6-rc).
	Source string
	// Link is the symlink or entry that says so, absolute in the image.
	Link string
	// Enabled: it starts at boot. False for a sysvinit K link, a runit
	// service with a "down" file, a masked unit, and a preset-only row.
	Enabled bool
	// Masked: a systemd unit linked to /dev/null — never started.
	Masked bool
	// Static: linked by its package in /usr/lib/systemd/system, not
	// enabled by the administrator (systemctl disable cannot undo it).
	Static bool
	// Preset is "enable" or "disable": what systemctl preset would make of
	// a systemd unit that has an [Install] section; empty otherwise.
	Preset string
}

// Enabled lists the services sys starts at boot in the tree fsys, sorted
// by name and target. It reads the configuration of sys.Name whatever
// Detect found, and returns nothing for busybox init and none: to see what
// a container image's packages enabled for an init it does not have (the
// timers Debian's minbase links into timers.target.wants), pass
// System{Name: Systemd}. Preset lines that do not parse are left out and
// named in the error returned beside the rows, as systemctl skips them.
func Enabled(fsys fs.FS, sys System) ([]Service, error) {
	var (
		out []Service
		err error
	)
	switch sys.Name {
	case Systemd:
		out, err = systemdServices(fsys)
	case SysVinit:
		out, err = sysvServices(fsys)
	case OpenRC:
		out, err = openrcServices(fsys)
	case Runit:
		out, err = runitServices(fsys)
	case S6:
		out, err = s6Services(fsys)
	}
	slices.SortFunc(out, func(a, b Service) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Target, b.Target), cmp.Compare(a.Source, b.Source))
	})
	return out, err
}

// linked returns the row of link p (its name, where it leads).
func linked(fsys fs.FS, p, target, source string) Service {
	s := Service{Name: path.Base(p), Target: target, Source: source, Link: "/" + p, Enabled: true}
	r, err := resolve(fsys, p)
	if err == nil {
		s.Path = "/" + r
	} else if t, lerr := fs.ReadLink(fsys, p); lerr == nil {
		s.Path = t
	}
	return s
}

// sysvServices reads the links of /etc/rcS.d and of the default runlevel's
// /etc/rcN.d: S links start the script, K links stop it.
func sysvServices(fsys fs.FS) ([]Service, error) {
	level, err := initdefault(fsys)
	if err != nil {
		return nil, err
	}
	var out []Service
	for _, rl := range []string{"S", level} {
		dir, entries, err := readDir(fsys, "etc/rc"+rl+".d")
		if err != nil {
			return nil, fmt.Errorf("initsys: /etc/rc%s.d: %w", rl, err)
		}
		for _, e := range entries {
			n := e.Name()
			if len(n) < 4 || (n[0] != 'S' && n[0] != 'K') || !isDigit(n[1]) || !isDigit(n[2]) {
				continue // README and the like
			}
			s := linked(fsys, path.Join(dir, n), rl, "rc-link")
			s.Name, s.Enabled = n[3:], n[0] == 'S'
			out = append(out, s)
		}
	}
	return out, nil
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// initdefault is the default runlevel of /etc/inittab ("id:2:initdefault:"),
// or 2, Debian's, when it names none.
func initdefault(fsys fs.FS) (string, error) {
	b, err := readFile(fsys, "etc/inittab")
	if errors.Is(err, fs.ErrNotExist) {
		return "2", nil
	}
	if err != nil {
		return "", fmt.Errorf("initsys: /etc/inittab: %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Split(strings.TrimSpace(sc.Text()), ":")
		if len(f) >= 3 && f[2] == "initdefault" && len(f[1]) == 1 && isDigit(f[1][0]) {
			return f[1], nil
		}
	}
	return "2", nil
}

// openrcRunlevels are the runlevels OpenRC goes through at boot.
var openrcRunlevels = []string{"sysinit", "boot", "default"}

// openrcServices reads /etc/runlevels/{sysinit,boot,default}.
func openrcServices(fsys fs.FS) ([]Service, error) {
	var out []Service
	for _, rl := range openrcRunlevels {
		dir, entries, err := readDir(fsys, "etc/runlevels/"+rl)
		if err != nil {
			return nil, fmt.Errorf("initsys: /etc/runlevels/%s: %w", rl, err)
		}
		for _, e := range entries {
			if e.IsDir() {
				continue // a stacked runlevel
			}
			out = append(out, linked(fsys, path.Join(dir, e.Name()), rl, "runlevel"))
		}
	}
	return out, nil
}

// runsvdirs are where runit's runsvdir finds the services it supervises:
// Void's default runsvdir, Debian's /etc/service.
var runsvdirs = []string{"etc/runit/runsvdir/default", "etc/service"}

// runitServices reads the links of the first runsvdir present. A service
// directory holding a "down" file is supervised but not started.
func runitServices(fsys fs.FS) ([]Service, error) {
	for _, d := range runsvdirs {
		if !isDir(fsys, d) {
			continue
		}
		dir, entries, err := readDir(fsys, d)
		if err != nil {
			return nil, fmt.Errorf("initsys: /%s: %w", d, err)
		}
		var out []Service
		for _, e := range entries {
			s := linked(fsys, path.Join(dir, e.Name()), "default", "service-link")
			s.Enabled = !exists(fsys, path.Join(dir, e.Name(), "down"))
			out = append(out, s)
		}
		return out, nil
	}
	return nil, nil
}

// s6Bundles are the source directories of s6-rc's "default" bundle, the
// one s6-linux-init starts: s6-rc's documented layout, and Artix's (whose
// service definitions are in /etc/s6/sv).
var s6Bundles = []string{"etc/s6-rc/source/default", "etc/s6/adminsv/default"}

// s6Services reads the contents (a "contents" file, one name a line, or a
// contents.d directory of empty files) of the first default bundle present.
func s6Services(fsys fs.FS) ([]Service, error) {
	for _, d := range s6Bundles {
		if !isDir(fsys, d) {
			continue
		}
		var names []string
		var link string
		if b, err := readFile(fsys, path.Join(d, "contents")); err == nil {
			link = "/" + d + "/contents"
			for _, l := range strings.Split(string(b), "\n") {
				if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
					names = append(names, l)
				}
			}
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("initsys: /%s/contents: %w", d, err)
		}
		_, entries, err := readDir(fsys, path.Join(d, "contents.d"))
		if err != nil {
			return nil, fmt.Errorf("initsys: /%s/contents.d: %w", d, err)
		}
		for _, e := range entries {
			names = append(names, e.Name())
		}
		var out []Service
		for _, n := range names {
			s := Service{Name: n, Target: "default", Source: "bundle", Link: link, Enabled: true}
			if link == "" {
				s.Link = "/" + path.Join(d, "contents.d", n)
			}
			for _, p := range []string{path.Join(path.Dir(d), n), "etc/s6/sv/" + n} {
				if isDir(fsys, p) {
					s.Path = "/" + p
					break
				}
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, nil
}
