package settings

import (
	"io/fs"
	"os"
	"strings"
	"testing"
	"testing/fstest"
)

func TestResolver(t *testing.T) {
	for _, tc := range []struct {
		name string
		fsys fs.FS
		want []Setting
	}{{
		name: "debootstrap",
		fsys: os.DirFS("testdata/resolver/debootstrap"),
		want: []Setting{{Program: "resolver", Key: "nameserver", Value: "10.255.255.53", File: "/etc/resolv.conf", Line: 1}},
	}, {
		name: "systemd-resolved's link dangles into /run",
		fsys: os.DirFS("testdata/resolver/resolved"),
		want: []Setting{{Program: "resolver", Key: "symlink", Value: "../run/systemd/resolve/stub-resolv.conf", Condition: "dangling", File: "/etc/resolv.conf"}},
	}, {
		name: "the static stub file is followed",
		fsys: os.DirFS("testdata/resolver/static"),
		want: []Setting{
			{Program: "resolver", Key: "nameserver", Value: "127.0.0.53", File: "/lib/systemd/resolv.conf", Line: 17},
			{Program: "resolver", Key: "options.edns0", File: "/lib/systemd/resolv.conf", Line: 18},
			{Program: "resolver", Key: "options.trust-ad", File: "/lib/systemd/resolv.conf", Line: 18},
			{Program: "resolver", Key: "search", Value: ".", File: "/lib/systemd/resolv.conf", Line: 19},
			{Program: "resolver", Key: "symlink", Value: "../lib/systemd/resolv.conf", File: "/etc/resolv.conf"},
		},
	}, {
		name: "three nameservers, search and domain replace each other, options accumulate",
		fsys: fstest.MapFS{"etc/resolv.conf": {Data: []byte(strings.Join([]string{
			"# comment",
			"nameserver 192.0.2.1",
			"search example.com example.net",
			"nameserver 192.0.2.2",
			"; nameserver 192.0.2.9",
			"nameserver 2001:db8::1",
			"nameserver 192.0.2.4",
			"domain corp.example",
			"options ndots:2 rotate",
			"options ndots:5 timeout:1",
			"sortlist 130.155.160.0/255.255.240.0 130.155.0.0",
			"nameserver",
		}, "\n"))}},
		want: []Setting{
			{Program: "resolver", Key: "nameserver", Value: "192.0.2.1", File: "/etc/resolv.conf", Line: 2},
			{Program: "resolver", Key: "nameserver", Value: "192.0.2.2", File: "/etc/resolv.conf", Line: 4},
			{Program: "resolver", Key: "nameserver", Value: "2001:db8::1", File: "/etc/resolv.conf", Line: 6},
			{Program: "resolver", Key: "options.ndots", Value: "5", File: "/etc/resolv.conf", Line: 10, Default: "1"},
			{Program: "resolver", Key: "options.rotate", File: "/etc/resolv.conf", Line: 9},
			{Program: "resolver", Key: "options.timeout", Value: "1", File: "/etc/resolv.conf", Line: 10, Default: "5"},
			{Program: "resolver", Key: "search", Value: "corp.example", File: "/etc/resolv.conf", Line: 8},
			{Program: "resolver", Key: "sortlist", Value: "130.155.160.0/255.255.240.0 130.155.0.0", File: "/etc/resolv.conf", Line: 11},
		},
	}, {
		name: "no nameserver: glibc's built-in",
		fsys: fstest.MapFS{"etc/resolv.conf": {Data: []byte("search example.com\n")}},
		want: []Setting{
			{Program: "resolver", Key: "nameserver", Value: "127.0.0.1", Builtin: true},
			{Program: "resolver", Key: "search", Value: "example.com", File: "/etc/resolv.conf", Line: 1},
		},
	}, {
		name: "no file",
		fsys: fstest.MapFS{},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Resolver(tc.fsys)
			if err != nil {
				t.Fatal(err)
			}
			if !imageRootEqual(got, tc.want) {
				t.Errorf("got\n%+v\nwant\n%+v", got, tc.want)
			}
		})
	}
}

func FuzzResolver(f *testing.F) {
	for _, p := range []string{"testdata/resolver/debootstrap/etc/resolv.conf", "testdata/resolver/static/lib/systemd/resolv.conf"} {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fsys := fstest.MapFS{"etc/resolv.conf": imageRootLink("../run/r.conf"), "run/r.conf": {Data: data}}
		rows, err := Resolver(fsys)
		if err != nil {
			return
		}
		imageRootCheckRows(t, fsys, rows)
	})
}
