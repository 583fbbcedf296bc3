package report

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/distroscope/distroscope/internal/testenv"
)

// openImagePage renders d's image comparison report and loads its page in
// a new headless Chromium, as openPage does for a release comparison.
func openImagePage(t *testing.T, d ImageData) *page {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a browser")
	}
	exe := testenv.Require(t, testenv.Chromium)
	dir := t.TempDir()
	files, err := RenderImageCompare(d)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		path := filepath.Join(dir, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return openFile(t, exe, filepath.Join(dir, FileImageHTML))
}

// TestImageBrowser loads both samples' pages in headless Chromium: no
// console error (the page's Content Security Policy reports any load it
// blocks), the headline and every section shown at a real size, every
// count equal to the rows it stands for, the packages as the rows give
// them — across distributions with each pair's rule and A's name — and a
// setting's row with each side's file and line. The screenshots are kept
// (testdata/image-*.screenshot.png under -update).
func TestImageBrowser(t *testing.T) {
	for _, s := range imageSamples {
		t.Run(s.name, func(t *testing.T) {
			d := s.data()
			p := openImagePage(t, d)
			for id, n := range expectedImageNumbers(d) {
				if got := p.text(id); got != strconv.FormatInt(n, 10) {
					t.Errorf("#%s shows %q in the browser, want %d", id, got, n)
				}
			}
			// every section is there and drawn: a box with a height
			sections := evaluate[map[string]float64](p, `Object.fromEntries(['title', 'headline', 'packages', 'files', 'settings', 'services']
				.map(id => [id, (e => e ? e.getBoundingClientRect().height : -1)(document.getElementById(id))]))`)
			headings := evaluate[[]string](p, `Array.from(document.querySelectorAll('h2')).map(h => h.innerText.trim())`)
			headline := p.table("headline")
			// the line that differs stands out
			timezone := evaluate[string](p, `getComputedStyle(document.querySelector('#head-timezone td')).backgroundColor`)
			packages := p.table("packages")
			settings := evaluate[[][]string](p, `Array.from(document.querySelectorAll('#settings tbody.group')).flatMap(g => {
				const program = g.querySelector('th.program').innerText.trim();
				const side = td => { const v = td.querySelector('.val'), w = td.querySelector('.where');
					return [v ? v.innerText : td.innerText.trim(), w ? w.innerText.trim() : '']; };
				return Array.from(g.querySelectorAll('tr.setting')).map(tr =>
					[program, tr.cells[0].innerText.trim(), tr.cells[1].innerText.trim(), ...side(tr.cells[2]), ...side(tr.cells[3]), tr.cells[4].innerText.trim()]);
			})`)
			// each pair's rule is drawn, not only in the DOM
			rules := evaluate[[]float64](p, `Array.from(document.querySelectorAll('#packages td.rule')).map(td => td.getBoundingClientRect().width)`)
			badge := evaluate[float64](p, `(e => e ? e.getBoundingClientRect().width : 0)(document.getElementById('cross-distro'))`)
			p.finish("image-" + s.name + ".screenshot.png")

			for id, h := range sections {
				if h <= 0 {
					t.Errorf("#%s is not drawn (height %v)", id, h)
				}
			}
			if want := []string{"The two images", "Packages", "Configuration files", "Settings", "Services enabled at boot"}; !slices.Equal(headings, want) {
				t.Errorf("sections %q, want %q", headings, want)
			}
			wantHead := []string{"distribution", d.A.PrettyName, d.B.PrettyName}
			if len(headline) == 0 || !slices.Equal(headline[0], wantHead) {
				t.Errorf("first headline line %q, want %q", headline, wantHead)
			}
			if timezone != "rgb(255, 244, 224)" && s.name == "same" {
				t.Errorf("the differing time zone line's background = %q, want rgb(255, 244, 224)", timezone)
			}
			if want := wantImagePackages[s.name]; !slices.EqualFunc(packages, want, slices.Equal) {
				t.Errorf("packages in the browser\n %q\nwant\n %q", packages, want)
			}
			if d.Summary.CrossDistro && (len(rules) != len(packages) || slices.Contains(rules, 0)) {
				t.Errorf("rule cells drawn %v wide, want one with a width per package row (%d)", rules, len(packages))
			}
			if (badge > 0) != d.Summary.CrossDistro {
				t.Errorf("cross-distro badge width %v, cross-distro %v", badge, d.Summary.CrossDistro)
			}
			if s.name != "same" {
				return
			}
			if want := wantImageSettings(); !slices.EqualFunc(settings, want, slices.Equal) {
				t.Errorf("settings in the browser\n %q\nwant\n %q", settings, want)
			}
			// the PermitRootLogin row names both sides' files and lines
			i := slices.IndexFunc(settings, func(r []string) bool { return r[1] == "PermitRootLogin" })
			if i < 0 || !strings.Contains(settings[i][4], "/etc/ssh/sshd_config:33") || !strings.Contains(settings[i][6], "/etc/ssh/sshd_config.d/50-cloud.conf:2") {
				t.Errorf("PermitRootLogin does not show both files and lines: %q", settings)
			}
		})
	}
}
