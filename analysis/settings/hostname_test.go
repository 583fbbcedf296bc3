package settings

import (
	"io/fs"
	"os"
	"testing"
	"testing/fstest"
)

func TestHostnameTimezone(t *testing.T) {
	for _, tc := range []struct {
		name  string
		parse func(fs.FS) ([]Setting, error)
		fsys  fs.FS
		want  []Setting
	}{
		{"hostname of debootstrap", Hostname, os.DirFS("testdata/hostname/debootstrap"),
			[]Setting{{Program: "hostname", Key: "hostname", Value: "vm", File: "/etc/hostname", Line: 1}}},
		{"hostname after comments", Hostname, fstest.MapFS{"etc/hostname": {Data: []byte("# set by the installer\n\n  web01  \nweb02\n")}},
			[]Setting{{Program: "hostname", Key: "hostname", Value: "web01", File: "/etc/hostname", Line: 3}}},
		{"hostname file without a name", Hostname, fstest.MapFS{"etc/hostname": {Data: []byte("# none\n")}}, nil},
		{"no hostname file", Hostname, fstest.MapFS{}, nil},
		{"bookworm's absolute localtime link wins over /etc/timezone", Timezone, os.DirFS("testdata/timezone/bookworm"),
			[]Setting{{Program: "timezone", Key: "timezone", Value: "Etc/UTC", File: "/etc/localtime"}}},
		{"a relative link", Timezone, os.DirFS("testdata/timezone/berlin"),
			[]Setting{{Program: "timezone", Key: "timezone", Value: "Europe/Berlin", File: "/etc/localtime"}}},
		{"posix/ zones and links that leave zoneinfo", Timezone, fstest.MapFS{"etc/localtime": imageRootLink("../usr/share/zoneinfo/posix/America/New_York")},
			[]Setting{{Program: "timezone", Key: "timezone", Value: "America/New_York", File: "/etc/localtime"}}},
		{"a link outside zoneinfo", Timezone, fstest.MapFS{"etc/localtime": imageRootLink("/opt/tz/Mars")},
			[]Setting{{Program: "timezone", Key: "timezone", Value: "/opt/tz/Mars", File: "/etc/localtime"}}},
		{"a copied localtime: /etc/timezone names it", Timezone, fstest.MapFS{"etc/localtime": {Data: []byte("TZif")}, "etc/timezone": {Data: []byte("Europe/Paris\n")}},
			[]Setting{{Program: "timezone", Key: "timezone", Value: "Europe/Paris", File: "/etc/timezone", Line: 1}}},
		{"no time zone files", Timezone, fstest.MapFS{}, nil},
	} {
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

func FuzzHostname(f *testing.F) {
	f.Add([]byte("vm\n"))
	f.Add([]byte("# c\n\n host \n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		imageRootFuzzOne(t, Hostname, fstest.MapFS{"etc/hostname": {Data: data}})
	})
}

func FuzzTimezone(f *testing.F) {
	f.Add([]byte("Etc/UTC\n"), "/usr/share/zoneinfo/Etc/UTC")
	f.Add([]byte("# c\nEurope/Paris"), "")
	f.Fuzz(func(t *testing.T, data []byte, link string) {
		fsys := fstest.MapFS{"etc/timezone": {Data: data}}
		if link != "" {
			fsys["etc/localtime"] = imageRootLink(link)
		}
		imageRootFuzzOne(t, Timezone, fsys)
	})
}
