package imagecmp

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/distroscope/distroscope/datasets"
)

func debian(release string) datasets.Partition {
	return datasets.Partition{Distro: "debian", Release: release, Snapshot: "sha256-" + release + "~a2"}
}

func deb(name, arch, version string) datasets.ImagePackageRow {
	return datasets.ImagePackageRow{Ecosystem: "deb", Package: name, Architecture: arch, Version: version, Source: name}
}

// brief is a row as "kind change key [condition] a → b", for comparing
// lists in a failure message a reader can follow.
func brief(r datasets.ImageDiffRow) string {
	s := r.Kind + " " + r.Change + " " + r.Key
	if r.Condition != "" {
		s += " [" + r.Condition + "]"
	}
	return s + " " + r.AValue + " → " + r.BValue
}

func briefs(rows []datasets.ImageDiffRow, kind string) []string {
	var out []string
	for _, r := range rows {
		if r.Kind == kind {
			out = append(out, brief(r))
		}
	}
	return out
}

// TestDiffPackagesOneDistro: pairs by name and architecture with dpkg's
// order (an epoch outranks a larger upstream version, ~ sorts before
// the empty string), a package that moved to another architecture is one
// pair, each of a Multi-Arch pair stands alone, and equal versions are no
// row.
func TestDiffPackagesOneDistro(t *testing.T) {
	a := &Side{Partition: debian("bookworm"), Packages: []datasets.ImagePackageRow{
		deb("bash", "amd64", "5.2.15-2+b7"),
		deb("epochs", "amd64", "1:1.0-1"),
		deb("tilde", "amd64", "2.0-1"),
		deb("libc6", "amd64", "2.36-9"),
		deb("libc6", "i386", "2.36-9"),
		deb("moved", "all", "1.0-1"),
		deb("same", "amd64", "1.0-1"),
		deb("gone", "amd64", "1.0-1"),
	}}
	b := &Side{Partition: debian("trixie"), Packages: []datasets.ImagePackageRow{
		deb("bash", "amd64", "5.2.37-1"),
		deb("epochs", "amd64", "2.0-1"),
		deb("tilde", "amd64", "2.0-1~bpo12+1"),
		deb("libc6", "amd64", "2.41-12"),
		deb("libc6", "i386", "2.36-9"),
		deb("moved", "amd64", "1.0-1"),
		deb("same", "amd64", "1.0-1"),
		deb("new", "amd64", "0.1-1"),
	}}
	res, err := Diff(a, b, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"package upgraded bash [amd64] 5.2.15-2+b7 → 5.2.37-1",
		"package downgraded epochs [amd64] 1:1.0-1 → 2.0-1",
		"package removed gone [amd64] 1.0-1 → ",
		"package upgraded libc6 [amd64] 2.36-9 → 2.41-12",
		"package changed moved [amd64] 1.0-1 → 1.0-1",
		"package added new [amd64]  → 0.1-1",
		"package downgraded tilde [amd64] 2.0-1 → 2.0-1~bpo12+1",
	}
	if got := briefs(res.Diffs, datasets.DiffPackage); !slices.Equal(got, want) {
		t.Errorf("package rows\n got %q\nwant %q", got, want)
	}
	s := res.Summary
	if s.CrossDistro || s.Packages != 7 || s.Added != 1 || s.Removed != 1 || s.Upgraded != 2 || s.Downgraded != 2 ||
		s.AKey != a.Partition.Snapshot || s.BRelease != "trixie" {
		t.Errorf("summary %+v", s)
	}
	if res.Partition != datasets.ImageComparePartition(a.Partition, b.Partition) {
		t.Errorf("partition %+v", res.Partition)
	}
	for _, r := range res.Diffs {
		if r.Key == "moved" && r.Detail != "architecture all → amd64" {
			t.Errorf("moved: detail %q", r.Detail)
		}
	}
}

// TestDiffPackagesBadVersion: a version the ecosystem's comparator
// refuses fails the comparison, naming the package.
func TestDiffPackagesBadVersion(t *testing.T) {
	a := &Side{Partition: debian("a"), Packages: []datasets.ImagePackageRow{deb("x", "amd64", "1.0 2")}}
	b := &Side{Partition: debian("b"), Packages: []datasets.ImagePackageRow{deb("x", "amd64", "1.0")}}
	if _, err := Diff(a, b, Options{}); err == nil || !strings.Contains(err.Error(), "package x") {
		t.Errorf("err = %v, want one naming package x", err)
	}
}

// TestDiffPackagesCrossDistro: a Debian and an Alpine image pair through
// the default rules (zlib1g is zlib; libssl3 and the Alpine one share the
// source openssl), by upstream version; what pairs with nothing is
// unmatched, on its own side.
func TestDiffPackagesCrossDistro(t *testing.T) {
	a := &Side{Partition: debian("bookworm"), Packages: []datasets.ImagePackageRow{
		{Ecosystem: "deb", Package: "zlib1g", Architecture: "amd64", Version: "1:1.2.13.dfsg-1", Source: "zlib"},
		{Ecosystem: "deb", Package: "libssl3", Architecture: "amd64", Version: "3.0.15-1~deb12u1", Source: "openssl"},
		{Ecosystem: "deb", Package: "bash", Architecture: "amd64", Version: "5.2.15-2+b7", Source: "bash"},
		{Ecosystem: "deb", Package: "dpkg", Architecture: "amd64", Version: "1.21.22", Source: "dpkg"},
	}}
	b := &Side{Partition: datasets.Partition{Distro: "alpine", Release: "3.21.0", Snapshot: "sha256-alpine~a2"}, Packages: []datasets.ImagePackageRow{
		{Ecosystem: "apk", Package: "zlib", Architecture: "x86_64", Version: "1.3.1-r2", Source: "zlib"},
		{Ecosystem: "apk", Package: "libssl3", Architecture: "x86_64", Version: "3.3.2-r1", Source: "openssl"},
		{Ecosystem: "apk", Package: "bash", Architecture: "x86_64", Version: "5.2.15-r0", Source: "bash"},
		{Ecosystem: "apk", Package: "busybox", Architecture: "x86_64", Version: "1.37.0-r5", Source: "busybox"},
	}}
	res, err := Diff(a, b, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"package same-upstream bash 5.2.15-2+b7 → 5.2.15-r0",
		"package unmatched busybox  → 1.37.0-r5",
		"package unmatched dpkg 1.21.22 → ",
		"package upgraded libssl3 3.0.15-1~deb12u1 → 3.3.2-r1",
		"package upgraded zlib 1:1.2.13.dfsg-1 → 1.3.1-r2",
	}
	if got := briefs(res.Diffs, datasets.DiffPackage); !slices.Equal(got, want) {
		t.Errorf("package rows\n got %q\nwant %q", got, want)
	}
	for _, r := range res.Diffs {
		switch r.Key {
		case "zlib":
			if r.APackage != "zlib1g" || r.Rule == "" || r.Ecosystem != "apk" || r.Detail != "upstream 1.2.13 → 1.3.1" {
				t.Errorf("zlib row %+v, want A's zlib1g paired by a rule", r)
			}
		case "dpkg":
			if r.Ecosystem != "deb" {
				t.Errorf("dpkg row %+v, want A's ecosystem", r)
			}
		}
	}
	if s := res.Summary; !s.CrossDistro || s.Packages != 5 || s.Upgraded != 2 || s.ADistro != "debian" || s.BDistro != "alpine" {
		t.Errorf("summary %+v", s)
	}
}

func file(path, state, sha string) datasets.ImageFileRow {
	return datasets.ImageFileRow{Path: path, Type: "file", Mode: 0o644, State: state, SHA256: sha, Package: "p", Ecosystem: "deb"}
}

// TestDiffFiles: the rule of which paths are rows, one case per branch.
func TestDiffFiles(t *testing.T) {
	const h1, h2 = "1111111111111111aaaa", "2222222222222222bbbb"
	chmod := file("/etc/both-changed-mode", datasets.StateMetadataChanged, h1)
	chmod.Mode = 0o600
	for _, tc := range []struct {
		name string
		a, b []datasets.ImageFileRow
		want []string // brief rows
		det  string   // Detail of the one row, when set
	}{
		{"unchanged both, new default", []datasets.ImageFileRow{file("/etc/x", datasets.StateUnchanged, h1)},
			[]datasets.ImageFileRow{file("/etc/x", datasets.StateUnchanged, h2)}, nil, ""},
		{"edited on B", []datasets.ImageFileRow{file("/etc/ssh/sshd_config", datasets.StateUnchanged, h1)},
			[]datasets.ImageFileRow{file("/etc/ssh/sshd_config", datasets.StateModified, h2)},
			[]string{"file changed /etc/ssh/sshd_config unchanged 111111111111 → modified 222222222222"}, "state digest"},
		{"edited alike on both", []datasets.ImageFileRow{file("/etc/y", datasets.StateModified, h1)},
			[]datasets.ImageFileRow{file("/etc/y", datasets.StateModified, h1)}, nil, ""},
		{"edited differently", []datasets.ImageFileRow{file("/etc/y", datasets.StateModified, h1)},
			[]datasets.ImageFileRow{file("/etc/y", datasets.StateModified, h2)},
			[]string{"file changed /etc/y modified 111111111111 → modified 222222222222"}, "digest"},
		{"chmod on both, modes differ", []datasets.ImageFileRow{file("/etc/both-changed-mode", datasets.StateMetadataChanged, h1)},
			[]datasets.ImageFileRow{chmod},
			[]string{"file changed /etc/both-changed-mode metadata-changed 111111111111 → metadata-changed 111111111111"}, "mode"},
		{"package file of an added package", nil, []datasets.ImageFileRow{file("/usr/bin/new", datasets.StateUnchanged, h1)}, nil, ""},
		{"package file upgraded", []datasets.ImageFileRow{file("/usr/bin/x", datasets.StateUnchanged, h1)},
			[]datasets.ImageFileRow{file("/usr/bin/x", datasets.StateUnchanged, h2)}, nil, ""},
		{"package file deleted on A", []datasets.ImageFileRow{file("/usr/bin/x", datasets.StateDeleted, "")},
			[]datasets.ImageFileRow{file("/usr/bin/x", datasets.StateUnchanged, h1)},
			[]string{"file changed /usr/bin/x deleted → unchanged 111111111111"}, "state digest"},
		{"etc file of an added package", nil, []datasets.ImageFileRow{file("/etc/new.conf", datasets.StateUnchanged, h1)},
			[]string{"file added /etc/new.conf  → unchanged 111111111111"}, ""},
		{"image's own file on A only", []datasets.ImageFileRow{file("/etc/hostname", datasets.StateNotOwned, h1)}, nil,
			[]string{"file removed /etc/hostname not-owned 111111111111 → "}, ""},
		{"config outside /etc", nil, []datasets.ImageFileRow{func() datasets.ImageFileRow {
			f := file("/usr/share/conf", datasets.StateUnchanged, h1)
			f.Config = true
			return f
		}()}, []string{"file added /usr/share/conf  → unchanged 111111111111"}, ""},
		{"changed owned file outside /etc on one side", nil, []datasets.ImageFileRow{file("/usr/bin/z", datasets.StateModified, h1)},
			[]string{"file added /usr/bin/z  → modified 111111111111"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows := diffFiles(tc.a, tc.b)
			if got := briefs(rows, datasets.DiffFile); !slices.Equal(got, tc.want) {
				t.Errorf("rows\n got %q\nwant %q", got, tc.want)
			}
			if tc.det != "" && len(rows) == 1 && rows[0].Detail != tc.det {
				t.Errorf("detail %q, want %q", rows[0].Detail, tc.det)
			}
		})
	}
	rows := diffFiles([]datasets.ImageFileRow{file("/etc/s", datasets.StateUnchanged, "a")}, []datasets.ImageFileRow{file("/etc/s", datasets.StateModified, "b")})
	if r := rows[0]; r.ASource != datasets.SourcePackage || r.BSource != datasets.SourceChanged || r.Ecosystem != "deb" {
		t.Errorf("sources %+v", r)
	}
}

func set(program, key, value, file string, line int32, source string) datasets.ConfigSettingRow {
	return datasets.ConfigSettingRow{Program: program, Key: key, Value: value, File: file, Line: line, Source: source}
}

// TestDiffSettings: one case per rule of diffSettings.
func TestDiffSettings(t *testing.T) {
	pam := func(values ...string) []datasets.ConfigSettingRow {
		var rows []datasets.ConfigSettingRow
		for i, v := range values {
			r := set("pam", "pam.sshd.auth", v, "/etc/pam.d/common-auth", int32(10+i), datasets.SourcePackage)
			r.Condition = "sshd"
			rows = append(rows, r)
		}
		return rows
	}
	probed := func(r datasets.ConfigSettingRow, eff string) datasets.ConfigSettingRow {
		r.Probed, r.Effective, r.Differs = true, eff, eff != r.Value
		return r
	}
	topic := func(r datasets.ConfigSettingRow, t string) datasets.ConfigSettingRow { r.Topic = t; return r }
	for _, tc := range []struct {
		name string
		a, b []datasets.ConfigSettingRow
		want []string
		at   string // "AFile:ALine BFile:BLine source source" of the one row
		det  string
	}{
		{"value changed in a file",
			[]datasets.ConfigSettingRow{set("sshd", "permitrootlogin", "prohibit-password", "", 0, datasets.SourceBuiltin)},
			[]datasets.ConfigSettingRow{set("sshd", "permitrootlogin", "no", "/etc/ssh/sshd_config", 33, datasets.SourceChanged)},
			[]string{"setting changed sshd permitrootlogin prohibit-password → no"}, ":0 /etc/ssh/sshd_config:33 builtin changed", ""},
		{"same builtin", []datasets.ConfigSettingRow{set("sshd", "port", "22", "", 0, datasets.SourceBuiltin)},
			[]datasets.ConfigSettingRow{set("sshd", "port", "22", "", 0, datasets.SourceBuiltin)}, nil, "", ""},
		{"same value, other file", []datasets.ConfigSettingRow{set("sysctl", "kernel.x", "1", "/etc/sysctl.conf", 3, datasets.SourcePackage)},
			[]datasets.ConfigSettingRow{set("sysctl", "kernel.x", "1", "/etc/sysctl.d/99.conf", 1, datasets.SourceImage)}, nil, "", ""},
		{"only B", nil, []datasets.ConfigSettingRow{set("sysctl", "net.ipv4.ip_forward", "1", "/etc/sysctl.d/99.conf", 2, datasets.SourceImage)},
			[]string{"setting added sysctl net.ipv4.ip_forward  → 1"}, ":0 /etc/sysctl.d/99.conf:2  image", ""},
		{"a stack, third line differs", pam("a", "b", "c"), pam("a", "b", "x", "d"),
			[]string{"setting changed pam pam.sshd.auth [sshd] a\nb\nc → a\nb\nx\nd"}, "/etc/pam.d/common-auth:12 /etc/pam.d/common-auth:12 package package", ""},
		{"a stack, alike", pam("a", "b"), pam("a", "b"), nil, "", ""},
		{"probed on both, effective differs",
			[]datasets.ConfigSettingRow{probed(set("sshd", "x11forwarding", "yes", "/etc/ssh/sshd_config", 5, datasets.SourcePackage), "yes")},
			[]datasets.ConfigSettingRow{probed(set("sshd", "x11forwarding", "yes", "/etc/ssh/sshd_config", 5, datasets.SourcePackage), "no")},
			[]string{"setting changed sshd x11forwarding yes → yes"}, "/etc/ssh/sshd_config:5 /etc/ssh/sshd_config:5 package package", "effective: yes → no"},
		{"probed on one side only", []datasets.ConfigSettingRow{probed(set("sshd", "x11forwarding", "yes", "/etc/ssh/sshd_config", 5, datasets.SourcePackage), "no")},
			[]datasets.ConfigSettingRow{set("sshd", "x11forwarding", "yes", "/etc/ssh/sshd_config", 5, datasets.SourcePackage)}, nil, "", ""},
		{"a topic joins two programs",
			[]datasets.ConfigSettingRow{topic(set("useradd", "SHELL", "/bin/sh", "/etc/default/useradd", 8, datasets.SourcePackage), "users.default_shell")},
			[]datasets.ConfigSettingRow{topic(set("login.defs", "SHELL", "/bin/bash", "/etc/login.defs", 20, datasets.SourcePackage), "users.default_shell")},
			[]string{"setting changed login.defs SHELL /bin/sh → /bin/bash"}, "/etc/default/useradd:8 /etc/login.defs:20 package package", ""},
		{"init system", []datasets.ConfigSettingRow{set("init", "system", "systemd", "/sbin/init", 0, datasets.SourcePackage)},
			[]datasets.ConfigSettingRow{set("init", "system", "openrc", "/sbin/openrc", 0, datasets.SourcePackage)},
			[]string{"init changed system systemd → openrc"}, "/sbin/init:0 /sbin/openrc:0 package package", ""},
		{"a service enabled on B", []datasets.ConfigSettingRow{{Program: "service", Key: "ssh.service", Value: "disabled", Condition: "multi-user.target"}},
			[]datasets.ConfigSettingRow{{Program: "service", Key: "ssh.service", Value: "enabled", Condition: "multi-user.target",
				File: "/etc/systemd/system/multi-user.target.wants/ssh.service"}},
			[]string{"service changed ssh.service [multi-user.target] disabled → enabled"}, ":0 /etc/systemd/system/multi-user.target.wants/ssh.service:0  ", ""},
		{"a service disabled on B, without a target",
			[]datasets.ConfigSettingRow{{Program: "service", Key: "ssh.service", Value: "enabled", Condition: "multi-user.target",
				File: "/etc/systemd/system/multi-user.target.wants/ssh.service", Source: datasets.SourceImage}},
			[]datasets.ConfigSettingRow{{Program: "service", Key: "ssh.service", Value: "disabled", File: "/usr/lib/systemd/system/ssh.service", Source: datasets.SourcePackage}},
			[]string{"service changed ssh.service [multi-user.target] enabled → disabled"},
			"/etc/systemd/system/multi-user.target.wants/ssh.service:0 /usr/lib/systemd/system/ssh.service:0 image package", ""},
		{"a service moved to another target",
			[]datasets.ConfigSettingRow{{Program: "service", Key: "x.service", Value: "enabled", Condition: "graphical.target"}},
			[]datasets.ConfigSettingRow{{Program: "service", Key: "x.service", Value: "enabled", Condition: "multi-user.target"}},
			[]string{"service changed x.service [multi-user.target] enabled (graphical.target) → enabled"}, ":0 :0  ", ""},
		{"a service alike", []datasets.ConfigSettingRow{{Program: "service", Key: "x.service", Value: "enabled", Condition: "multi-user.target"}},
			[]datasets.ConfigSettingRow{{Program: "service", Key: "x.service", Value: "enabled", Condition: "multi-user.target"}}, nil, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows := diffSettings(tc.a, tc.b)
			var got []string
			for _, r := range rows {
				got = append(got, brief(r))
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("rows\n got %q\nwant %q", got, tc.want)
			}
			if len(rows) != 1 {
				return
			}
			r := rows[0]
			if at := fmt.Sprintf("%s:%d %s:%d %s %s", r.AFile, r.ALine, r.BFile, r.BLine, r.ASource, r.BSource); at != tc.at {
				t.Errorf("where %q, want %q", at, tc.at)
			}
			if r.Detail != tc.det {
				t.Errorf("detail %q, want %q", r.Detail, tc.det)
			}
		})
	}
}

// TestDiffSummaryInit: the summary names each side's init system and
// counts rows by kind.
func TestDiffSummaryInit(t *testing.T) {
	a := &Side{Partition: debian("a"), Settings: []datasets.ConfigSettingRow{
		set("init", "system", "systemd", "", 0, datasets.SourcePackage),
		{Program: "service", Key: "cron.service", Value: "enabled", Condition: "multi-user.target"},
		set("timezone", "zone", "Etc/UTC", "/etc/localtime", 0, datasets.SourceImage),
	}}
	b := &Side{Partition: debian("b"), Settings: []datasets.ConfigSettingRow{
		set("init", "system", "none", "", 0, datasets.SourceBuiltin),
		set("timezone", "zone", "Europe/Paris", "/etc/localtime", 0, datasets.SourceImage),
	}}
	res, err := Diff(a, b, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := res.Summary
	if s.AInit != "systemd" || s.BInit != "none" || s.Services != 1 || s.Settings != 1 || s.Packages != 0 || s.Files != 0 {
		t.Errorf("summary %+v", s)
	}
	if !slices.IsSortedFunc(res.Diffs, func(x, y datasets.ImageDiffRow) int { return datasets.CompareImageDiffRows(&x, &y) }) || len(res.Diffs) != 3 {
		t.Errorf("rows %q are not 3 sorted rows", briefs(res.Diffs, datasets.DiffInit))
	}
}
