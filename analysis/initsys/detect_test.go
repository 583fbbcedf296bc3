package initsys

import (
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/distroscope/distroscope/internal/rootfstest"
)

func TestDetect(t *testing.T) {
	tests := []struct {
		tree string
		want System
	}{
		{"fedora-systemd", System{Name: Systemd, Evidence: "/sbin/init → /usr/lib/systemd/systemd", Version: "255.4-1.fc40"}},
		{"alpine-openrc", System{Name: OpenRC, Evidence: "/sbin/init → /bin/busybox; /etc/inittab line 3 runs OpenRC"}},
		{"void-runit", System{Name: Runit, Evidence: "/sbin/init → /usr/bin/runit-init"}},
		{"s6-rc", System{Name: S6, Evidence: "/sbin/init → /etc/s6-linux-init/current/bin/init (a script running s6-linux-init)"}},
		{"debian-sysvinit", System{Name: SysVinit, Evidence: "/sbin/init with /etc/inittab"}},
		{"busybox", System{Name: Busybox, Evidence: "/sbin/init → /bin/busybox"}},
	}
	for _, tt := range tests {
		t.Run(tt.tree, func(t *testing.T) {
			got, err := Detect(os.DirFS(filepath.Join("testdata", tt.tree)))
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Detect = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestDetectMinbase: debootstrap's minbase installs no init at all (no
// systemd-sysv, no sysvinit-core), though its packages' timers are linked
// into timers.target.wants — it is a container's tree.
func TestDetectMinbase(t *testing.T) {
	for _, suite := range rootfstest.Suites {
		t.Run(suite, func(t *testing.T) {
			root := rootfstest.Debootstrap(t, suite)
			got, err := Detect(os.DirFS(root))
			if err != nil {
				t.Fatal(err)
			}
			want := System{Name: None, Evidence: "no /sbin/init or /usr/sbin/init"}
			if got != want {
				t.Errorf("Detect = %+v, want %+v", got, want)
			}
			svcs, err := Enabled(os.DirFS(root), got)
			if err != nil || len(svcs) != 0 {
				t.Errorf("Enabled(none) = %v, %v; want nothing", svcs, err)
			}
		})
	}
}

// TestDetectStaysInRoot: an absolute link is followed inside the image.
// This machine has /lib/systemd/systemd; a tree whose /sbin/init points
// there but lacks it boots nothing, whatever the host has.
func TestDetectStaysInRoot(t *testing.T) {
	if _, err := os.Stat("/lib/systemd/systemd"); err != nil {
		t.Logf("the host has no /lib/systemd/systemd (%v): the test still holds, it proves less", err)
	}
	root := t.TempDir()
	if err := os.Mkdir(filepath.Join(root, "sbin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/lib/systemd/systemd", filepath.Join(root, "sbin", "init")); err != nil {
		t.Fatal(err)
	}
	got, err := Detect(os.DirFS(root))
	if err != nil {
		t.Fatal(err)
	}
	want := System{Name: None, Evidence: "/sbin/init → /lib/systemd/systemd (missing: nothing to boot)"}
	if got != want {
		t.Errorf("Detect = %+v, want %+v", got, want)
	}
}

func TestDetectEdges(t *testing.T) {
	link := func(target string) *fstest.MapFile {
		return &fstest.MapFile{Data: []byte(target), Mode: os.ModeSymlink | 0o777}
	}
	dir := &fstest.MapFile{Mode: os.ModeDir | 0o755}
	tests := []struct {
		name    string
		fsys    fstest.MapFS
		want    System
		wantErr bool
	}{
		{"usr/sbin/init only", fstest.MapFS{
			"usr/sbin/init":           link("../lib/systemd/systemd"),
			"usr/lib/systemd/systemd": {Data: []byte("x")},
			"usr/lib/x86_64-linux-gnu/systemd/libsystemd-shared-252.so": {},
		}, System{Name: Systemd, Evidence: "/usr/sbin/init → /usr/lib/systemd/systemd", Version: "252"}, false},
		{"dotdot stops at the root", fstest.MapFS{
			"sbin/init":           link("../../../../lib/systemd/systemd"),
			"lib/systemd/systemd": {Data: []byte("x")},
		}, System{Name: Systemd, Evidence: "/sbin/init → /lib/systemd/systemd"}, false},
		{"openrc-init", fstest.MapFS{
			"sbin/init":        link("openrc-init"),
			"sbin/openrc-init": {Data: []byte("x")},
		}, System{Name: OpenRC, Evidence: "/sbin/init → /sbin/openrc-init"}, false},
		{"gentoo: sysvinit starting openrc", fstest.MapFS{
			"sbin/init":   {Data: []byte("\x7fELF")},
			"etc/inittab": {Data: []byte("id:3:initdefault:\n# rc::bootwait:/sbin/rc\nrc::sysinit:/sbin/openrc sysinit\n")},
		}, System{Name: OpenRC, Evidence: "/sbin/init; /etc/inittab line 3 runs OpenRC"}, false},
		{"s6-svscan", fstest.MapFS{
			"sbin/init":     link("/bin/s6-svscan"),
			"bin/s6-svscan": {Data: []byte("x")},
		}, System{Name: S6, Evidence: "/sbin/init → /bin/s6-svscan"}, false},
		{"unrecognised", fstest.MapFS{
			"sbin/init": {Data: []byte("\x7fELF")},
		}, System{Name: Unknown, Evidence: "/sbin/init (not recognised)"}, false},
		{"dangling", fstest.MapFS{
			"sbin/init": link("/lib/systemd/systemd"),
		}, System{Name: None, Evidence: "/sbin/init → /lib/systemd/systemd (missing: nothing to boot)"}, false},
		{"loop", fstest.MapFS{
			"sbin":      dir,
			"sbin/init": link("/sbin/init"),
		}, System{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Detect(tt.fsys)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Detect error = %v, want error %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("Detect = %+v, want %+v", got, tt.want)
			}
		})
	}
}
