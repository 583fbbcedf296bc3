package settings

import (
	"io/fs"
	"os"
	"testing"
	"testing/fstest"
)

func TestAppArmor(t *testing.T) {
	for _, tc := range []struct {
		name string
		fsys fs.FS
		want []Setting
	}{{
		name: "Debian's apparmor package",
		fsys: os.DirFS("testdata/apparmor/debian"),
		want: []Setting{
			{Program: "apparmor", Key: "profile.lsb_release", Value: "enforce", File: "/etc/apparmor.d/lsb_release", Line: 12},
			{Program: "apparmor", Key: "profile.nvidia_modprobe", Value: "enforce", File: "/etc/apparmor.d/nvidia_modprobe", Line: 7},
			{Program: "apparmor", Key: "profiles", Value: "2", File: "/etc/apparmor.d"},
		},
	}, {
		name: "flags, disable/ and force-complain/",
		fsys: fstest.MapFS{
			"etc/apparmor.d/usr.sbin.cupsd":        {Data: []byte("#include <tunables/global>\n\n/usr/sbin/cupsd flags=(attach_disconnected, complain) {\n  @{PROC}/@{pid}/fd/ r,\n  ^hat {\n  }\n}\n")},
			"etc/apparmor.d/ping":                  {Data: []byte("abi <abi/3.0>,\nprofile ping /{usr/,}bin/{,iputils-}ping flags = (kill) {\n  profile child flags=(complain) {\n  }\n}\n")},
			"etc/apparmor.d/man":                   {Data: []byte("\"/usr/bin/man\" {\n}\n@{bin}/less {\n}\n")},
			"etc/apparmor.d/disabled":              {Data: []byte("profile disabled {\n}\n")},
			"etc/apparmor.d/forced":                {Data: []byte("profile forced {\n}\n")},
			"etc/apparmor.d/disable/disabled":      imageRootLink("../disabled"),
			"etc/apparmor.d/force-complain/forced": imageRootLink("../forced"),
			"etc/apparmor.d/abstractions/base":     {Data: []byte("profile not_top_level {\n}\n")},
			"etc/apparmor.d/ping.dpkg-old":         {Data: []byte("profile old {\n}\n")},
			"etc/apparmor.d/README":                {Data: []byte("/etc/apparmor.d holds profiles {\n}\n")},
		},
		want: []Setting{
			{Program: "apparmor", Key: "profile./usr/bin/man", Value: "enforce", File: "/etc/apparmor.d/man", Line: 1},
			{Program: "apparmor", Key: "profile./usr/sbin/cupsd", Value: "complain", File: "/etc/apparmor.d/usr.sbin.cupsd", Line: 3},
			{Program: "apparmor", Key: "profile.@{bin}/less", Value: "enforce", File: "/etc/apparmor.d/man", Line: 3},
			{Program: "apparmor", Key: "profile.disabled", Value: "disabled", File: "/etc/apparmor.d/disabled", Line: 1},
			{Program: "apparmor", Key: "profile.forced", Value: "complain", File: "/etc/apparmor.d/forced", Line: 1},
			{Program: "apparmor", Key: "profile.ping", Value: "kill", File: "/etc/apparmor.d/ping", Line: 2},
			{Program: "apparmor", Key: "profiles", Value: "5", File: "/etc/apparmor.d"},
		},
	}, {
		name: "no AppArmor",
		fsys: fstest.MapFS{"etc/hostname": {Data: []byte("x\n")}},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := AppArmor(tc.fsys)
			if err != nil {
				t.Fatal(err)
			}
			if !imageRootEqual(got, tc.want) {
				t.Errorf("got\n%+v\nwant\n%+v", got, tc.want)
			}
		})
	}
}

func FuzzAppArmor(f *testing.F) {
	for _, p := range []string{"testdata/apparmor/debian/etc/apparmor.d/lsb_release", "testdata/apparmor/debian/etc/apparmor.d/nvidia_modprobe"} {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		imageRootFuzzOne(t, AppArmor, fstest.MapFS{"etc/apparmor.d/p": {Data: data}})
	})
}
