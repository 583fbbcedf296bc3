package report

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/distroscope/distroscope/internal/testenv"
)

// openTrendsPage renders d's trends report and loads its page in a new
// headless Chromium, as openPage does for a comparison's report (its
// browser flags are the same; only what it renders differs).
func openTrendsPage(t *testing.T, d TrendsData) *page {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a browser")
	}
	exe := testenv.Require(t, testenv.Chromium)
	dir := t.TempDir()
	files, err := RenderTrends(d)
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

	return openFile(t, exe, filepath.Join(dir, FileTrendsHTML))
}

// drawnChart is what the browser shows of one chart.
type drawnChart struct {
	ID            string
	Width, Height float64
	// Marks is, per series of a line chart, the markers with a non-empty
	// box; for a bar chart one count, the bars.
	Marks []int
	// Vertices is, per series of a line chart, its path's points as the
	// browser's SVG DOM parses them; its rendered length says it shows.
	Vertices []int
	Length   []float64
	Rows     int // rows of the table of numbers
}

// drawnCharts measures every chart in the page through the DOM.
func drawnCharts(p *page) []drawnChart {
	return evaluate[[]drawnChart](p, `Array.from(document.querySelectorAll('figure[id^="chart-"]')).map(fig => {
		const svg = fig.querySelector('svg.chart'), box = svg.getBoundingClientRect();
		const shown = e => { const b = e.getBoundingClientRect(); return b.width > 0 && b.height > 0; };
		const bars = svg.querySelector('g.bars');
		const paths = Array.from(svg.querySelectorAll('g.lines > path'));
		return {
			ID: fig.id, Width: box.width, Height: box.height,
			Marks: bars ? [Array.from(bars.querySelectorAll('g.bar')).filter(g => g.querySelector('rect') === null || shown(g)).length]
				: Array.from(svg.querySelectorAll('g.points')).map(g => Array.from(g.querySelectorAll('circle')).filter(shown).length),
			Vertices: paths.map(path => (path.getAttribute('d').match(/[ML]/g) || []).length),
			Length: paths.map(path => path.getTotalLength()),
			Rows: document.querySelectorAll('#' + fig.id + '-numbers tbody tr').length,
		};
	})`)
}

// TestTrendsBrowser loads trends reports in headless Chromium: no console
// error (the page's Content Security Policy would report any load it
// blocked), nothing fetched, every chart drawn at a real size with one
// visible mark per point per series, and the table of numbers beside it.
// The fixture's screenshot is kept.
func TestTrendsBrowser(t *testing.T) {
	zero := trendsFixture()
	for i := range zero.Points {
		r := &zero.Points[i].Row
		r.Packages, r.BinaryNames, r.Sources, r.LagMatched, r.LagOutdated = 0, 0, 0, 0, 0
	}
	for _, c := range []struct {
		name string
		d    TrendsData
		keep bool // the screenshot, as testdata/trends/screenshot.png
	}{
		{"fixture", trendsFixture(), true},
		{"one point", withPoints(trendPoints(1)), false},
		{"a year", withPoints(trendPoints(365)), false},
		{"hostile", hostileTrends(), false},
		{"all zero", zero, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := openTrendsPage(t, c.d)
			charts := drawnCharts(p)
			// every resource the page loaded: itself only
			loaded := evaluate[[]string](p, `performance.getEntriesByType('resource').map(e => e.name)`)
			title := p.text("title")
			outdated := p.text("rows-outdated")
			p.finishTrends(c.keep)

			if len(loaded) != 0 {
				t.Errorf("the page loaded %q", loaded)
			}
			if title != "Trends of "+c.d.Distro+"/"+c.d.Release {
				t.Errorf("title %q", title)
			}
			if outdated != strconv.Itoa(len(c.d.Lag)) {
				t.Errorf("#rows-outdated = %q, want %d", outdated, len(c.d.Lag))
			}
			n := len(c.d.Points)
			if len(charts) != len(trendCharts) {
				t.Fatalf("the browser shows %d charts, want %d", len(charts), len(trendCharts))
			}
			for i, spec := range trendCharts {
				ch := charts[i]
				if ch.ID != "chart-"+spec.ID {
					t.Errorf("chart %d is %s, want chart-%s", i, ch.ID, spec.ID)
					continue
				}
				if ch.Width < 400 || ch.Height < 100 {
					t.Errorf("%s is %vx%v px: not drawn", ch.ID, ch.Width, ch.Height)
				}
				if ch.Rows != n {
					t.Errorf("%s: %d rows of numbers, want %d", ch.ID, ch.Rows, n)
				}
				if spec.Bars {
					if len(ch.Marks) != 1 || ch.Marks[0] != n {
						t.Errorf("%s: bars %v, want %d", ch.ID, ch.Marks, n)
					}
					continue
				}
				if len(ch.Marks) != len(spec.Series) || len(ch.Vertices) != len(spec.Series) {
					t.Errorf("%s: %d marker groups, %d paths, want %d of each", ch.ID, len(ch.Marks), len(ch.Vertices), len(spec.Series))
					continue
				}
				for s := range spec.Series {
					if ch.Marks[s] != n || ch.Vertices[s] != n {
						t.Errorf("%s %s: %d visible markers, %d path vertices, want %d", ch.ID, spec.Series[s].Key, ch.Marks[s], ch.Vertices[s], n)
					}
					if n > 1 && ch.Length[s] <= 0 {
						t.Errorf("%s %s: the line has no length", ch.ID, spec.Series[s].Key)
					}
				}
			}
		})
	}
}

// finishTrends closes the tab and fails the test on any console problem,
// as finish does; a kept screenshot is written to
// testdata/trends/screenshot.png under -update.
func (p *page) finishTrends(keep bool) {
	p.t.Helper()
	var shot []byte
	if keep {
		var err error
		if shot, err = chromedp.Run(p.ctx, chromedp.FullScreenshot(100)); err != nil {
			p.t.Fatal(err)
		}
	}
	p.closeTab()
	<-p.collected
	for _, m := range p.problems {
		p.t.Errorf("browser console: %s", m)
	}
	if keep && *update {
		if err := os.WriteFile(filepath.Join("testdata", "trends", "screenshot.png"), shot, 0o644); err != nil {
			p.t.Fatal(err)
		}
	}
}
