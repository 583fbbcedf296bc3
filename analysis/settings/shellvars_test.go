package settings

import (
	"fmt"
	"io/fs"
	"os"
	"strings"
	"testing"
	"testing/fstest"
)

func TestShellVars(t *testing.T) {
	grub := func(key, value string, line int) Setting {
		return Setting{Program: "default", Key: "grub." + key, Value: value, File: "/etc/default/grub", Line: line}
	}
	for _, tc := range []struct {
		name  string
		parse func(fs.FS) ([]Setting, error)
		fsys  fs.FS
		want  []Setting
	}{{
		name:  "Debian's /etc/default",
		parse: EtcDefault,
		fsys:  os.DirFS("testdata/shellvars/debian"),
		want: []Setting{
			grub("GRUB_CMDLINE_LINUX", "", 10),
			grub("GRUB_CMDLINE_LINUX_DEFAULT", "quiet", 9),
			grub("GRUB_DEFAULT", "0", 6),
			grub("GRUB_DISABLE_OS_PROBER", "true", 17),
			grub("GRUB_DISTRIBUTOR", "`lsb_release -i -s 2> /dev/null || echo Debian`", 8),
			grub("GRUB_TIMEOUT", "5", 7),
			{Program: "default", Key: "nss.ADJUNCT_AS_SHADOW", Value: "TRUE", File: "/etc/default/nss", Line: 37},
			{Program: "default", Key: "useradd.SHELL", Value: "/bin/sh", File: "/etc/default/useradd", Line: 8},
		},
	}, {
		name:  "Fedora's /etc/sysconfig, through its selinux link",
		parse: Sysconfig,
		fsys:  os.DirFS("testdata/shellvars/fedora"),
		want: []Setting{
			{Program: "sysconfig", Key: "kernel.DEFAULTKERNEL", Value: "kernel-core", File: "/etc/sysconfig/kernel", Line: 6},
			{Program: "sysconfig", Key: "kernel.UPDATEDEFAULT", Value: "yes", File: "/etc/sysconfig/kernel", Line: 3},
			{Program: "sysconfig", Key: "selinux.SELINUX", Value: "enforcing", File: "/etc/selinux/config", Line: 7},
			{Program: "sysconfig", Key: "selinux.SELINUXTYPE", Value: "targeted", File: "/etc/selinux/config", Line: 12},
			{Program: "sysconfig", Key: "sshd.SSH_USE_STRONG_RNG", Value: "0", File: "/etc/sysconfig/sshd", Line: 12},
		},
	}, {
		name:  "quoting, export, last wins, commands set nothing",
		parse: EtcDefault,
		fsys: fstest.MapFS{
			"etc/default/x": {Data: []byte(strings.Join([]string{
				`A=1`,
				`export B="two words"  # comment`,
				`C='single $HOME "q"' D=d\ e`,
				`E="esc \" \$x \a"`,
				`F=$(run me) G=${H:-x y}`,
				`I=1 cmd arg`,
				`[ -x /bin/true ] && J=1`,
				`K="multi`,
				`line"; L=l`,
				`M=con\`,
				`tinued`,
				`"N"=quoted-name`,
				`export O`,
				`A=last`,
				`P=a#b`,
				`S=1 | cat`,
				`T=1 && U=2 &`,
				`Q='unterminated`,
				`R=after`,
			}, "\n"))},
			"etc/default/x.dpkg-old":   {Data: []byte("A=old\n")},
			"etc/default/grub.d/a.cfg": {Data: []byte("A=sub\n")},
		},
		want: []Setting{
			{Program: "default", Key: "x.A", Value: "last", File: "/etc/default/x", Line: 14},
			{Program: "default", Key: "x.B", Value: "two words", File: "/etc/default/x", Line: 2},
			{Program: "default", Key: "x.C", Value: `single $HOME "q"`, File: "/etc/default/x", Line: 3},
			{Program: "default", Key: "x.D", Value: "d e", File: "/etc/default/x", Line: 3},
			{Program: "default", Key: "x.E", Value: `esc " $x \a`, File: "/etc/default/x", Line: 4},
			{Program: "default", Key: "x.F", Value: "$(run me)", File: "/etc/default/x", Line: 5},
			{Program: "default", Key: "x.G", Value: "${H:-x y}", File: "/etc/default/x", Line: 5},
			{Program: "default", Key: "x.K", Value: "multi\nline", File: "/etc/default/x", Line: 8},
			{Program: "default", Key: "x.L", Value: "l", File: "/etc/default/x", Line: 9},
			{Program: "default", Key: "x.M", Value: "continued", File: "/etc/default/x", Line: 10},
			{Program: "default", Key: "x.P", Value: "a#b", File: "/etc/default/x", Line: 15},
			{Program: "default", Key: "x.T", Value: "1", File: "/etc/default/x", Line: 17},
		},
	}, {
		name:  "no directory",
		parse: Sysconfig,
		fsys:  fstest.MapFS{},
	}, {
		name:  "Debian's /etc/default/locale",
		parse: Locale,
		fsys:  os.DirFS("testdata/locale/debian"),
		want: []Setting{
			{Program: "locale", Key: "LANG", Value: "en_US.UTF-8", File: "/etc/default/locale", Line: 2},
			{Program: "locale", Key: "LC_TIME", Value: "de_DE.UTF-8", File: "/etc/default/locale", Line: 3},
		},
	}, {
		name:  "locale.conf wins over /etc/default/locale, other variables are not the locale's",
		parse: Locale,
		fsys: fstest.MapFS{
			"etc/locale.conf":    {Data: []byte("LANG=\"C.UTF-8\"\nLANGUAGE=en_GB:en\nFOO=bar\n")},
			"etc/default/locale": {Data: []byte("LANG=de_DE.UTF-8\nLC_ALL=C\n")},
		},
		want: []Setting{
			{Program: "locale", Key: "LANG", Value: "C.UTF-8", File: "/etc/locale.conf", Line: 1},
			{Program: "locale", Key: "LANGUAGE", Value: "en_GB:en", File: "/etc/locale.conf", Line: 2},
		},
	}, {
		name:  "Fedora's locale.conf",
		parse: Locale,
		fsys:  os.DirFS("testdata/locale/fedora"),
		want:  []Setting{{Program: "locale", Key: "LANG", Value: "C.UTF-8", File: "/etc/locale.conf", Line: 1}},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.parse(tc.fsys)
			if err != nil {
				t.Fatal(err)
			}
			if !imageRootEqual(got, tc.want) {
				t.Errorf("got\n%+v\nwant\n%+v", got, tc.want)
			}
		})
	}
}

func TestShellVarsLimits(t *testing.T) {
	var many strings.Builder
	for i := range maxRows + 1 {
		fmt.Fprintf(&many, "V%d=1\n", i)
	}
	_, err := EtcDefault(fstest.MapFS{"etc/default/many": {Data: []byte(many.String())}})
	if err == nil || !strings.Contains(err.Error(), "/etc/default/many line 100001: more than 100000 variables") {
		t.Errorf("err = %v", err)
	}
	_, err = EtcDefault(fstest.MapFS{"etc/default/big": {Data: make([]byte, maxFileBytes+1)}})
	if err == nil || !strings.Contains(err.Error(), "/etc/default/big is larger than") {
		t.Errorf("err = %v", err)
	}
}

func FuzzShellVars(f *testing.F) {
	for _, p := range []string{"testdata/shellvars/debian/etc/default/grub", "testdata/shellvars/debian/etc/default/nss", "testdata/shellvars/fedora/etc/sysconfig/sshd"} {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("A='x\nB=\"y\\\"\" C=$(a\nb) export D=`e`\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		imageRootFuzzOne(t, Sysconfig, fstest.MapFS{"etc/sysconfig/f": {Data: data}})
	})
}

func FuzzLocale(f *testing.F) {
	f.Add([]byte("LANG=en_US.UTF-8\nLC_TIME=\"de_DE.UTF-8\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		imageRootFuzzOne(t, Locale, fstest.MapFS{"etc/default/locale": {Data: data}})
	})
}
