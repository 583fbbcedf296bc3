package report

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromium finds Debian's chromium (apt package "chromium"). Without it the
// browser test is skipped, except in CI, where a missing browser must not
// pass silently.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("report: chromium is not installed (apt-get install chromium); CI must run the browser test")
	}
	t.Skip("chromium is not installed (apt-get install chromium)")
	return ""
}

// TestBrowser renders the bookworm sample in headless Chromium over the
// DevTools protocol: the page must load with no console error, show the
// counts of the data and draw its charts; the screenshot is kept.
func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a browser")
	}
	exe := chromium(t)
	d := sampleData()
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	var b bytes.Buffer
	if err := HTML(&b, d); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(page, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
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
	defer cancelAlloc()
	ctx, cancelTab := chromedp.NewContext(ctx)
	defer cancelTab()

	// Console subscribes before the page loads; a goroutine collects
	// what it yields until the tab closes.
	messages := chromedp.Console(ctx)
	var problems []string
	collected := make(chan struct{})
	go func() {
		defer close(collected)
		for m, err := range messages {
			if err != nil {
				return
			}
			switch m.Type {
			case chromedp.ConsoleLog, chromedp.ConsoleType("info"), chromedp.ConsoleType("debug"):
			default: // error, warning, assert, exception, and whatever else
				problems = append(problems, string(m.Type)+": "+m.String())
			}
		}
	}()

	run := func(what string, a chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, a); err != nil {
			t.Fatalf("chromium: %s: %v", what, err)
		}
	}
	run("load the page", chromedp.Steps(chromedp.Navigate("file://"+page), chromedp.WaitReady("body")))
	want := expectedNumbers(d)
	for id, n := range want {
		got, err := chromedp.Run(ctx, chromedp.Text("#"+id))
		if err != nil {
			t.Fatalf("chromium: #%s: %v", id, err)
		}
		if strings.TrimSpace(got) != strconv.FormatInt(n, 10) {
			t.Errorf("#%s shows %q in the browser, want %d", id, got, n)
		}
	}
	title, err := chromedp.Run(ctx, chromedp.Title())
	if err != nil {
		t.Fatal(err)
	}
	chartWidth, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`document.querySelector('#chart-section svg').getBoundingClientRect().width`))
	if err != nil {
		t.Fatal(err)
	}
	bars, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#chart-section svg g.bar').length`))
	if err != nil {
		t.Fatal(err)
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	cancelTab()
	<-collected
	for _, p := range problems {
		t.Errorf("browser console: %s", p)
	}
	if !strings.Contains(title, d.Old.Release) {
		t.Errorf("title %q does not name the release", title)
	}
	if chartWidth < 100 {
		t.Errorf("section chart is %v px wide: not drawn", chartWidth)
	}
	if bars == 0 {
		t.Error("section chart has no bars")
	}
	if !bytes.HasPrefix(shot, []byte("\x89PNG")) {
		t.Fatalf("screenshot is not a PNG (%d bytes)", len(shot))
	}
	if err := os.WriteFile(filepath.Join(t.TempDir(), "screenshot.png"), shot, 0o644); err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(filepath.Join("testdata", "screenshot.png"), shot, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
