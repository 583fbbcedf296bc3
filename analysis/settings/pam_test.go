package settings

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
	"testing/fstest"
)

var pamUpdate = flag.Bool("update-pam", false, "rewrite testdata/pam/debian.golden from the current output")

func pamRow(key, value, file string, line int) Setting {
	return Setting{Program: "pam", Key: key, Value: value, File: file, Line: line}
}

// TestPAMDebianSshd spells out sshd's stacks from Debian's files: its own
// lines and the common-* files @include inlines, in order.
func TestPAMDebianSshd(t *testing.T) {
	rows, err := PAM(os.DirFS("testdata/pam/debian"))
	if err != nil {
		t.Fatal(err)
	}
	var got []Setting
	for _, r := range rows {
		if strings.HasPrefix(r.Key, "sshd.") {
			got = append(got, r)
		}
	}
	const s, d = "/etc/pam.d/sshd", "/etc/pam.d/common-"
	selinux := "[success=ok ignore=ignore module_unknown=ignore default=bad] pam_selinux.so "
	authDiff(t, got, []Setting{
		pamRow("sshd.account", "required pam_nologin.so", s, 7),
		pamRow("sshd.account", "[success=1 new_authtok_reqd=done default=ignore] pam_unix.so", d+"account", 17),
		pamRow("sshd.account", "requisite pam_deny.so", d+"account", 19),
		pamRow("sshd.account", "required pam_permit.so", d+"account", 23),
		pamRow("sshd.auth", "[success=1 default=ignore] pam_unix.so nullok", d+"auth", 17),
		pamRow("sshd.auth", "requisite pam_deny.so", d+"auth", 19),
		pamRow("sshd.auth", "required pam_permit.so", d+"auth", 23),
		pamRow("sshd.password", "[success=1 default=ignore] pam_unix.so obscure yescrypt", d+"password", 25),
		pamRow("sshd.password", "requisite pam_deny.so", d+"password", 27),
		pamRow("sshd.password", "required pam_permit.so", d+"password", 31),
		pamRow("sshd.session", selinux+"close", s, 19),
		pamRow("sshd.session", "required pam_loginuid.so", s, 22),
		pamRow("sshd.session", "optional pam_keyinit.so force revoke", s, 25),
		pamRow("sshd.session", "[default=1] pam_permit.so", d+"session", 15),
		pamRow("sshd.session", "requisite pam_deny.so", d+"session", 17),
		pamRow("sshd.session", "required pam_permit.so", d+"session", 21),
		pamRow("sshd.session", "required pam_unix.so", d+"session", 23),
		pamRow("sshd.session", "optional pam_motd.so motd=/run/motd.dynamic", s, 33),
		pamRow("sshd.session", "optional pam_motd.so noupdate", s, 34),
		pamRow("sshd.session", "optional pam_mail.so standard noenv", s, 37),
		pamRow("sshd.session", "required pam_limits.so", s, 40),
		pamRow("sshd.session", "required pam_env.so", s, 44),
		pamRow("sshd.session", "required pam_env.so user_readenv=1 envfile=/etc/default/locale", s, 47),
		pamRow("sshd.session", selinux+"open", s, 52),
	})
}

// TestPAMDebianGolden holds every service's rows of Debian's default
// files (bookworm minbase plus sshd and sudo), reviewed once; -update-pam
// rewrites it.
func TestPAMDebianGolden(t *testing.T) {
	rows, err := PAM(os.DirFS("testdata/pam/debian"))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, r := range rows {
		fmt.Fprintf(&b, "%s\t%s\t%s:%d\n", r.Key, r.Value, r.File, r.Line)
	}
	const golden = "testdata/pam/debian.golden"
	if *pamUpdate {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if b.String() != string(want) {
		t.Errorf("rows differ from %s (-update-pam rewrites it):\n%s", golden, b.String())
	}
}

func TestPAMRules(t *testing.T) {
	const d = "/etc/pam.d/"
	got, err := PAM(authMapFS(map[string]string{
		"etc/pam.d/svc": "auth include base\nAUTH  Required\tpam_env.so  a=1   b # c\n-session optional pam_systemd.so\n" +
			"account substack base\nsession [success=ok \\\n  default=bad] pam_x.so \\\n  arg1 \\\n  arg2  [a  b]\nbogus required pam_y.so\nauth required\n@include missing\n",
		"etc/pam.d/base":        "auth required pam_base_auth.so\naccount required pam_base_account.so\n@include deeper\n",
		"etc/pam.d/deeper":      "session optional pam_deep.so\nauth optional pam_deep.so\n",
		"etc/pam.d/sub/ignored": "auth required pam_nope.so\n",
	}))
	if err != nil {
		t.Fatal(err)
	}
	authDiff(t, got, sshdWant(
		pamRow("base.account", "required pam_base_account.so", d+"base", 2),
		pamRow("base.auth", "required pam_base_auth.so", d+"base", 1),
		pamRow("base.auth", "optional pam_deep.so", d+"deeper", 2),
		pamRow("base.session", "optional pam_deep.so", d+"deeper", 1),
		pamRow("deeper.auth", "optional pam_deep.so", d+"deeper", 2),
		pamRow("deeper.session", "optional pam_deep.so", d+"deeper", 1),
		pamRow("svc.auth", "required pam_base_auth.so", d+"base", 1),
		pamRow("svc.auth", "optional pam_deep.so", d+"deeper", 2),
		pamRow("svc.auth", "required pam_env.so a=1 b", d+"svc", 2),
		pamRow("svc.session", "-optional pam_systemd.so", d+"svc", 3),
		pamRow("svc.account", "required pam_base_account.so", d+"base", 2),
		pamRow("svc.session", "[success=ok default=bad] pam_x.so arg1 arg2 [a  b]", d+"svc", 5),
	))
	if rows, err := PAM(fstest.MapFS{}); err != nil || rows != nil {
		t.Errorf("no /etc/pam.d: %v, %v; want no rows", rows, err)
	}
	chain := map[string]string{}
	for i := range maxIncludeDepth + 2 {
		chain["etc/pam.d/c"+itoa(i)] = "@include c" + itoa(i+1) + "\n"
	}
	for want, files := range map[string]map[string]string{
		"includes deeper than 16":            chain,
		"/etc/pam.d/a includes itself":       {"etc/pam.d/a": "auth include b\n", "etc/pam.d/b": "@include a\n"},
		"/etc/pam.d/big is larger than":      {"etc/pam.d/big": strings.Repeat("#", maxFileBytes+1)},
		"/etc/pam.d/y line 50000: more than": {"etc/pam.d/x": strings.Repeat("@include y\n", 2), "etc/pam.d/y": strings.Repeat("auth required pam_z.so\n", maxRows/2+1)},
	} {
		if _, err := PAM(authMapFS(files)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v, want one containing %q", err, want)
		}
	}
}

func FuzzPAM(f *testing.F) {
	sshd, err := os.ReadFile("testdata/pam/debian/etc/pam.d/sshd")
	if err != nil {
		f.Fatal(err)
	}
	common, err := os.ReadFile("testdata/pam/debian/etc/pam.d/common-auth")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sshd, common)
	f.Fuzz(func(t *testing.T, service, included []byte) {
		fsys := fstest.MapFS{"etc/pam.d/sshd": {Data: service}, "etc/pam.d/common-auth": {Data: included}}
		rows, err := PAM(fsys)
		if err != nil {
			return
		}
		authCheckRows(t, fsys, rows)
	})
}
