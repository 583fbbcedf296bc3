package settings

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
)

// rowsOf indexes rows by "program key" (the first row of a key).
func rowsOf(rows []Setting) map[string]Setting {
	m := map[string]Setting{}
	for _, r := range rows {
		k := r.Program + " " + r.Key
		if _, ok := m[k]; !ok {
			m[k] = r
		}
	}
	return m
}

// TestAllKeepsOtherParsersRows runs every parser over an image whose
// sshd_config is larger than any real one: sshd's error names it, and the
// rows of every other parser are still there.
func TestAllKeepsOtherParsersRows(t *testing.T) {
	fsys := fstest.MapFS{
		"etc/ssh/sshd_config":    {Data: []byte(strings.Repeat("# padding\n", 5<<20/10) + "PermitRootLogin yes\n")},
		"etc/hostname":           {Data: []byte("box\n")},
		"etc/login.defs":         {Data: []byte("UMASK 022\n")},
		"etc/sysctl.d/10-x.conf": {Data: []byte("net.ipv4.ip_forward = 1\n")},
		"etc/default/grub":       {Data: []byte("GRUB_TIMEOUT=5\n")},
	}
	rows, errs := All(fsys)
	if len(errs) != 1 {
		t.Fatalf("errors %v, want sshd's only", errs)
	}
	var pe *ParseError
	if !errors.As(errs[0], &pe) || pe.Parser != "sshd" || !strings.HasPrefix(errs[0].Error(), "settings: sshd: ") || !strings.Contains(errs[0].Error(), "/etc/ssh/sshd_config") {
		t.Errorf("error %q (%#v), want sshd's naming the file", errs[0], pe)
	}
	got := rowsOf(rows)
	for _, k := range []string{"hostname hostname", "login.defs UMASK", "sysctl net.ipv4.ip_forward", "default grub.GRUB_TIMEOUT"} {
		if _, ok := got[k]; !ok {
			t.Errorf("no %q row among %d rows", k, len(rows))
		}
	}
	for k := range got {
		if strings.HasPrefix(k, "sshd ") {
			t.Errorf("sshd row %q from a file sshd's parser refused", k)
		}
	}
}

// TestAllOneOwnerPerFile keeps useradd's own rows of /etc/default/useradd
// and Locale's of /etc/default/locale, not ShellVars' generic ones; a file
// no parser of its own read keeps its generic rows.
func TestAllOneOwnerPerFile(t *testing.T) {
	base := fstest.MapFS{
		"etc/default/useradd": {Data: []byte("SHELL=/bin/zsh\nFOO=bar\n")},
		"etc/default/locale":  {Data: []byte("LANG=de_DE.UTF-8\n")},
	}
	rows, errs := All(base)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	got := rowsOf(rows)
	for k, s := range got {
		if strings.HasPrefix(k, "default useradd.") || strings.HasPrefix(k, "default locale.") {
			t.Errorf("generic row %+v of a file its own parser reads", s)
		}
	}
	if s := got["useradd SHELL"]; s.Value != "/bin/zsh" || s.File != "/etc/default/useradd" || s.Line != 1 {
		t.Errorf("useradd SHELL = %+v", s)
	}
	if s := got["locale LANG"]; s.Value != "de_DE.UTF-8" || s.File != "/etc/default/locale" {
		t.Errorf("locale LANG = %+v", s)
	}

	// With /etc/locale.conf, Locale does not read /etc/default/locale
	// (pam_env still does): its variables stay as generic rows.
	withConf := fstest.MapFS{"etc/locale.conf": {Data: []byte("LANG=C.UTF-8\n")}}
	for k, v := range base {
		withConf[k] = v
	}
	rows, errs = All(withConf)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	got = rowsOf(rows)
	if s := got["default locale.LANG"]; s.Value != "de_DE.UTF-8" || s.Line != 1 {
		t.Errorf("default locale.LANG = %+v, want the unread file's row", s)
	}
	if s := got["locale LANG"]; s.Value != "C.UTF-8" || s.File != "/etc/locale.conf" {
		t.Errorf("locale LANG = %+v", s)
	}
	if _, ok := got["default useradd.SHELL"]; ok {
		t.Error("useradd's file has a generic row")
	}

	// A useradd file setting no key useradd reads gives only builtin
	// rows; its variables are still useradd's, not generic ones.
	rows, errs = All(fstest.MapFS{"etc/default/useradd": {Data: []byte("FOO=bar\n")}})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	got = rowsOf(rows)
	if _, ok := got["default useradd.FOO"]; ok {
		t.Error("a key useradd ignores has a generic row")
	}
	if s := got["useradd SHELL"]; !s.Builtin || s.Value != "/bin/bash" {
		t.Errorf("useradd SHELL = %+v, want the builtin default", s)
	}
}

// TestAllSurvivesPanics reports a parser that panics as that parser's
// error and keeps the others' rows.
func TestAllSurvivesPanics(t *testing.T) {
	rows, errs := runParsers(fstest.MapFS{"etc/hostname": {Data: []byte("box\n")}}, []parser{
		{"boom", func(fs.FS) ([]Setting, error) { panic("index out of range") }},
		{"hostname", Hostname},
	})
	if len(errs) != 1 || errs[0].Error() != "settings: boom: panic: index out of range" {
		t.Errorf("errors %v", errs)
	}
	if len(rows) != 1 || rows[0].Value != "box" {
		t.Errorf("rows %+v", rows)
	}
}
