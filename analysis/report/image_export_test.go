package report

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/distroscope/distroscope/datasets"
)

// CheckImagePageCrossDistro renders a cross-distro comparison of real
// trees and checks its page in headless Chromium: no console error, the
// cross-distro badge, every count as the diff's rows give it, every
// package row with A's name and its rule (the zlib pair with A's zlib1g
// by the zlib rule among them), the init systems of the comparison's
// summary, and each setting's file and line on the side that sets it.
//
// It is exported to the external test of image_real_test.go only (this
// is a _test file): that test needs analysis/imagecmp, which imports
// analysis/compare, which imports this package, so it cannot be an
// internal test, and the browser helpers are unexported.
func CheckImagePageCrossDistro(t *testing.T, d ImageData) {
	t.Helper()
	if !d.Summary.CrossDistro {
		t.Fatalf("not a cross-distro comparison: %+v", d.Summary)
	}
	pkgRows := rowsOf(d, datasets.DiffPackage)
	if len(pkgRows) > DefaultMaxRows {
		t.Fatalf("%d package rows: the table is cut, the test would see part of it", len(pkgRows))
	}
	p := openImagePage(t, d)
	for id, n := range expectedImageNumbers(d) {
		if got := p.text(id); got != strconv.FormatInt(n, 10) {
			t.Errorf("#%s shows %q in the browser, want %d", id, got, n)
		}
	}
	badge := p.text("cross-distro")
	packages := p.table("packages")
	initA, initB := p.text("head-init-a"), p.text("head-init-b")
	settings := evaluate[[][]string](p, `Array.from(document.querySelectorAll('#settings tbody.group')).flatMap(g => {
		const program = g.querySelector('th.program').innerText.trim();
		const where = td => (w => w ? w.innerText.trim() : '')(td.querySelector('.where'));
		return Array.from(g.querySelectorAll('tr.setting')).map(tr =>
			[program, tr.cells[0].innerText.trim(), tr.cells[1].innerText.trim(), where(tr.cells[2]), where(tr.cells[3])]);
	})`)
	p.closeTab()
	<-p.collected
	for _, m := range p.problems {
		t.Errorf("browser console: %s", m)
	}

	if badge != "cross-distro comparison" {
		t.Errorf("#cross-distro = %q", badge)
	}
	if len(packages) != len(pkgRows) {
		t.Errorf("the browser shows %d package rows, the diff has %d", len(packages), len(pkgRows))
	}
	zlib := slices.IndexFunc(packages, func(r []string) bool { return len(r) > 0 && r[0] == "zlib (A: zlib1g)" })
	if zlib < 0 || packages[zlib][len(packages[zlib])-1] != "zlib" {
		t.Errorf("no zlib row paired with A's zlib1g by the zlib rule in %q", packages)
	}
	for _, r := range pkgRows {
		name := r.Key
		if r.APackage != "" && r.APackage != r.Key {
			name += " (A: " + r.APackage + ")"
		}
		if !slices.ContainsFunc(packages, func(c []string) bool {
			return len(c) == 7 && c[0] == name && c[4] == r.AValue && c[5] == r.BValue && c[6] == r.Rule
		}) {
			t.Errorf("no row for %+v in the browser", r)
		}
	}
	if wantA, wantB := cmpOrDash(d.Summary.AInit), cmpOrDash(d.Summary.BInit); initA != wantA || initB != wantB {
		t.Errorf("init systems %q, %q in the browser, the comparison's %q, %q", initA, initB, wantA, wantB)
	}
	setRows := rowsOf(d, datasets.DiffSetting)
	if len(setRows) == 0 || len(settings) != len(setRows) {
		t.Fatalf("the browser shows %d setting rows, the diff has %d", len(settings), len(setRows))
	}
	lines := 0
	for _, r := range setRows {
		key := settingKey(&r)
		if r.Topic != "" {
			key += " " + r.Topic
		}
		i := slices.IndexFunc(settings, func(c []string) bool { return c[0] == r.Program && c[1] == key && c[2] == r.Condition })
		if i < 0 {
			t.Errorf("no setting row for %+v in the browser", r)
			continue
		}
		for _, side := range []struct {
			file  string
			line  int32
			shown string
		}{{r.AFile, r.ALine, settings[i][3]}, {r.BFile, r.BLine, settings[i][4]}} {
			if side.line > 0 {
				lines++
				if want := side.file + ":" + strconv.Itoa(int(side.line)); !strings.HasPrefix(side.shown, want) {
					t.Errorf("%s %s: shows %q, want %s", r.Program, key, side.shown, want)
				}
			}
		}
	}
	if lines == 0 {
		t.Error("no setting of either tree has a file and line")
	}
}

func cmpOrDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
