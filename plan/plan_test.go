package plan_test

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/distroscope/distroscope/plan"
	"github.com/distroscope/distroscope/repo/catalog"
)

func load(t *testing.T, name string) (*plan.Plan, error) {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return plan.Parse(f, name)
}

func testCatalog(t *testing.T) *catalog.Catalog {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "catalog.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c, err := catalog.Parse(f, "catalog.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestResolve: a plan resolves to its snapshots — a source's catalogue
// suites when it names none — and its comparisons, consecutive ones
// expanded in the order the suites are listed; Write prints the graph.
func TestResolve(t *testing.T) {
	p, err := load(t, "nightly.yaml")
	if err != nil {
		t.Fatal(err)
	}
	g, err := plan.Resolve(p, testCatalog(t))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, n := range g.Snapshots {
		names = append(names, n.Name)
	}
	if got, want := strings.Join(names, " "), "debian/bookworm debian/trixie alpine/v3.20 alpine/v3.21"; got != want {
		t.Errorf("snapshots %s, want %s", got, want)
	}
	want := []plan.Edge{{Old: "debian/bookworm", New: "debian/trixie"}, {Old: "alpine/v3.20", New: "alpine/v3.21"}, {Old: "debian/trixie", New: "alpine/v3.21"}}
	if len(g.Comparisons) != len(want) {
		t.Fatalf("comparisons %v, want %v", g.Comparisons, want)
	}
	for i := range want {
		if g.Comparisons[i] != want[i] {
			t.Errorf("comparison %d = %v, want %v", i, g.Comparisons[i], want[i])
		}
	}
	if p.Retention != 400*24*time.Hour {
		t.Errorf("retention %v", p.Retention)
	}
	var out bytes.Buffer
	g.Write(&out, time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC))
	for _, s := range []string{
		`plan nightly (nightly.yaml): cron "30 2 * * *" in Europe/Berlin, next run 2026-12-07T02:30:00+01:00`,
		"retention: 400 days (snapshots whose Release is older are removed, each release's newest kept; trends and comparisons stay)",
		"runs: the nightly's default child runs at once, each run ends within 21h36m0s, pause on failure: false",
		"  debian/trixie  (apt, http://127.0.0.1:1/debian)  → debian/bookworm → debian/trixie, debian/trixie → alpine/v3.21",
		"comparisons (3):",
	} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("Write does not say %q:\n%s", s, out.String())
		}
	}
}

// TestImages: a plan's image pairs are read with imageref's rules, a
// local path relative to the plan file (not to the directory the command
// runs in) and a bare one sniffed beside it; the graph keeps them in plan
// order and Write prints them.
func TestImages(t *testing.T) {
	dir := t.TempDir()
	data, err := os.ReadFile(filepath.Join("testdata", "images.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"rootfs/bookworm", "rootfs/trixie"} {
		if err := os.MkdirAll(filepath.Join(dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	file := filepath.Join(dir, "images.yaml")
	p, err := plan.Parse(bytes.NewReader(data), file)
	if err != nil {
		t.Fatal(err)
	}
	g, err := plan.Resolve(p, testCatalog(t))
	if err != nil {
		t.Fatal(err)
	}
	want := []plan.ImagePair{
		{A: "dir:" + filepath.Join(dir, "rootfs/bookworm"), B: "dir:" + filepath.Join(dir, "rootfs/trixie"), Label: "bookworm-vs-trixie", Line: 11},
		{A: "registry:example.org/library/debian:bookworm", B: "registry:example.org/library/debian:trixie", Platform: "linux/arm64", Probe: true, Line: 14},
		{A: "dir:/srv/rootfs/bookworm", B: "dir:/srv/rootfs/trixie", Line: 18},
	}
	if !reflect.DeepEqual(g.Images, want) {
		t.Errorf("images\n%+v\nwant\n%+v", g.Images, want)
	}
	for i, title := range []string{"image bookworm-vs-trixie",
		"image registry:example.org/library/debian:bookworm → registry:example.org/library/debian:trixie (linux/arm64, probe)",
		"image dir:/srv/rootfs/bookworm → dir:/srv/rootfs/trixie"} {
		if got := g.Images[i].Title(); got != title {
			t.Errorf("pair %d's title %q, want %q", i, got, title)
		}
	}
	var out bytes.Buffer
	g.Write(&out, time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC))
	for _, s := range []string{
		"images (3):\n",
		"  dir:" + filepath.Join(dir, "rootfs/bookworm") + " ⇄ dir:" + filepath.Join(dir, "rootfs/trixie") + "  (name bookworm-vs-trixie)\n",
		"  registry:example.org/library/debian:bookworm ⇄ registry:example.org/library/debian:trixie  (linux/arm64, probed)\n",
		"  dir:/srv/rootfs/bookworm ⇄ dir:/srv/rootfs/trixie\n",
	} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("Write does not say %q:\n%s", s, out.String())
		}
	}

	// Images need no snapshot: a plan of image pairs alone is one.
	p, err = plan.Parse(strings.NewReader("name: x\nschedule: {every: 24h}\nimages:\n  - {a: dir:/srv/a, b: dir:/srv/b}\n"), "x.yaml")
	if err != nil {
		t.Fatalf("a plan of images alone: %v", err)
	}
	if g, err := plan.Resolve(p, testCatalog(t)); err != nil || len(g.Images) != 1 || len(g.Snapshots) != 0 {
		t.Errorf("a plan of images alone resolves to %+v, %v", g, err)
	}
	_, err = plan.Parse(strings.NewReader("name: x\nschedule: {every: 24h}\n"), "x.yaml")
	if err == nil || !strings.Contains(err.Error(), "x.yaml line 1: the plan snapshots nothing and compares no images") {
		t.Errorf("a plan of nothing: %v", err)
	}
}

// TestImageMistakes: each mistake of an image pair is reported with its
// line, all at once.
func TestImageMistakes(t *testing.T) {
	_, err := plan.Parse(strings.NewReader(`name: x
schedule: {every: 24h}
images:
  - a: dir:/srv/a
  - a: dir:/srv/a
    b: dir:/srv/a
  - a: docker:debian:trixie
    b: ./no/such/tree
  - {a: dir:/srv/a, b: dir:/srv/b, platform: linux}
  - {a: dir:/srv/a, b: dir:/srv/b, probe: maybe}
  - {a: dir:/srv/a, b: dir:/srv/b, name: "a b"}
  - {a: dir:/srv/a, b: dir:/srv/b, plat: linux/arm64}
  - {a: dir:/srv/a, b: dir:/srv/c, name: one}
  - {a: dir:/srv/a, b: dir:/srv/c, name: two}
  - {a: dir:/srv/a, b: dir:/srv/d, name: one}
  - dir:/srv/a
images: []
`), "x.yaml")
	if err == nil {
		t.Fatal("the mistakes parsed")
	}
	for _, want := range []string{
		"x.yaml line 4: an image pair needs a and b",
		"x.yaml line 5: image pair dir:/srv/a ⇄ dir:/srv/a compares an image with itself",
		`x.yaml line 7: a: imageref: "docker:debian:trixie": the docker: scheme reads from a container daemon`,
		`x.yaml line 8: b: imageref: "./no/such/tree": no such file or directory`,
		`x.yaml line 9: platform "linux": want os/arch or os/arch/variant`,
		"x.yaml line 10: probe must be true or false",
		`x.yaml line 11: image pair name "a b": letters, digits`,
		`x.yaml line 12: unknown key "plat" in an image pair`,
		"x.yaml line 14: image pair dir:/srv/a ⇄ dir:/srv/c is already compared at line 13",
		`x.yaml line 15: image pair name "one" is already given at line 13`,
		"x.yaml line 16: an image pair must be a mapping of keys",
		`x.yaml line 17: "images" is already given at line 3`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the errors do not say %q:\n%v", want, err)
		}
	}
	// Pairs that differ in platform or probe are other comparisons.
	if _, err := plan.Parse(strings.NewReader(`name: x
schedule: {every: 24h}
images:
  - {a: dir:/srv/a, b: dir:/srv/b}
  - {a: dir:/srv/a, b: dir:/srv/b, probe: true}
  - {a: dir:/srv/a, b: dir:/srv/b, platform: linux/arm64}
  - {a: dir:/srv/b, b: dir:/srv/a}
`), "x.yaml"); err != nil {
		t.Errorf("distinct pairs refused: %v", err)
	}
}

// TestMistakes: every mistake of a plan is reported at once, each naming
// the file and its line — unknown keys, unknown sources, comparisons of
// suites the plan does not snapshot, a date that never comes, a retention
// that is not one.
func TestMistakes(t *testing.T) {
	p, err := load(t, "mistakes.yaml")
	if err == nil {
		_, err = plan.Resolve(p, testCatalog(t))
	}
	if err == nil {
		t.Fatal("mistakes.yaml parsed and resolved")
	}
	for _, want := range []string{
		`mistakes.yaml line 3: cron "0 0 30 2 *" never runs`,
		`mistakes.yaml line 4: unknown key "time_zon" in the schedule`,
		`mistakes.yaml line 7: unknown key "suits" in a snapshot`,
		`mistakes.yaml line 15: retention "forever": want a number of days`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the errors do not say %q:\n%v", want, err)
		}
	}
	// The parse mistakes stop it before the catalogue's are looked for;
	// those are found once the file parses.
	p, err = plan.Parse(strings.NewReader(`name: x
schedule: {every: 24h}
snapshots:
  - source: debian
    suites: [bookworm, trixie]
  - source: fedora
comparisons:
  - from: debian/bookworm
    to: debian/sid
  - consecutive: alpine
  - from: debian/trixie
    to: debian/trixie
  - consecutive: debian
  - from: debian/bookworm
    to: debian/trixie
`), "x.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, err = plan.Resolve(p, testCatalog(t))
	for _, want := range []string{
		`x.yaml line 6: no catalogue source "fedora"`,
		`x.yaml line 8: comparison debian/bookworm → debian/sid: the plan does not snapshot debian/sid`,
		`x.yaml line 10: consecutive alpine: the plan snapshots 0 suites of it`,
		`x.yaml line 11: comparison debian/trixie → debian/trixie compares a snapshot with itself`,
		`x.yaml line 14: comparison debian/bookworm → debian/trixie is already made at line 13`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("the errors do not say %q:\n%v", want, err)
		}
	}
}

// TestSchedules: intervals count from the epoch, with their offset, as
// Temporal's do; a cron runs in its time zone; impossible ones are refused.
func TestSchedules(t *testing.T) {
	p, err := load(t, "interval.yaml")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 6, 13, 0, 0, 0, time.UTC)
	if got, want := p.Schedule.Next(now), time.Date(2026, 12, 6, 18, 30, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("every 6h offset 30m: next after %v = %v, want %v", now, got, want)
	}
	for _, tc := range []struct{ schedule, want string }{
		{`{cron: "61 * * * *"}`, `cron "61 * * * *"`},
		{`{cron: "0 2 * * *", every: 24h}`, "the schedule is either cron or every"},
		{`{every: 10m}`, "every 10m0s: a plan's runs are at least an hour apart"},
		{`{every: 24h, offset: 25h}`, "offset 25h0m0s must be less than every"},
		{`{cron: "0 2 * * *", time_zone: Mars/Olympus}`, `time_zone "Mars/Olympus"`},
		{`{}`, "the schedule needs cron or every"},
		{`{cron: "0 2 1 * MON"}`, `cron "0 2 1 * MON" restricts both the day of the month and the day of the week`},
	} {
		_, err := plan.Parse(strings.NewReader("name: x\nschedule: "+tc.schedule+"\nsnapshots: [{source: debian}]\n"), "x.yaml")
		if err == nil || !strings.Contains(err.Error(), "x.yaml line 2: "+tc.want) {
			t.Errorf("schedule %s: %v, want %q", tc.schedule, err, tc.want)
		}
	}
}

// TestRunLimits: a run's timeout is shorter than the time between two runs
// — nine tenths of the shortest, by default —
// and what bounds a run is checked with its line.
func TestRunLimits(t *testing.T) {
	p, err := load(t, "nightly.yaml") // 02:30 daily in Europe/Berlin
	if err != nil {
		t.Fatal(err)
	}
	// 02:30 comes twice the night clocks go back; it is one run, not two
	// an hour apart.
	if got, want := p.Schedule.Interval(), 24*time.Hour; got != want {
		t.Errorf("the shortest interval of a daily cron in Berlin = %v, want %v", got, want)
	}
	if got, want := p.ExecutionTimeout(), 24*time.Hour*9/10; got != want {
		t.Errorf("ExecutionTimeout = %v, want %v", got, want)
	}
	for _, tc := range []struct{ extra, want string }{
		{"timeout: 6h\n", "x.yaml line 1: timeout 6h0m0s must be shorter than the 6h0m0s between two runs"},
		{"concurrency: 0\n", "x.yaml line 4: concurrency must be a whole number from 1 to 256"},
		{"pause_on_failure: maybe\n", "x.yaml line 4: pause_on_failure must be true or false"},
	} {
		_, err := plan.Parse(strings.NewReader("name: x\nschedule: {every: 6h}\nsnapshots: [{source: debian}]\n"+tc.extra), "x.yaml")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.extra, err, tc.want)
		}
	}
	_, err = plan.Parse(strings.NewReader("name: a/b\nschedule: {every: 6h}\nsnapshots: [{source: debian}]\n"), "x.yaml")
	if err == nil || !strings.Contains(err.Error(), `name "a/b": letters, digits`) {
		t.Errorf("a name with a slash: %v", err)
	}
	p, err = plan.Parse(strings.NewReader("name: x\nschedule: {every: 6h}\nsnapshots: [{source: debian}]\ntimeout: 5h\nconcurrency: 3\npause_on_failure: true\n"), "x.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if p.ExecutionTimeout() != 5*time.Hour || p.Concurrency != 3 || !p.PauseOnFailure {
		t.Errorf("timeout %v, concurrency %d, pause on failure %t; want 5h, 3, true", p.ExecutionTimeout(), p.Concurrency, p.PauseOnFailure)
	}
}

// TestExamplePlan: the example the README names parses (its sources are
// the catalogue of the machine it runs on, so only parsing is checked).
func TestExamplePlan(t *testing.T) {
	f, err := os.Open(filepath.Join("..", "docs", "nightly.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := plan.Parse(f, "docs/nightly.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "nightly" || len(p.Snapshots) != 1 || len(p.Comparisons) != 1 || p.Concurrency != 4 {
		t.Errorf("the example plan reads as %+v", p)
	}
}

// FuzzParse: whatever the file holds, Parse returns a plan or errors —
// never panics — and a plan it returns has what every plan needs.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"nightly.yaml", "mistakes.yaml", "interval.yaml", "images.yaml"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := plan.Parse(bytes.NewReader(data), "fuzz.yaml")
		if err != nil {
			return
		}
		if p.Name == "" || len(p.Snapshots)+len(p.Images) == 0 || (p.Schedule.Cron == "" && p.Schedule.Every == 0) || p.Schedule.Location == nil {
			t.Fatalf("a plan without what every plan needs: %+v", p)
		}
		for _, pair := range p.Images {
			if pair.A == "" || pair.B == "" || pair.A == pair.B {
				t.Fatalf("an image pair without two images: %+v", pair)
			}
		}
	})
}
