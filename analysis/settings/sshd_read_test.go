package settings

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
)

// authMapFS is a MapFS of the given files' contents.
func authMapFS(files map[string]string) fstest.MapFS {
	fsys := fstest.MapFS{}
	for name, data := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(data)}
	}
	return fsys
}

// authDiff fails t unless got and want hold the same rows in the same order.
func authDiff(t *testing.T, got, want []Setting) {
	t.Helper()
	n := max(len(got), len(want))
	for i := range n {
		var g, w string
		if i < len(got) {
			g = fmt.Sprintf("%+v", got[i])
		}
		if i < len(want) {
			w = fmt.Sprintf("%+v", want[i])
		}
		if g != w {
			t.Errorf("row %d:\n got %s\nwant %s", i, g, w)
		}
	}
}

// authCheckRows fails t unless every row names a file of fsys and a line
// inside it (or is a builtin without either), as the fuzz targets assert.
func authCheckRows(t *testing.T, fsys fs.FS, rows []Setting) {
	t.Helper()
	for _, r := range rows {
		if r.Builtin {
			if r.File != "" || r.Line != 0 {
				t.Fatalf("builtin row with a place: %+v", r)
			}
			continue
		}
		data, err := fs.ReadFile(fsys, strings.TrimPrefix(r.File, "/"))
		if err != nil || !strings.HasPrefix(r.File, "/") {
			t.Fatalf("row from a file not in the input: %+v (%v)", r, err)
		}
		if r.Line < 1 || r.Line > strings.Count(string(data), "\n")+1 {
			t.Fatalf("row from line %d of a %d-byte file: %+v", r.Line, len(data), r)
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// Symlinks resolve inside the image's root, as a chroot would: an
// absolute link must not read the host's file of that name.
func TestAuthSymlinksStayInRoot(t *testing.T) {
	link := func(target string) *fstest.MapFile {
		return &fstest.MapFile{Data: []byte(target), Mode: fs.ModeSymlink}
	}
	fsys := fstest.MapFS{
		nsswitchFile:               link("/etc/alternatives/nss"),
		"etc/alternatives/nss":     {Data: []byte("passwd: files systemd\n")},
		sshdConfig:                 {Data: []byte("Include sshd_config.d/*.conf\n")},
		"etc/ssh/sshd_config.d":    link("../../srv/ssh.d"),
		"srv/ssh.d/a.conf":         {Data: []byte("PermitRootLogin no\n")},
		limitsDir + "/masked.conf": link("/dev/null"),
		limitsFile:                 {Data: []byte("* hard core 0\n")},
		"etc/pam.d/login":          link("/etc/pam.d/../pam.conf.real"),
		"etc/pam.conf.real":        {Data: []byte("auth required pam_inroot.so\n")},
	}
	nss, err := NSSwitch(fsys)
	if err != nil || len(nss) != 1 || nss[0].Value != "files systemd" || nss[0].File != "/etc/nsswitch.conf" {
		t.Errorf("nsswitch through a link: %+v, %v", nss, err)
	}
	sshd, err := Sshd(fsys)
	if err != nil {
		t.Fatal(err)
	}
	if i := slices.IndexFunc(sshd, func(r Setting) bool { return r.Key == "permitrootlogin" }); i < 0 || sshd[i].File != "/etc/ssh/sshd_config.d/a.conf" || sshd[i].Value != "no" {
		t.Errorf("sshd drop-in through a linked directory: %+v", sshd)
	}
	limits, err := Limits(fsys)
	if err != nil || len(limits) != 1 || limits[0].Key != "*.hard.core" {
		t.Errorf("limits with a drop-in masked by /dev/null: %+v, %v", limits, err)
	}
	pam, err := PAM(fsys)
	if err != nil || len(pam) != 1 || pam[0].Value != "required pam_inroot.so" {
		t.Errorf("pam through a link: %+v, %v", pam, err)
	}

	// On a real directory: the image's /etc/sudoers links to /etc/passwd,
	// which the host has too.
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "etc/passwd"), []byte("Defaults inroot\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/passwd", filepath.Join(root, sudoersFile)); err != nil {
		t.Fatal(err)
	}
	// and its sshd drop-in directory is an absolute link into the image.
	for name, data := range map[string]string{sshdConfig: "Include /etc/ssh/d/*.conf\n", "srv/d/a.conf": "Banner /inroot\n"} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(root, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("/srv/d", filepath.Join(root, "etc/ssh/d")); err != nil {
		t.Fatal(err)
	}
	sshd, err = Sshd(os.DirFS(root))
	if i := slices.IndexFunc(sshd, func(r Setting) bool { return r.Key == "banner" }); err != nil || i < 0 || sshd[i].File != "/etc/ssh/d/a.conf" {
		t.Errorf("sshd drop-ins through an absolute directory link: %+v, %v", sshd, err)
	}
	sudo, err := Sudoers(os.DirFS(root))
	if err != nil || len(sudo) != 1 || sudo[0].Key != "defaults.inroot" {
		t.Errorf("sudoers linking to /etc/passwd: %+v, %v; want the root's file read", sudo, err)
	}
}
