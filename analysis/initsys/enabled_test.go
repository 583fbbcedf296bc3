package initsys

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/distroscope/distroscope/internal/rootfstest"
)

// row is a Service on one line, for tables: name, target, source, path and
// the flags that are set.
func row(s Service) string {
	var flags []string
	for _, f := range []struct {
		set  bool
		name string
	}{{s.Enabled, "enabled"}, {s.Masked, "masked"}, {s.Static, "static"}} {
		if f.set {
			flags = append(flags, f.name)
		}
	}
	if s.Preset != "" {
		flags = append(flags, "preset="+s.Preset)
	}
	return fmt.Sprintf("%s @%s %s %s [%s]", s.Name, s.Target, s.Source, s.Path, strings.Join(flags, " "))
}

func TestEnabled(t *testing.T) {
	tests := []struct {
		tree string
		want []string
	}{
		{"fedora-systemd", []string{
			"NetworkManager.service @multi-user.target wants-symlink /usr/lib/systemd/system/NetworkManager.service [enabled preset=enable]",
			"chronyd.service @multi-user.target wants-symlink /usr/lib/systemd/system/chronyd.service [enabled preset=enable]",
			"cups.service @ mask /dev/null [masked]",
			"data.mount @local-fs.target requires-symlink /etc/systemd/system/data.mount [enabled preset=disable]",
			// 40-vendor.preset of /usr would enable it; /etc's hides it.
			"debug-shell.service @ preset /usr/lib/systemd/system/debug-shell.service [preset=disable]",
			"firewalld.service @multi-user.target wants-symlink /usr/lib/systemd/system/firewalld.service [enabled preset=enable]",
			"getty@tty1.service @getty.target wants-symlink /usr/lib/systemd/system/getty@.service [enabled preset=enable]",
			"remote-fs.target @multi-user.target wants-symlink /usr/lib/systemd/system/remote-fs.target [enabled preset=enable]",
			// 10-local.preset comes first and says disable.
			"sshd.service @multi-user.target wants-symlink /usr/lib/systemd/system/sshd.service [enabled preset=disable]",
			"systemd-journald.socket @sockets.target wants-symlink /usr/lib/systemd/system/systemd-journald.socket [enabled static]",
			"systemd-resolved.service @ preset /usr/lib/systemd/system/systemd-resolved.service [preset=enable]",
		}},
		{"alpine-openrc", []string{
			"bootmisc @boot runlevel /etc/init.d/bootmisc [enabled]",
			"chronyd @default runlevel /etc/init.d/chronyd [enabled]",
			"crond @default runlevel /etc/init.d/crond [enabled]",
			"devfs @sysinit runlevel /etc/init.d/devfs [enabled]",
			"dmesg @sysinit runlevel /etc/init.d/dmesg [enabled]",
			"hostname @boot runlevel /etc/init.d/hostname [enabled]",
			"hwdrivers @sysinit runlevel /etc/init.d/hwdrivers [enabled]",
			"mdev @sysinit runlevel /etc/init.d/mdev [enabled]",
			"modules @boot runlevel /etc/init.d/modules [enabled]",
			"networking @boot runlevel /etc/init.d/networking [enabled]",
			"sshd @default runlevel /etc/init.d/sshd [enabled]",
			"sysctl @boot runlevel /etc/init.d/sysctl [enabled]",
			"syslog @boot runlevel /etc/init.d/syslog [enabled]",
		}},
		{"void-runit", []string{
			"agetty-tty1 @default service-link /etc/sv/agetty-tty1 [enabled]",
			"dhcpcd @default service-link /etc/sv/dhcpcd []", // etc/sv/dhcpcd/down
			"sshd @default service-link /etc/sv/sshd [enabled]",
			"udevd @default service-link /etc/sv/udevd [enabled]",
		}},
		{"s6-rc", []string{
			"mount-fs @default bundle /etc/s6-rc/source/mount-fs [enabled]",
			"sshd @default bundle /etc/s6-rc/source/sshd [enabled]",
			"syslogd @default bundle /etc/s6-rc/source/syslogd [enabled]",
		}},
		{"debian-sysvinit", []string{
			"bluetooth @2 rc-link /etc/init.d/bluetooth []", // K01bluetooth
			"cron @2 rc-link /etc/init.d/cron [enabled]",
			"hwclock.sh @S rc-link /etc/init.d/hwclock.sh [enabled]",
			"procps @S rc-link /etc/init.d/procps [enabled]",
			"rsyslog @2 rc-link /etc/init.d/rsyslog [enabled]",
			"ssh @2 rc-link /etc/init.d/ssh [enabled]",
		}},
		{"busybox", nil},
	}
	for _, tt := range tests {
		t.Run(tt.tree, func(t *testing.T) {
			fsys := os.DirFS(filepath.Join("testdata", tt.tree))
			sys, err := Detect(fsys)
			if err != nil {
				t.Fatal(err)
			}
			svcs, err := Enabled(fsys, sys)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range svcs {
				got = append(got, row(s))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Enabled:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// TestEnabledMinbaseRcLinks reads the real rc links debootstrap leaves:
// bookworm's util-linux links hwclock.sh into rcS.d, procps (which
// openssh-server pulls in) its script; openssh-server links ssh into the
// default runlevel 2.
func TestEnabledMinbaseRcLinks(t *testing.T) {
	want := map[string][]string{
		"bookworm": {"hwclock.sh @S rc-link /etc/init.d/hwclock.sh [enabled]", "procps @S rc-link /etc/init.d/procps [enabled]", "ssh @2 rc-link /etc/init.d/ssh [enabled]"},
		"trixie":   {"procps @S rc-link /etc/init.d/procps [enabled]", "ssh @2 rc-link /etc/init.d/ssh [enabled]"},
	}
	for _, suite := range rootfstest.Suites {
		t.Run(suite, func(t *testing.T) {
			svcs, err := Enabled(os.DirFS(rootfstest.Debootstrap(t, suite)), System{Name: SysVinit})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range svcs {
				got = append(got, row(s))
			}
			if !slices.Equal(got, want[suite]) {
				t.Errorf("Enabled = %q, want %q", got, want[suite])
			}
		})
	}
}

func TestEnabledEdges(t *testing.T) {
	link := func(target string) *fstest.MapFile {
		return &fstest.MapFile{Data: []byte(target), Mode: os.ModeSymlink | 0o777}
	}
	tests := []struct {
		name string
		sys  Name
		fsys fstest.MapFS
		want []string
	}{
		{"sysvinit runlevel 3 from inittab", SysVinit, fstest.MapFS{
			"etc/inittab":       {Data: []byte("id:3:initdefault:\n")},
			"etc/init.d/sshd":   {},
			"etc/rc2.d/S10cron": link("../init.d/cron"),
			"etc/rc3.d/S55sshd": link("../init.d/sshd"),
		}, []string{"sshd @3 rc-link /etc/init.d/sshd [enabled]"}},
		{"sysvinit dangling link keeps its target", SysVinit, fstest.MapFS{
			"etc/rc2.d/S01gone": link("../init.d/gone"),
		}, []string{"gone @2 rc-link ../init.d/gone [enabled]"}},
		{"runit /etc/service", Runit, fstest.MapFS{
			"etc/sv/ssh/run":  {},
			"etc/service/ssh": link("/etc/sv/ssh"),
		}, []string{"ssh @default service-link /etc/sv/ssh [enabled]"}},
		{"s6 contents file, Artix layout", S6, fstest.MapFS{
			"etc/s6/adminsv/default/type":     {Data: []byte("bundle\n")},
			"etc/s6/adminsv/default/contents": {Data: []byte("# boot\nsshd-srv\n\nudevd-srv\n")},
			"etc/s6/sv/sshd-srv/type":         {Data: []byte("longrun\n")},
		}, []string{
			"sshd-srv @default bundle /etc/s6/sv/sshd-srv [enabled]",
			"udevd-srv @default bundle  [enabled]",
		}},
		{"systemd: a wants link to a masked unit does not start it", Systemd, fstest.MapFS{
			"etc/systemd/system/foo.service":                         link("/dev/null"),
			"etc/systemd/system/multi-user.target.wants/foo.service": link("/usr/lib/systemd/system/foo.service"),
			"usr/lib/systemd/system/foo.service":                     {Data: []byte("[Install]\nWantedBy=multi-user.target\n")},
		}, []string{
			"foo.service @ mask /dev/null [masked]",
			"foo.service @multi-user.target wants-symlink /usr/lib/systemd/system/foo.service [masked]",
		}},
		{"systemd: /etc hides /usr, Also= counts, empty WantedBy= does not", Systemd, fstest.MapFS{
			"etc/systemd/system/a.service":     {Data: []byte("[Unit]\n[Install]\nWantedBy=\n")},
			"usr/lib/systemd/system/a.service": {Data: []byte("[Install]\nWantedBy=multi-user.target\n")},
			"usr/lib/systemd/system/b.service": {Data: []byte("[Install]\nAlso=b.socket\n")},
			"usr/lib/systemd/system/c.service": {Data: []byte("[Service]\nWantedBy=x.target\n")},
		}, []string{"b.service @ preset /usr/lib/systemd/system/b.service [preset=enable]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svcs, err := Enabled(tt.fsys, System{Name: tt.sys})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range svcs {
				got = append(got, row(s))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Enabled:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// TestEnabledBadPresetLine: a preset line that does not parse is named in
// the error, and the rows — with the presets of the lines that did — still
// come back.
func TestEnabledBadPresetLine(t *testing.T) {
	fsys := fstest.MapFS{
		"usr/lib/systemd/system/a.service":            {Data: []byte("[Install]\nWantedBy=multi-user.target\n")},
		"usr/lib/systemd/system-preset/50-bad.preset": {Data: []byte("enable\ndisable a.service\n")},
	}
	svcs, err := Enabled(fsys, System{Name: Systemd})
	if err == nil || !strings.Contains(err.Error(), "/usr/lib/systemd/system-preset/50-bad.preset line 1") {
		t.Errorf("error %v does not name the bad line", err)
	}
	if len(svcs) != 1 || row(svcs[0]) != "a.service @ preset /usr/lib/systemd/system/a.service [preset=disable]" {
		t.Errorf("Enabled = %+v", svcs)
	}
}
