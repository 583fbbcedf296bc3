package report

import (
	"bytes"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/distroscope/distroscope/datasets"
)

// The image comparison fixtures of testdata/image/README.md: two diffs
// written here row by row, one within Debian (bookworm → trixie, the
// settings a test changes) and one across distributions (Debian → Alpine,
// packages paired by the cross-distro rules).

var (
	imgBookworm = datasets.ImageSummaryRow{Identity: "sha256:5a1b7f2c9d0e3f4a5b6c7d8e9f00112233445566778899aabbccddeeff0011", Ref: "dir:/srv/bookworm",
		Scheme: "dir", OSID: "debian", OSVersion: "12", Codename: "bookworm", PrettyName: "Debian GNU/Linux 12 (bookworm)",
		Ecosystems: []string{"deb"}, Layers: 1, Packages: 118, Files: 9321, ConfigChanged: 2}
	imgTrixie = datasets.ImageSummaryRow{Identity: "sha256:9c8b7a6f5e4d3c2b1a0f9e8d7c6b5a4938271605f4e3d2c1b0a9f8e7d6c5b4a3", Ref: "dir:/srv/trixie",
		Scheme: "dir", OSID: "debian", OSVersion: "13", Codename: "trixie", PrettyName: "Debian GNU/Linux 13 (trixie)",
		Ecosystems: []string{"deb"}, Layers: 1, Packages: 121, Files: 9802}
	imgAlpine = datasets.ImageSummaryRow{Identity: "sha256:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0", Ref: "oci:/srv/alpine:3.18",
		Scheme: "oci", Platform: "linux/amd64", OSID: "alpine", OSVersion: "3.18.4", PrettyName: "Alpine Linux v3.18",
		Ecosystems: []string{"apk"}, Layers: 1, Packages: 15, Files: 412}
)

func setting(change, program, key, condition, topic string, a, b sideValue) datasets.ImageDiffRow {
	return datasets.ImageDiffRow{Kind: datasets.DiffSetting, Change: change, Key: program + " " + key, Program: program, Condition: condition, Topic: topic,
		AValue: a.Value, AFile: a.File, ALine: a.Line, ASource: a.Source, BValue: b.Value, BFile: b.File, BLine: b.Line, BSource: b.Source}
}

// pkgDiff is a package row as analysis/imagecmp writes it: within one
// distribution the architecture is the condition; across two, Detail
// gives the upstream versions compared.
func withDetail(r datasets.ImageDiffRow, detail string) datasets.ImageDiffRow {
	r.Detail = detail
	return r
}

func pkgDiff(change, name, aName, arch, eco, a, b, rule, detail string) datasets.ImageDiffRow {
	return datasets.ImageDiffRow{Kind: datasets.DiffPackage, Change: change, Key: name, APackage: aName, Condition: arch, Ecosystem: eco,
		AValue: a, BValue: b, Rule: rule, Detail: detail}
}

func fileDiff(change, path, a, b, detail string) datasets.ImageDiffRow {
	return datasets.ImageDiffRow{Kind: datasets.DiffFile, Change: change, Key: path, AValue: a, BValue: b, Detail: detail}
}

func serviceDiff(change, unit, target, a, b string) datasets.ImageDiffRow {
	return datasets.ImageDiffRow{Kind: datasets.DiffService, Change: change, Key: unit, Condition: target, AValue: a, BValue: b}
}

// sorted puts rows in the dataset's order, as a comparison commits them.
func sorted(rows ...datasets.ImageDiffRow) []datasets.ImageDiffRow {
	slices.SortStableFunc(rows, func(a, b datasets.ImageDiffRow) int { return datasets.CompareImageDiffRows(&a, &b) })
	return rows
}

// imageSame is bookworm against trixie, with the settings the real-tree
// test changes in the bookworm copy (sshd's PermitRootLogin, useradd's
// SHELL, a sysctl.d file of its own).
func imageSame() ImageData {
	return ImageData{
		A: imgBookworm, B: imgTrixie,
		Summary: datasets.ImageCompareSummaryRow{AKey: datasets.ImageKey(imgBookworm.Identity, 2), BKey: datasets.ImageKey(imgTrixie.Identity, 2),
			ARef: imgBookworm.Ref, BRef: imgTrixie.Ref, ADistro: "debian", ARelease: "bookworm", BDistro: "debian", BRelease: "trixie",
			AInit: "systemd", BInit: "systemd"},
		Diffs: sorted(
			pkgDiff(KindUpgraded, "bash", "", "amd64", "deb", "5.2.15-2+b8", "5.2.37-2", "", ""),
			pkgDiff(KindUpgraded, "openssh-server", "", "amd64", "deb", "1:9.2p1-2+deb12u7", "1:10.0p1-7", "", ""),
			pkgDiff(KindDowngraded, "libcap2", "", "amd64", "deb", "1:2.66-4+deb12u1", "1:2.66-4", "", ""),
			pkgDiff(KindAdded, "libssl3t64", "", "amd64", "deb", "", "3.5.1-1", "", ""),
			pkgDiff(KindRemoved, "libssl3", "", "amd64", "deb", "3.0.17-1~deb12u2", "", "", ""),
			pkgDiff("changed", "tzdata", "", "all", "deb", "2025b-0+deb12u1", "2025b-0+deb12u1", "", "architecture amd64 → all"),
			fileDiff("changed", "/etc/ssh/sshd_config", "modified 3b1fe0a2", "unchanged 77c0d1e4", "digest size"),
			fileDiff("changed", "/etc/default/useradd", "modified 0c9a2f11", "unchanged 5d1e8b30", "digest"),
			fileDiff(KindRemoved, "/etc/sysctl.d/99-distroscope.conf", "not-owned 1a2b3c4d", "", ""),
			withDetail(setting("changed", "sshd", "PermitRootLogin", "", "",
				sideValue{"no", "/etc/ssh/sshd_config", 33, datasets.SourceChanged}, sideValue{"prohibit-password", "/etc/ssh/sshd_config.d/50-cloud.conf", 2, datasets.SourceImage}),
				"effective: no → without-password"),
			setting(KindRemoved, "sshd", "PasswordAuthentication", "User backup", "",
				sideValue{"no", "/etc/ssh/sshd_config", 131, datasets.SourceChanged}, sideValue{}),
			setting(KindRemoved, "sysctl", "net.ipv4.ip_forward", "", "",
				sideValue{"1", "/etc/sysctl.d/99-distroscope.conf", 1, datasets.SourceImage}, sideValue{}),
			setting("changed", "useradd", "SHELL", "", "users.default_shell",
				sideValue{"/bin/bash", "/etc/default/useradd", 8, datasets.SourceChanged}, sideValue{"/bin/sh", "", 0, datasets.SourceBuiltin}),
			setting("changed", "timezone", "timezone", "", "",
				sideValue{"Etc/UTC", "/etc/localtime", 0, datasets.SourceImage}, sideValue{"Europe/Berlin", "/etc/localtime", 0, datasets.SourceImage}),
			setting("changed", "pam", "auth", "common-auth", "",
				sideValue{"[success=1 default=ignore] pam_unix.so nullok\nrequisite pam_deny.so", "/etc/pam.d/common-auth", 17, datasets.SourcePackage},
				sideValue{"[success=1 default=ignore] pam_unix.so nullok\nrequisite pam_deny.so\nrequired pam_permit.so", "/etc/pam.d/common-auth", 17, datasets.SourcePackage}),
			serviceDiff("changed", "ssh.service", "multi-user.target", "disabled", "enabled"),
			serviceDiff(KindAdded, "cron.service", "multi-user.target", "", "enabled"),
		),
		// The time zone differs, so the diff's row wins over the heads'
		// (B's head says nothing); the locale does not, so the heads give it.
		AHead: ImageHeadline{Init: "systemd", Timezone: "Etc/UTC", Locale: "C.UTF-8", Hostname: "bookworm"},
		BHead: ImageHeadline{Init: "systemd", Locale: "C.UTF-8", Hostname: "trixie"},
	}
}

// imageCross is bookworm against Alpine 3.18: libssl3 paired by name,
// zlib and musl-utils by rules naming A's other package, one unmatched
// package on each side, and different init systems.
func imageCross() ImageData {
	return ImageData{
		A: imgBookworm, B: imgAlpine,
		Summary: datasets.ImageCompareSummaryRow{AKey: datasets.ImageKey(imgBookworm.Identity, 2), BKey: datasets.ImageKey(imgAlpine.Identity, 2),
			ARef: imgBookworm.Ref, BRef: imgAlpine.Ref, ADistro: "debian", ARelease: "bookworm", BDistro: "alpine", BRelease: "3.18.4",
			CrossDistro: true, AInit: "systemd", BInit: "openrc"},
		Diffs: sorted(
			pkgDiff(KindUpgraded, "libssl3", "libssl3", "", "apk", "3.0.17-1~deb12u2", "3.1.2-r0", "same-name", "upstream 3.0.17 → 3.1.2"),
			pkgDiff("same-upstream", "zlib", "zlib1g", "", "apk", "1:1.2.13.dfsg-1", "1.2.13-r1", "source-name", "upstream 1.2.13 → 1.2.13"),
			pkgDiff(KindDowngraded, "musl-utils", "libc-bin", "", "apk", "2.36-9+deb12u14", "1.2.4-r1", "libc", "upstream 2.36 → 1.2.4"),
			pkgDiff(KindUnmatched, "alpine-baselayout", "", "", "apk", "", "3.4.3-r1", "", "upstream 3.4.3"),
			pkgDiff(KindUnmatched, "base-files", "base-files", "", "deb", "12.4+deb12u15", "", "", "upstream 12.4"),
			fileDiff(KindAdded, "/etc/apk/world", "", "not-owned 9e8d7c6b", ""),
			setting(KindRemoved, "locale", "LANG", "", "", sideValue{"C.UTF-8", "/etc/default/locale", 1, datasets.SourceImage}, sideValue{}),
			setting("changed", "sshd", "PasswordAuthentication", "", "",
				sideValue{"yes", "", 0, datasets.SourceBuiltin}, sideValue{"no", "/etc/ssh/sshd_config", 60, datasets.SourcePackage}),
			datasets.ImageDiffRow{Kind: datasets.DiffInit, Change: "changed", Key: "system", Program: "init", AValue: "systemd", BValue: "openrc"},
			serviceDiff(KindRemoved, "ssh.service", "multi-user.target", "enabled", ""),
			serviceDiff(KindAdded, "sshd", "default", "", "enabled"),
		),
		AHead: ImageHeadline{Init: "systemd", Timezone: "Etc/UTC", Locale: "C.UTF-8", Hostname: "bookworm"},
		BHead: ImageHeadline{Init: "openrc", Timezone: "Etc/UTC", Hostname: "alpine"},
	}
}

var imageSamples = []struct {
	name string
	data func() ImageData
}{
	{"same", imageSame},
	{"cross", imageCross},
}

// renderImage renders d and returns its files by name.
func renderImage(t *testing.T, d ImageData) map[string][]byte {
	t.Helper()
	files, err := RenderImageCompare(d)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, f := range files {
		out[f.Name] = f.Data
	}
	return out
}

func parseImageHTML(t *testing.T, d ImageData) (*html.Node, string) {
	t.Helper()
	page := renderImage(t, d)[FileImageHTML]
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	return doc, string(page)
}

// rowsOf are d's diff rows of the given kinds, in d's order.
func rowsOf(d ImageData, kinds ...string) []datasets.ImageDiffRow {
	var out []datasets.ImageDiffRow
	for _, r := range d.Diffs {
		if slices.Contains(kinds, r.Kind) {
			out = append(out, r)
		}
	}
	return out
}

// expectedImageNumbers are the numbers the page must show by DOM id,
// counted here from d's rows.
func expectedImageNumbers(d ImageData) map[string]int64 {
	want := map[string]int64{"count-added": 0, "count-removed": 0, "count-upgraded": 0, "count-downgraded": 0}
	if d.Summary.CrossDistro {
		want["count-unmatched"] = 0
	}
	for _, r := range d.Diffs {
		switch r.Kind {
		case datasets.DiffPackage:
			want["count-packages"]++
			if !slices.Contains([]string{KindAdded, KindRemoved, KindUpgraded, KindDowngraded, KindUnmatched}, r.Change) {
				want["count-change-"+r.Change]++
			} else {
				want["count-"+r.Change]++
			}
		case datasets.DiffFile:
			want["count-files"]++
		case datasets.DiffSetting:
			want["count-settings"]++
		case datasets.DiffService:
			want["count-services"]++
		}
	}
	for _, k := range []string{"packages", "files", "settings", "services"} {
		want["rows-"+k] = want["count-"+k]
	}
	return want
}

// TestImageFiles: the CSVs first, in ImageCSVNames order, then the
// Markdown and the HTML page last; nothing empty.
func TestImageFiles(t *testing.T) {
	files, err := RenderImageCompare(imageSame())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, f.Name)
		if len(f.Data) == 0 {
			t.Errorf("%s is empty", f.Name)
		}
	}
	want := []string{"csv/image-packages.csv", "csv/image-files.csv", "csv/image-settings.csv", "csv/image-services.csv", "image-compare.md", "image-compare.html"}
	if !slices.Equal(names, want) {
		t.Errorf("files %q, want %q", names, want)
	}
}

// TestImageCSVRoundTrip: each CSV parses back to exactly the rows of its
// kinds, all of them even when the pages are cut to one row, in the
// dataset's order; the init row is in the services file.
func TestImageCSVRoundTrip(t *testing.T) {
	for _, s := range imageSamples {
		t.Run(s.name, func(t *testing.T) {
			d := s.data()
			d.MaxRows = 1
			d.Diffs[0].Detail = "a \"quoted\", multi\nline detail"
			files := renderImage(t, d)
			for name, kinds := range map[string][]string{
				CSVImagePackages: {datasets.DiffPackage}, CSVImageFiles: {datasets.DiffFile},
				CSVImageSettings: {datasets.DiffSetting}, CSVImageServices: {datasets.DiffInit, datasets.DiffService},
			} {
				var got []datasets.ImageDiffRow
				for _, rec := range readCSV(t, files["csv/"+name], imageDiffHeader) {
					got = append(got, datasets.ImageDiffRow{Kind: rec[0], Change: rec[1], Key: rec[2], Program: rec[3], Condition: rec[4],
						Topic: rec[5], APackage: rec[6], Ecosystem: rec[7], AValue: rec[8], BValue: rec[9], AFile: rec[10],
						ALine: int32(parseInt(t, rec[11])), BFile: rec[12], BLine: int32(parseInt(t, rec[13])),
						ASource: rec[14], BSource: rec[15], Rule: rec[16], Detail: rec[17]})
				}
				want := rowsOf(d, kinds...)
				if len(want) == 0 {
					t.Fatalf("the sample has no %v row", kinds)
				}
				if !slices.Equal(got, want) {
					t.Errorf("%s reads back as\n %+v\nwant\n %+v", name, got, want)
				}
			}
		})
	}
}

// TestImageHTMLNumbers: every count and row count in the page is the
// number of rows of d it stands for.
func TestImageHTMLNumbers(t *testing.T) {
	for _, s := range imageSamples {
		t.Run(s.name, func(t *testing.T) {
			d := s.data()
			doc, _ := parseImageHTML(t, d)
			ids := byID(doc)
			for id, n := range expectedImageNumbers(d) {
				e := ids[id]
				if e == nil {
					t.Errorf("the page has no #%s", id)
					continue
				}
				if got := text(e); got != strconv.FormatInt(n, 10) {
					t.Errorf("#%s = %q, want %d", id, got, n)
				}
			}
			if _, ok := ids["cross-distro"]; ok != d.Summary.CrossDistro {
				t.Errorf("cross-distro badge shown: %v, want %v", ok, d.Summary.CrossDistro)
			}
		})
	}
}

// TestImageHeadline: both sides side by side; a value the diff changed
// comes from its row, one it did not from the heads, the init system
// from the init row, else the heads, else the summary; a differing line
// is marked.
func TestImageHeadline(t *testing.T) {
	same := imageSame()
	same.AHead.Init, same.BHead.Init = "", "" // the summary names them
	cross := imageCross()
	cross.BHead.Init = "none" // the init row wins
	// a time zone B keeps in another program, on the topic's row
	topic := imageCross()
	topic.Diffs = sorted(append(topic.Diffs, setting("changed", "sysconfig", "clock.ZONE", "", "timezone",
		sideValue{"Etc/UTC", "/etc/localtime", 0, datasets.SourceImage}, sideValue{"America/New_York", "/etc/sysconfig/clock", 1, datasets.SourceImage}))...)
	for _, c := range []struct {
		name string
		d    ImageData
		want map[string][2]string
		diff []string
	}{
		{"same", same, map[string][2]string{
			"distribution": {"Debian GNU/Linux 12 (bookworm)", "Debian GNU/Linux 13 (trixie)"},
			"release":      {"debian 12 (bookworm)", "debian 13 (trixie)"},
			"ref":          {"dir:/srv/bookworm", "dir:/srv/trixie"},
			"identity":     {"sha256:5a1b7f2c9d0e…", "sha256:9c8b7a6f5e4d…"},
			"installed":    {"118", "121"},
			"init":         {"systemd", "systemd"},
			"timezone":     {"Etc/UTC", "Europe/Berlin"},
			"locale":       {"C.UTF-8", "C.UTF-8"},
			"hostname":     {"bookworm", "trixie"},
		}, []string{"distribution", "release", "ref", "identity", "installed", "config-changed", "timezone", "hostname"}},
		{"cross", cross, map[string][2]string{
			"release":  {"debian 12 (bookworm)", "alpine 3.18.4"},
			"platform": {"—", "linux/amd64"},
			"init":     {"systemd", "openrc"},
			"timezone": {"Etc/UTC", "Etc/UTC"},
			"locale":   {"C.UTF-8", "—"},
		}, []string{"distribution", "release", "ref", "identity", "platform", "installed", "config-changed", "init", "locale", "hostname"}},
		{"topic", topic, map[string][2]string{"timezone": {"Etc/UTC", "America/New_York"}},
			[]string{"distribution", "release", "ref", "identity", "platform", "installed", "config-changed", "init", "timezone", "locale", "hostname"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			doc, _ := parseImageHTML(t, c.d)
			ids := byID(doc)
			for id, want := range c.want {
				for i, side := range []string{"a", "b"} {
					e := ids["head-"+id+"-"+side]
					if e == nil {
						t.Fatalf("no #head-%s-%s", id, side)
					}
					if got := text(e); got != want[i] {
						t.Errorf("#head-%s-%s = %q, want %q", id, side, got, want[i])
					}
				}
			}
			var differs []string
			for _, tr := range elements(ids["headline"], "tr", "differs") {
				differs = append(differs, strings.TrimPrefix(attr(tr, "id"), "head-"))
			}
			if !slices.Equal(differs, c.diff) {
				t.Errorf("lines marked as differing %q, want %q", differs, c.diff)
			}
			if c.name == "topic" {
				return
			}
			if got := attr(ids["head-identity-a"], "title"); got != c.d.A.Identity {
				t.Errorf("the shortened identity's title = %q, want the whole %q", got, c.d.A.Identity)
			}
		})
	}
}

// TestImageHeadlineOf: the headline values from config_settings rows;
// other programs' keys of the same name are not taken.
func TestImageHeadlineOf(t *testing.T) {
	rows := []datasets.ConfigSettingRow{
		{Program: "hostname", Key: "hostname", Value: "box"},
		{Program: "init", Key: "system", Value: "openrc"},
		{Program: "locale", Key: "LANGUAGE", Value: "de"},
		{Program: "locale", Key: "LANG", Value: "de_DE.UTF-8"},
		{Program: "timezone", Key: "timezone", Value: "Europe/Berlin"},
		{Program: "service", Key: "sshd", Value: "enabled", Condition: "default"},
		{Program: "sshd", Key: "LANG", Value: "x"},
		// the program's own row wins over a later one of its topic
		{Program: "sysconfig", Key: "clock.ZONE", Value: "America/New_York", Topic: "timezone"},
	}
	got := ImageHeadlineOf(rows)
	want := ImageHeadline{Init: "openrc", Timezone: "Europe/Berlin", Locale: "de_DE.UTF-8", Hostname: "box"}
	if got != want {
		t.Errorf("ImageHeadlineOf = %+v, want %+v", got, want)
	}
	// Without the programs' own rows, the same topics' rows (RHEL 6's
	// sysconfig files) give the time zone and host name; a conditional
	// row gives nothing.
	rhel := []datasets.ConfigSettingRow{
		{Program: "sysconfig", Key: "clock.ZONE", Value: "America/New_York", Topic: "timezone"},
		{Program: "sysconfig", Key: "network.HOSTNAME", Value: "rhel6"},
		{Program: "locale", Key: "LANG", Value: "C", Condition: "user"},
	}
	if got, want := ImageHeadlineOf(rhel), (ImageHeadline{Timezone: "America/New_York", Hostname: "rhel6"}); got != want {
		t.Errorf("ImageHeadlineOf of topic rows = %+v, want %+v", got, want)
	}
}

// TestImageHTMLPackages: the packages table lists every package row,
// downgrades first and the unmatched last, with A's name when a rule
// paired another one and, across distributions, the rule.
func TestImageHTMLPackages(t *testing.T) {
	for _, s := range imageSamples {
		t.Run(s.name, func(t *testing.T) {
			doc, _ := parseImageHTML(t, s.data())
			got, want := tableRows(t, doc, "packages"), wantImagePackages[s.name]
			if !slices.EqualFunc(got, want, slices.Equal) {
				t.Errorf("packages table\n %q\nwant\n %q", got, want)
			}
		})
	}
}

// wantImagePackages are the rows the packages table of each sample shows.
var wantImagePackages = map[string][][]string{
	"same": {
		{"libcap2", "amd64", "deb", "downgraded", "1:2.66-4+deb12u1", "1:2.66-4"},
		{"bash", "amd64", "deb", "upgraded", "5.2.15-2+b8", "5.2.37-2"},
		{"openssh-server", "amd64", "deb", "upgraded", "1:9.2p1-2+deb12u7", "1:10.0p1-7"},
		{"libssl3t64", "amd64", "deb", "added", "", "3.5.1-1"},
		{"libssl3", "amd64", "deb", "removed", "3.0.17-1~deb12u2", ""},
		{"tzdata", "all", "deb", "changed architecture amd64 → all", "2025b-0+deb12u1", "2025b-0+deb12u1"},
	},
	"cross": {
		{"musl-utils (A: libc-bin)", "", "apk", "downgraded upstream 2.36 → 1.2.4", "2.36-9+deb12u14", "1.2.4-r1", "libc"},
		{"libssl3", "", "apk", "upgraded upstream 3.0.17 → 3.1.2", "3.0.17-1~deb12u2", "3.1.2-r0", "same-name"},
		{"zlib (A: zlib1g)", "", "apk", "same-upstream upstream 1.2.13 → 1.2.13", "1:1.2.13.dfsg-1", "1.2.13-r1", "source-name"},
		{"alpine-baselayout", "", "apk", "unmatched upstream 3.4.3", "", "3.4.3-r1", ""},
		{"base-files", "", "deb", "unmatched upstream 12.4", "12.4+deb12u15", "", ""},
	},
}

// TestImageHTMLFilesAndServices: every file and service row, as the
// dataset orders them.
func TestImageHTMLFilesAndServices(t *testing.T) {
	doc, _ := parseImageHTML(t, imageSame())
	files := tableRows(t, doc, "files")
	wantFiles := [][]string{
		{"/etc/default/useradd", "changed", "modified 0c9a2f11", "unchanged 5d1e8b30", "digest"},
		{"/etc/ssh/sshd_config", "changed", "modified 3b1fe0a2", "unchanged 77c0d1e4", "digest size"},
		{"/etc/sysctl.d/99-distroscope.conf", "removed", "not-owned 1a2b3c4d", "—", ""},
	}
	if !slices.EqualFunc(files, wantFiles, slices.Equal) {
		t.Errorf("files table\n %q\nwant\n %q", files, wantFiles)
	}
	services := tableRows(t, doc, "services")
	wantServices := [][]string{
		{"cron.service", "multi-user.target", "—", "enabled"},
		{"ssh.service", "multi-user.target", "disabled", "enabled"},
	}
	if !slices.EqualFunc(services, wantServices, slices.Equal) {
		t.Errorf("services table\n %q\nwant\n %q", services, wantServices)
	}
}

// settingCells reads the settings table: per program group, per row the
// key (with its topic tag), the condition, and each side's value, where
// and source.
func settingCells(t *testing.T, doc *html.Node) map[string][][]string {
	t.Helper()
	sec := byID(doc)["settings"]
	if sec == nil {
		t.Fatal("no #settings")
	}
	out := map[string][][]string{}
	for _, g := range elements(sec, "tbody", "group") {
		program := text(elements(g, "th", "program")[0])
		for _, tr := range elements(g, "tr", "setting") {
			var cells []string
			for c := tr.FirstChild; c != nil; c = c.NextSibling {
				if c.Type != html.ElementNode || c.Data != "td" {
					continue
				}
				if hasClass(c, "a") || hasClass(c, "b") {
					val, where := "", ""
					if v := elements(c, "div", "val"); len(v) > 0 {
						val = text(v[0])
					} else {
						val = text(c)
					}
					if w := elements(c, "div", "where"); len(w) > 0 {
						where = text(w[0])
					}
					cells = append(cells, val, where)
					continue
				}
				cells = append(cells, text(c))
			}
			out[program] = append(out[program], cells)
		}
	}
	return out
}

// wantImageSettings are the rows the settings table of imageSame shows,
// in order: program, key (with its topic), condition, and each side's
// value and "file:line · source", and the note.
func wantImageSettings() [][]string {
	return [][]string{
		{"pam", "auth", "common-auth",
			"[success=1 default=ignore] pam_unix.so nullok\nrequisite pam_deny.so", "/etc/pam.d/common-auth:17 · package",
			"[success=1 default=ignore] pam_unix.so nullok\nrequisite pam_deny.so\nrequired pam_permit.so", "/etc/pam.d/common-auth:17 · package", ""},
		{"sshd", "PasswordAuthentication", "User backup", "no", "/etc/ssh/sshd_config:131 · changed", "not set", "", ""},
		{"sshd", "PermitRootLogin", "", "no", "/etc/ssh/sshd_config:33 · changed", "prohibit-password", "/etc/ssh/sshd_config.d/50-cloud.conf:2 · image",
			"effective: no → without-password"},
		{"sysctl", "net.ipv4.ip_forward", "", "1", "/etc/sysctl.d/99-distroscope.conf:1 · image", "not set", "", ""},
		{"timezone", "timezone", "", "Etc/UTC", "/etc/localtime · image", "Europe/Berlin", "/etc/localtime · image", ""},
		{"useradd", "SHELL users.default_shell", "", "/bin/bash", "/etc/default/useradd:8 · changed", "/bin/sh", "builtin", ""},
	}
}

// TestImageHTMLSettings: settings grouped by program, each side's value
// with its file, line and source, a missing side "not set", a mapped
// topic labelled, a multi-valued setting kept one value a line.
func TestImageHTMLSettings(t *testing.T) {
	doc, _ := parseImageHTML(t, imageSame())
	got := settingCells(t, doc)
	want := map[string][][]string{}
	for _, r := range wantImageSettings() {
		want[r[0]] = append(want[r[0]], r[1:])
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("settings\n %q\nwant\n %q", got, want)
	}
	// groups in program order
	var programs []string
	for _, th := range elements(byID(doc)["settings"], "th", "program") {
		programs = append(programs, text(th))
	}
	if want := []string{"pam", "sshd", "sysctl", "timezone", "useradd"}; !slices.Equal(programs, want) {
		t.Errorf("groups %q, want %q", programs, want)
	}
}

// TestImageCutTables: with MaxRows 2 each table shows two rows (the
// settings' across their groups) and says how many there are and where.
func TestImageCutTables(t *testing.T) {
	d := imageSame()
	d.MaxRows = 2
	doc, _ := parseImageHTML(t, d)
	ids := byID(doc)
	for _, c := range []struct {
		id, csv string
		total   int
	}{
		{"packages", CSVImagePackages, 6}, {"files", CSVImageFiles, 3}, {"settings", CSVImageSettings, 6},
	} {
		shown := len(tableRows(t, doc, c.id))
		if shown != 2 {
			t.Errorf("#%s shows %d rows, want 2", c.id, shown)
		}
		if got := text(ids["rows-"+c.id]); got != strconv.Itoa(c.total) {
			t.Errorf("#rows-%s = %q, want every row: %d", c.id, got, c.total)
		}
		note := text(ids[c.id])
		if want := fmt.Sprintf("Showing the first 2 of %d rows; all of them are in %s.", c.total, c.csv); !strings.Contains(note, want) {
			t.Errorf("#%s does not say %q:\n%s", c.id, want, note)
		}
	}
	if got := text(ids["services"]); !strings.Contains(got, "2 rows (also in image-services.csv)") {
		t.Errorf("the services table is not cut but says:\n%s", got)
	}
	var md bytes.Buffer
	md.Write(renderImage(t, d)[FileImageMarkdown])
	if n := strings.Count(md.String(), "_Showing the first 2 of"); n != 3 {
		t.Errorf("the Markdown cuts %d tables, want 3:\n%s", n, md.String())
	}
}

// TestImageUnknownKind: a row of a kind the report does not know fails
// the rendering, naming it, instead of vanishing from every table.
func TestImageUnknownKind(t *testing.T) {
	d := imageSame()
	d.Diffs = append(d.Diffs, datasets.ImageDiffRow{Kind: "kernel", Key: "6.1"})
	_, err := RenderImageCompare(d)
	if err == nil || !strings.Contains(err.Error(), `"kernel"`) {
		t.Fatalf("err = %v, want one naming the kind", err)
	}
	if err := PrintImageCompare(new(bytes.Buffer), d); err == nil {
		t.Error("PrintImageCompare took the unknown kind")
	}
}

// hostileImage puts markup, quotes and Markdown wherever an image's text
// lands: the os-release name, a path, a setting's value and file, a
// package name, a rule.
func hostileImage() ImageData {
	d := imageCross()
	d.A.PrettyName = `</title><script>alert(2)</script>`
	d.Diffs = append(d.Diffs,
		pkgDiff(KindUnmatched, hostile, hostileQuote, "", "apk", `1.0"><img src=x onerror=alert(1)>`, "", hostileQuote, hostile),
		fileDiff(KindAdded, "/etc/<b>evil</b>|`x`", "", "not-owned", hostile),
		setting("changed", "sshd", "Banner", hostileQuote, hostile,
			sideValue{"<b>evil</b>\n*x*", "/etc/ssh/<i>d</i>", 3, hostileQuote}, sideValue{"~~y~~ [l](http://x)", "", 0, datasets.SourceBuiltin}))
	d.Diffs = sorted(d.Diffs...)
	return d
}

// TestImageHTMLEscapesHostileValues: markup and quotes stay text; the
// page stays self-contained with a Content Security Policy.
func TestImageHTMLEscapesHostileValues(t *testing.T) {
	for _, d := range []ImageData{imageSame(), hostileImage()} {
		doc, page := parseImageHTML(t, d)
		checkSelfContained(t, doc, strings.ReplaceAll(page, "http://x", "")) // the hostile link is text, checked below
		walk(doc, func(n *html.Node) {
			if n.Type == html.ElementNode && (n.Data == "b" || n.Data == "img" || n.Data == "i" || n.Data == "a") {
				t.Errorf("hostile text became a <%s> element", n.Data)
			}
		})
		if strings.Contains(page, "<script") {
			t.Error("page holds a raw <script")
		}
		csp := ""
		walk(doc, func(n *html.Node) {
			if n.Type == html.ElementNode && n.Data == "meta" && strings.EqualFold(attr(n, "http-equiv"), "content-security-policy") {
				csp = attr(n, "content")
			}
		})
		if !strings.HasPrefix(csp, "default-src 'none'") {
			t.Errorf("Content-Security-Policy %q, want one starting default-src 'none'", csp)
		}
	}
	doc, _ := parseImageHTML(t, hostileImage())
	ids := byID(doc)
	for id, want := range map[string][]string{
		"title":    {`</title><script>alert(2)</script>`},
		"packages": {hostile + " (A: " + hostileQuote + ")", `1.0"><img src=x onerror=alert(1)>`},
		"files":    {"/etc/<b>evil</b>|`x`"},
		"settings": {"<b>evil</b>\n*x*", "/etc/ssh/<i>d</i>:3", "~~y~~ [l](http://x)"},
	} {
		for _, s := range want {
			if !strings.Contains(text(ids[id]), s) {
				t.Errorf("#%s does not show %q as text", id, s)
			}
		}
	}
}

// TestImageMarkdownEscapesHostileValues: no value opens markup, a link,
// code or a new table cell or row in the Markdown.
func TestImageMarkdownEscapesHostileValues(t *testing.T) {
	page := string(renderImage(t, hostileImage())[FileImageMarkdown])
	// an unescaped character is one not preceded by a backslash; the
	// only markup is the <br> between a multi-valued setting's lines
	for _, raw := range []string{"<script", "<b>", "<i>", "<img", "](http", "~~y", "|`x", "*x*"} {
		if regexp.MustCompile(`(^|[^\\])` + regexp.QuoteMeta(raw)).MatchString(page) {
			t.Errorf("the Markdown holds %q unescaped", raw)
		}
	}
	if want := `\<b>evil\</b><br>\*x\*`; !strings.Contains(page, want) {
		t.Errorf("the Markdown lacks the multi-valued setting as %s", want)
	}
	checkMarkdownTables(t, page)
}

// mdSection is one "## " section of a Markdown page: its heading and its
// table rows (header and separator left out), per table.
type mdSection struct {
	Heading string
	Tables  [][]string
}

// mdSections splits a Markdown page into its sections and their tables.
func mdSections(page string) []mdSection {
	var out []mdSection
	inTable := false
	for line := range strings.SplitSeq(page, "\n") {
		switch {
		case strings.HasPrefix(line, "## "):
			out = append(out, mdSection{Heading: strings.TrimPrefix(line, "## ")})
			inTable = false
		case len(out) == 0:
		case strings.HasPrefix(line, "|"):
			s := &out[len(out)-1]
			if !inTable {
				s.Tables = append(s.Tables, nil)
				inTable = true
				continue // the header
			}
			if strings.HasPrefix(line, "| ---") {
				continue
			}
			s.Tables[len(s.Tables)-1] = append(s.Tables[len(s.Tables)-1], line)
		default:
			inTable = false
		}
	}
	return out
}

// unescapedPipe finds a cell separator: a "|" not escaped by a backslash.
var unescapedPipe = regexp.MustCompile(`(^|[^\\])\|`)

// checkMarkdownTables checks that every table row has as many cells as its
// header.
func checkMarkdownTables(t *testing.T, page string) {
	t.Helper()
	want := -1
	for line := range strings.SplitSeq(page, "\n") {
		if !strings.HasPrefix(line, "|") {
			want = -1
			continue
		}
		n := len(unescapedPipe.FindAllString(line, -1))
		if want < 0 {
			want = n
		} else if n != want {
			t.Errorf("table row with %d separators, its header has %d: %s", n, want, line)
		}
	}
}

// TestImageMarkdownStructure: the Markdown has the page's sections in
// order, each table as many rows as the rows it stands for (settings:
// one table per program), and its counts table the page's numbers.
func TestImageMarkdownStructure(t *testing.T) {
	for _, s := range imageSamples {
		t.Run(s.name, func(t *testing.T) {
			d := s.data()
			page := string(renderImage(t, d)[FileImageMarkdown])
			checkMarkdownTables(t, page)
			secs := mdSections(page)
			var headings []string
			for _, sec := range secs {
				headings = append(headings, sec.Heading)
			}
			if want := []string{"The two images", "Packages", "Configuration files", "Settings", "Services enabled at boot"}; !slices.Equal(headings, want) {
				t.Fatalf("sections %q, want %q", headings, want)
			}
			rows := func(sec mdSection) int {
				n := 0
				for _, tb := range sec.Tables {
					n += len(tb)
				}
				return n
			}
			if got, want := len(secs[0].Tables[0]), 12; got != want {
				t.Errorf("the headline has %d lines, want %d", got, want)
			}
			numbers := expectedImageNumbers(d)
			for _, c := range []struct {
				sec  int
				kind string
			}{{1, "packages"}, {2, "files"}, {3, "settings"}, {4, "services"}} {
				if got := rows(secs[c.sec]); int64(got) != numbers["count-"+c.kind] {
					t.Errorf("%s: %d table rows, want %d", c.kind, got, numbers["count-"+c.kind])
				}
			}
			programs := map[string]bool{}
			for _, r := range rowsOf(d, datasets.DiffSetting) {
				programs[r.Program] = true
			}
			if got := strings.Count(page, "\n### "); got != len(programs) {
				t.Errorf("%d setting groups, want one per program: %d", got, len(programs))
			}
			counts := secs[0].Tables[1]
			if len(counts) == 0 {
				t.Fatal("no counts table")
			}
			total := strconv.FormatInt(numbers["count-packages"], 10)
			if counts[0] != "| packages differ | "+total+" |" {
				t.Errorf("first count %q, want %s packages", counts[0], total)
			}
		})
	}
}

// imageGolden names a golden file of the image report.
func imageGolden(name string) string { return filepath.Join("image", name+".golden") }

// TestImageGolden: each sample's Markdown and terminal summary, byte for
// byte (go test ./analysis/report -update rewrites them).
func TestImageGolden(t *testing.T) {
	for _, s := range imageSamples {
		t.Run(s.name, func(t *testing.T) {
			golden(t, imageGolden(s.name+".md"), renderImage(t, s.data())[FileImageMarkdown])
			var b bytes.Buffer
			if err := PrintImageCompare(&b, s.data()); err != nil {
				t.Fatal(err)
			}
			golden(t, imageGolden(s.name+".print.txt"), b.Bytes())
		})
	}
}

// TestImageNoStaleGoldenFiles: each golden file in testdata/image is one
// TestImageGolden compares.
func TestImageNoStaleGoldenFiles(t *testing.T) {
	compared := map[string]bool{}
	for _, s := range imageSamples {
		compared[imageGolden(s.name+".md")] = true
		compared[imageGolden(s.name+".print.txt")] = true
	}
	files, err := filepath.Glob(filepath.Join("testdata", "image", "*.golden"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(compared) {
		t.Errorf("testdata/image has %d golden files, the tests compare %d", len(files), len(compared))
	}
	for _, f := range files {
		if rel, _ := filepath.Rel("testdata", f); !compared[rel] {
			t.Errorf("%s is compared by no test: remove it", f)
		}
	}
}

// TestPrintImageCompare: the headline side by side with differing lines
// marked, the counts, every downgrade and the settings that differ.
func TestPrintImageCompare(t *testing.T) {
	d := imageSame()
	var b bytes.Buffer
	if err := PrintImageCompare(&b, d); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	lines := strings.Split(out, "\n")
	if lines[0] != "Debian GNU/Linux 12 (bookworm) vs Debian GNU/Linux 13 (trixie)" {
		t.Errorf("first line %q", lines[0])
	}
	for _, want := range [][]string{
		{"*", "time", "zone", "Etc/UTC", "Europe/Berlin"},
		{"locale", "(LANG)", "C.UTF-8", "C.UTF-8"},
		{"libcap2", "1:2.66-4+deb12u1", "→", "1:2.66-4"},
		{"sshd", "PermitRootLogin", "no", "prohibit-password"},
		{"sysctl", "net.ipv4.ip_forward", "1", "-"},
	} {
		if !slices.ContainsFunc(lines, func(l string) bool { return slices.Equal(strings.Fields(l), want) }) {
			t.Errorf("no line %q in:\n%s", want, out)
		}
	}
	if !strings.Contains(out, "packages: 6 differ (1 added, 1 removed, 2 upgraded, 1 downgraded, 1 changed); configuration files: 3; settings: 6; services: 2") {
		t.Errorf("no counts line in:\n%s", out)
	}
	if !strings.Contains(out, "Settings that differ (6 of 6; all in csv/image-settings.csv)") {
		t.Errorf("no settings heading in:\n%s", out)
	}
}

// TestPrintImageCompareEscapesControls: a value cannot send escape
// sequences to the terminal or break the columns.
func TestPrintImageCompareEscapesControls(t *testing.T) {
	d := imageSame()
	d.Diffs = append(d.Diffs, setting("changed", "sshd", "Banner", "", "", sideValue{Value: "evil\x1b[2J\rbanner"}, sideValue{Value: "a\tb"}))
	var b bytes.Buffer
	if err := PrintImageCompare(&b, d); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if strings.ContainsAny(out, "\x1b\r") {
		t.Errorf("output holds a control character:\n%q", out)
	}
	if !strings.Contains(out, `evil\x1b[2J\rbanner`) || !strings.Contains(out, `a\tb`) {
		t.Errorf("output does not show the values escaped:\n%s", out)
	}
}

// TestImageDoesNotChangeData: rendering sorts its own copies; the
// caller's rows keep their order.
func TestImageDoesNotChangeData(t *testing.T) {
	d := imageCross()
	before := imageCross()
	if _, err := RenderImageCompare(d); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(d.Diffs, before.Diffs) {
		t.Error("RenderImageCompare changed the caller's rows")
	}
}
