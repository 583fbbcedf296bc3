package settings

import (
	"io/fs"
	"os"
	"strings"
	"testing"
	"testing/fstest"
)

func TestSELinuxCryptoPolicy(t *testing.T) {
	const config = "/etc/selinux/config"
	for _, tc := range []struct {
		name  string
		parse func(fs.FS) ([]Setting, error)
		fsys  fs.FS
		want  []Setting
	}{{
		name: "Fedora's config", parse: SELinux, fsys: os.DirFS("testdata/selinux/fedora"),
		want: []Setting{
			{Program: "selinux", Key: "SELINUX", Value: "enforcing", File: config, Line: 7},
			{Program: "selinux", Key: "SELINUXTYPE", Value: "targeted", File: config, Line: 12, Default: "targeted"},
		},
	}, {
		name: "first valid SELINUX wins, last SELINUXTYPE in any case wins", parse: SELinux,
		fsys: fstest.MapFS{"etc/selinux/config": {Data: []byte(strings.Join([]string{
			"SELINUX=sometimes",
			"  SELINUX = enforcing",
			"SELINUX=Permissive # for now",
			"SELINUX=disabled",
			"SELINUXTYPE=targeted",
			"selinuxtype= mls ",
		}, "\n"))}},
		want: []Setting{
			{Program: "selinux", Key: "SELINUX", Value: "permissive", File: config, Line: 3},
			{Program: "selinux", Key: "SELINUXTYPE", Value: "mls", File: config, Line: 6, Default: "targeted"},
		},
	}, {
		name: "no SELINUXTYPE: libselinux's built-in", parse: SELinux,
		fsys: fstest.MapFS{"etc/selinux/config": {Data: []byte("SELINUX=disabled\n")}},
		want: []Setting{
			{Program: "selinux", Key: "SELINUX", Value: "disabled", File: config, Line: 1},
			{Program: "selinux", Key: "SELINUXTYPE", Value: "targeted", Builtin: true, Default: "targeted"},
		},
	}, {
		name: "no SELinux config", parse: SELinux, fsys: os.DirFS("testdata/sysctl/bookworm"),
	}, {
		name: "Fedora's crypto policy with a subpolicy", parse: CryptoPolicy, fsys: os.DirFS("testdata/cryptopolicy/fedora"),
		want: []Setting{{Program: "crypto-policy", Key: "policy", Value: "DEFAULT:SHA1", File: "/etc/crypto-policies/config", Line: 2, Default: "DEFAULT"}},
	}, {
		name: "a config naming no policy", parse: CryptoPolicy,
		fsys: fstest.MapFS{"etc/crypto-policies/config": {Data: []byte("# nothing\n\n")}},
		want: []Setting{{Program: "crypto-policy", Key: "policy", Value: "DEFAULT", Builtin: true, Default: "DEFAULT"}},
	}, {
		name: "a policy after a comment, with a trailing comment", parse: CryptoPolicy,
		fsys: fstest.MapFS{"etc/crypto-policies/config": {Data: []byte("# c\n FUTURE # strict\nLEGACY\n")}},
		want: []Setting{{Program: "crypto-policy", Key: "policy", Value: "FUTURE", File: "/etc/crypto-policies/config", Line: 2, Default: "DEFAULT"}},
	}, {
		name: "no crypto-policies", parse: CryptoPolicy, fsys: fstest.MapFS{},
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

func FuzzSELinux(f *testing.F) {
	data, err := os.ReadFile("testdata/selinux/fedora/etc/selinux/config")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Fuzz(func(t *testing.T, data []byte) {
		imageRootFuzzOne(t, SELinux, fstest.MapFS{"etc/selinux/config": {Data: data}})
	})
}

func FuzzCryptoPolicy(f *testing.F) {
	data, err := os.ReadFile("testdata/cryptopolicy/fedora/etc/crypto-policies/config")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Fuzz(func(t *testing.T, data []byte) {
		imageRootFuzzOne(t, CryptoPolicy, fstest.MapFS{"etc/crypto-policies/config": {Data: data}})
	})
}
