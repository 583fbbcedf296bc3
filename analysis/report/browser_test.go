package report

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/distroscope/distroscope/internal/testenv"
)

// page is one report open in a headless Chromium tab, driven over the
// DevTools protocol.
type page struct {
	t         *testing.T
	ctx       context.Context
	closeTab  context.CancelFunc
	collected chan struct{}
	problems  []string // console messages other than log, info and debug
}

// openPage renders d as HTML into a file and loads it in a new browser.
func openPage(t *testing.T, d Data) *page {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a browser")
	}
	exe := testenv.Require(t, testenv.Chromium)
	dir := t.TempDir()
	file := filepath.Join(dir, "report.html")
	var b bytes.Buffer
	if err := HTML(&b, d); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}

	return openFile(t, exe, file)
}

// openFile loads the page file in a new headless Chromium (exe), its
// console collected into the page's problems; the comparison's and the
// trends' reports share it.
func openFile(t *testing.T, exe, file string) *page {
	t.Helper()
	dir := filepath.Dir(file)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel)
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(filepath.Join(dir, "profile")),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1200, 900),
	)
	t.Cleanup(cancelAlloc)
	ctx, cancelTab := chromedp.NewContext(ctx)
	t.Cleanup(cancelTab)
	p := &page{t: t, ctx: ctx, closeTab: cancelTab, collected: make(chan struct{})}

	// Console subscribes before the page loads; a goroutine collects
	// what it yields until the tab closes.
	messages := chromedp.Console(ctx)
	go func() {
		defer close(p.collected)
		for m, err := range messages {
			if err != nil {
				return
			}
			switch m.Type {
			case chromedp.ConsoleLog, chromedp.ConsoleType("info"), chromedp.ConsoleType("debug"):
			default: // error, warning, assert, exception, and whatever else
				p.problems = append(p.problems, string(m.Type)+": "+m.String())
			}
		}
	}()
	if err := chromedp.Do(ctx, chromedp.Navigate("file://"+file), chromedp.WaitReady("body")); err != nil {
		t.Fatalf("chromium: load the page: %v", err)
	}
	return p
}

// text is the visible text of the element with the given id. It looks
// once rather than waiting for the element to appear (chromedp.Text
// waits), so that a page missing one fails at once instead of at the
// test's 90 s deadline.
func (p *page) text(id string) string {
	p.t.Helper()
	got := evaluate[*string](p, `(e => e ? e.innerText : null)(document.getElementById(`+strconv.Quote(id)+`))`)
	if got == nil {
		p.t.Errorf("chromium: the page has no #%s", id)
		return ""
	}
	return strings.TrimSpace(*got)
}

// evaluate runs a JavaScript expression in the page.
func evaluate[T any](p *page, js string) T {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[T](js))
	if err != nil {
		p.t.Fatalf("chromium: %s: %v", js, err)
	}
	return v
}

// table reads the body rows of the table inside the element with the
// given id as the browser renders them: each cell's visible text, blanks
// collapsed.
func (p *page) table(id string) [][]string {
	p.t.Helper()
	return evaluate[[][]string](p, `Array.from(document.querySelectorAll('#`+id+` tbody tr')).map(tr =>
		Array.from(tr.cells).map(td => td.innerText.replace(/\s+/g, ' ').trim()))`)
}

// checkNumbers compares every number of expectedNumbers with the page.
func (p *page) checkNumbers(d Data) {
	p.t.Helper()
	for id, n := range expectedNumbers(d) {
		if got := p.text(id); got != strconv.FormatInt(n, 10) {
			p.t.Errorf("#%s shows %q in the browser, want %d", id, got, n)
		}
	}
}

// finish takes a full-page screenshot, closes the tab, fails the test on
// any console problem and keeps the screenshot (as testdata/name under
// -update).
func (p *page) finish(name string) {
	p.t.Helper()
	shot, err := chromedp.Run(p.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.t.Fatal(err)
	}
	p.closeTab()
	<-p.collected
	for _, m := range p.problems {
		p.t.Errorf("browser console: %s", m)
	}
	if !bytes.HasPrefix(shot, []byte("\x89PNG")) {
		p.t.Fatalf("screenshot is not a PNG (%d bytes)", len(shot))
	}
	if err := os.WriteFile(filepath.Join(p.t.TempDir(), name), shot, 0o644); err != nil {
		p.t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(filepath.Join("testdata", name), shot, 0o644); err != nil {
			p.t.Fatal(err)
		}
	}
}

// TestBrowser renders the bookworm sample in headless Chromium over the
// DevTools protocol: the page must load with no console error, show the
// counts of the data, draw its charts and list every downgrade and the
// changed sources; the screenshot is kept.
func TestBrowser(t *testing.T) {
	d := sampleData()
	p := openPage(t, d)
	p.checkNumbers(d)
	title, err := chromedp.Run(p.ctx, chromedp.Title())
	if err != nil {
		t.Fatal(err)
	}
	chartWidth := evaluate[float64](p, `document.querySelector('#chart-section svg').getBoundingClientRect().width`)
	bars := evaluate[int](p, `document.querySelectorAll('#chart-section svg g.bar').length`)
	sources := p.table("source-changes")
	downgrades := p.table("downgrades")
	// the downgraded version stands out in the downgrade colour
	colour := evaluate[string](p, `getComputedStyle(document.querySelector('#downgrades tbody td.k-downgraded')).color`)
	p.finish("screenshot.png")

	if !strings.Contains(title, d.Old.Release) {
		t.Errorf("title %q does not name the release", title)
	}
	if chartWidth < 100 {
		t.Errorf("section chart is %v px wide: not drawn", chartWidth)
	}
	if bars == 0 {
		t.Error("section chart has no bars")
	}
	checkDowngrades(t, d, downgrades)
	if colour != "rgb(239, 108, 0)" {
		t.Errorf("downgraded version colour = %q, want the downgrade orange rgb(239, 108, 0)", colour)
	}
	want := wantSourceRows(d)
	if len(want) == 0 {
		t.Fatal("the sample has no changed source")
	}
	if len(sources) != len(want) {
		t.Fatalf("the browser shows %d source rows, want %d: %q", len(sources), len(want), sources)
	}
	for i := range want {
		if !slices.Equal(sources[i], want[i]) {
			t.Errorf("source row %d in the browser = %q, want %q", i, sources[i], want[i])
		}
	}
}

// checkDowngrades compares the downgrades table as the browser shows it
// with every downgraded pair of d.
func checkDowngrades(t *testing.T, d Data, got [][]string) {
	t.Helper()
	want := wantDowngradeRows(d)
	if len(want) == 0 {
		t.Fatal("the sample has no downgrade")
	}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("downgrades in the browser = %q, want %q", got, want)
	}
}

// TestBrowserCrossDistro renders the Debian → Alpine sample: the lag
// table must pair the old and new names and say which side is newer and
// by how much, the unmatched table must list the packages of either side
// no rule paired, the downgrades table the pairs whose new side is older,
// and the source section must say why it is empty.
func TestBrowserCrossDistro(t *testing.T) {
	d := crossData()
	if !d.Summary.CrossDistro {
		t.Fatal("the cross sample is not a cross-distro comparison")
	}
	p := openPage(t, d)
	p.checkNumbers(d)
	lag := p.table("lag")
	header := evaluate[[]string](p, `Array.from(document.querySelectorAll('#lag thead th')).map(th => th.innerText.trim())`)
	// the newer side is coloured: old in the removed colour, new in the
	// added one
	colours := evaluate[[]string](p, `['.newer-old', '.newer-new'].map(s => getComputedStyle(document.querySelector('#lag ' + s)).color)`)
	orphans := p.table("unmatched")
	sources := p.text("source-changes")
	hasSourceTable := evaluate[bool](p, `document.querySelector('#source-changes table') !== null`)
	downgrades := p.table("downgrades")
	p.finish("cross.screenshot.png")

	checkDowngrades(t, d, downgrades)

	wantHeader := []string{"debian package", "alpine package", "debian version", "alpine version", "upstream", "newer", "by"}
	if !slices.Equal(header, wantHeader) {
		t.Errorf("lag header = %q, want %q", header, wantHeader)
	}
	// musl against glibc is a major release behind (2.36 vs 1.2.4), the
	// largest lag; libssl3 a minor release ahead; zlib level.
	wantLag := [][]string{
		{"libc-bin", "musl-utils", "2.36-9+deb12u14", "1.2.4-r1", "2.36 vs 1.2.4", "old", "-1 major"},
		{"libssl3", "libssl3", "3.0.17-1~deb12u2", "3.1.2-r0", "3.0.17 vs 3.1.2", "new", "+1 minor"},
		{"zlib1g", "zlib", "1:1.2.13.dfsg-1", "1.2.13-r1", "1.2.13 vs 1.2.13", "same", "none"},
	}
	if len(lag) != len(wantLag) {
		t.Fatalf("lag table has %d rows in the browser, want %d: %q", len(lag), len(wantLag), lag)
	}
	for i := range wantLag {
		if !slices.Equal(lag[i], wantLag[i]) {
			t.Errorf("lag row %d = %q, want %q", i, lag[i], wantLag[i])
		}
	}
	if want := []string{"rgb(198, 40, 40)", "rgb(46, 125, 50)"}; !slices.Equal(colours, want) {
		t.Errorf("newer old/new colours = %q, want %q", colours, want)
	}
	// alpine-baselayout only Alpine has, base-files (essential) only
	// Debian: each shows one version.
	wantOrphans := [][]string{
		{"alpine-baselayout", "aarch64", "unmatched", "", "3.4.3-r1", "", ""},
		{"base-files essential", "aarch64", "unmatched", "12.4+deb12u15", "", "admin", "required"},
	}
	if len(orphans) != len(wantOrphans) {
		t.Fatalf("unmatched table has %d rows in the browser, want %d: %q", len(orphans), len(wantOrphans), orphans)
	}
	for i := range wantOrphans {
		if !slices.Equal(orphans[i], wantOrphans[i]) {
			t.Errorf("unmatched row %d = %q, want %q", i, orphans[i], wantOrphans[i])
		}
	}
	if hasSourceTable || !strings.Contains(sources, "not rolled up across distributions") {
		t.Errorf("source section = %q (table: %v), want one line saying why there is none", sources, hasSourceTable)
	}
}
