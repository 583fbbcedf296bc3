package settings

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"testing/fstest"
)

func TestSysctl(t *testing.T) {
	for _, tc := range []struct {
		name string
		fsys fstest.MapFS // nil: the bookworm fixture tree
		want []Setting
	}{{
		name: "bookworm defaults",
		want: []Setting{{Program: "sysctl", Key: "kernel.pid_max", Value: "4194304", File: "/usr/lib/sysctl.d/50-pid-max.conf", Line: 16}},
	}, {
		name: "files apply by name across directories, later assignments win",
		fsys: fstest.MapFS{
			"etc/sysctl.d/30-a.conf":     {Data: []byte("vm.swappiness = 10\nkernel.sysrq=1\n")},
			"usr/lib/sysctl.d/20-b.conf": {Data: []byte("vm.swappiness = 60\n")},
			"lib/sysctl.d/40-c.conf":     {Data: []byte("kernel.sysrq = 0\nkernel.sysrq = 16\n")},
		},
		want: []Setting{
			{Program: "sysctl", Key: "kernel.sysrq", Value: "16", File: "/lib/sysctl.d/40-c.conf", Line: 2},
			{Program: "sysctl", Key: "vm.swappiness", Value: "10", File: "/etc/sysctl.d/30-a.conf", Line: 1},
		},
	}, {
		name: "an earlier directory's file masks the same name; /dev/null masks it empty",
		fsys: fstest.MapFS{
			"usr/lib/sysctl.d/50-x.conf":       {Data: []byte("vm.a = 1\n")},
			"run/sysctl.d/50-x.conf":           {Data: []byte("\nvm.a = 2\n")},
			"usr/local/lib/sysctl.d/50-x.conf": {Data: []byte("vm.a = 3\n")},
			"usr/lib/sysctl.d/60-y.conf":       {Data: []byte("vm.b = 1\n")},
			"etc/sysctl.d/60-y.conf":           imageRootLink("/dev/null"),
			"lib/sysctl.d/70-z.conf":           {Data: []byte("vm.c = 1\n")},
			"etc/sysctl.d/70-z.conf":           imageRootLink("/run/gone.conf"),
		},
		want: []Setting{{Program: "sysctl", Key: "vm.a", Value: "2", File: "/run/sysctl.d/50-x.conf", Line: 2}},
	}, {
		name: "sysctl.conf is applied last, after every drop-in",
		fsys: fstest.MapFS{
			"etc/sysctl.conf":             {Data: []byte("net.ipv4.ip_forward=1\n")},
			"etc/sysctl.d/99-sysctl.conf": imageRootLink("../sysctl.conf"),
			"etc/sysctl.d/99-zz.conf":     {Data: []byte("net.ipv4.ip_forward=0\n")},
		},
		want: []Setting{{Program: "sysctl", Key: "net.ipv4.ip_forward", Value: "1", File: "/etc/sysctl.conf", Line: 1}},
	}, {
		name: "keys normalised, comments, ignore-errors prefix, globs and malformed lines",
		fsys: fstest.MapFS{
			"etc/sysctl.d/10-a.conf": {Data: []byte(strings.Join([]string{
				"# comment = 1",
				"; also = 1",
				"net/ipv4/ip_forward = 1",
				"net.ipv4.ip_forward=0",
				"net/ipv4/conf/eth0.10/forwarding = 1",
				"  -kernel.unknown_key = yes  ",
				"net.ipv4.conf.*.rp_filter = 2",
				"no assignment here",
				"-net.ipv4.conf.all.rp_filter",
				" = novalue",
				"kernel.core_pattern = |/usr/lib/x %p # not a comment",
				"kernel.empty =",
			}, "\r\n"))},
			"etc/sysctl.d/README":     {Data: []byte("vm.not_a_conf = 1\n")},
			"etc/sysctl.d/dir.conf/x": {Data: []byte("vm.in_a_dir = 1\n")},
		},
		want: []Setting{
			{Program: "sysctl", Key: "kernel.core_pattern", Value: "|/usr/lib/x %p # not a comment", File: "/etc/sysctl.d/10-a.conf", Line: 11},
			{Program: "sysctl", Key: "kernel.empty", Value: "", File: "/etc/sysctl.d/10-a.conf", Line: 12},
			{Program: "sysctl", Key: "kernel.unknown_key", Value: "yes", File: "/etc/sysctl.d/10-a.conf", Line: 6},
			{Program: "sysctl", Key: "net.ipv4.conf.*.rp_filter", Value: "2", File: "/etc/sysctl.d/10-a.conf", Line: 7},
			{Program: "sysctl", Key: "net.ipv4.conf.eth0/10.forwarding", Value: "1", File: "/etc/sysctl.d/10-a.conf", Line: 5},
			{Program: "sysctl", Key: "net.ipv4.ip_forward", Value: "0", File: "/etc/sysctl.d/10-a.conf", Line: 4},
		},
	}, {
		name: "no files at all",
		fsys: fstest.MapFS{"etc/passwd": {Data: []byte("root:x:0:0::/root:/bin/sh\n")}},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			var got []Setting
			var err error
			if tc.fsys == nil {
				got, err = Sysctl(os.DirFS("testdata/sysctl/bookworm"))
			} else {
				got, err = Sysctl(tc.fsys)
			}
			if err != nil {
				t.Fatal(err)
			}
			if !imageRootEqual(got, tc.want) {
				t.Errorf("got\n%+v\nwant\n%+v", got, tc.want)
			}
		})
	}
}

func TestSysctlLimits(t *testing.T) {
	var many strings.Builder
	for i := range maxRows + 1 {
		fmt.Fprintf(&many, "k.%d=1\n", i)
	}
	for name, tc := range map[string]struct {
		fsys fstest.MapFS
		want string
	}{
		"too many keys":  {fstest.MapFS{"etc/sysctl.conf": {Data: []byte(many.String())}}, "/etc/sysctl.conf line 100001: more than 100000 keys"},
		"file too large": {fstest.MapFS{"etc/sysctl.d/a.conf": {Data: make([]byte, maxFileBytes+1)}}, "/etc/sysctl.d/a.conf is larger than"},
		"symlink loop":   {fstest.MapFS{"etc/sysctl.d/a.conf": imageRootLink("b.conf"), "etc/sysctl.d/b.conf": imageRootLink("a.conf")}, "too many levels of symbolic links"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Sysctl(tc.fsys)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func FuzzSysctl(f *testing.F) {
	for _, p := range []string{"testdata/sysctl/bookworm/etc/sysctl.conf", "testdata/sysctl/bookworm/usr/lib/sysctl.d/50-pid-max.conf"} {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("net/ipv4/conf/a.b/c = 1\n-x.y=\n;z\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fsys := fstest.MapFS{"etc/sysctl.d/10-f.conf": {Data: data}, "etc/sysctl.conf": {Data: data}}
		rows, err := Sysctl(fsys)
		if err != nil {
			return
		}
		imageRootCheckRows(t, fsys, rows)
	})
}
