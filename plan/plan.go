// Package plan reads a nightly plan: which catalogue sources and suites to
// snapshot, which comparisons to make, when to run and how long to keep
// snapshots. It is plain Go — the schedules and the nightly workflow are
// built from a Plan, and `distroscope plan check` prints what one resolves
// to — so a mistake in the file is found, with its line, before anything
// runs.
package plan

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron"
	"gopkg.in/yaml.v3"

	"github.com/distroscope/distroscope/internal/imageref"
	"github.com/distroscope/distroscope/repo/catalog"
)

// MaxSize bounds a plan file: a plan of hundreds of sources is some tens
// of KB.
const MaxSize = 4 << 20

// Plan is one plan file, as written.
type Plan struct {
	File        string
	Name        string
	Schedule    Schedule
	Snapshots   []Snapshot
	Comparisons []Comparison
	// Images are pairs of images to compare; they need no snapshot.
	Images []ImagePair
	// Retention is how long snapshots are kept; 0 keeps them all.
	Retention time.Duration
	// Concurrency is how many child runs (snapshots, comparisons) a run
	// keeps going at once; 0 is the nightly's default.
	Concurrency int
	// Timeout bounds one run; 0 is ExecutionTimeout's default, nine tenths
	// of the shortest interval between two runs.
	Timeout time.Duration
	// PauseOnFailure pauses the schedule after a failed run, until
	// someone unpauses it.
	PauseOnFailure bool
	Line           map[string]int // the line of each top-level key
}

// Schedule says when the plan runs: a cron expression (five fields, as
// Temporal's schedules take them) or an interval with an offset, in a
// time zone.
type Schedule struct {
	Cron     string
	Every    time.Duration
	Offset   time.Duration
	TimeZone string
	Location *time.Location
	Line     int
}

// Snapshot is a catalogue source and the suites of it to snapshot; no
// suites means the catalogue's.
type Snapshot struct {
	Source string
	Suites []string
	Line   int
}

// Comparison is one comparison between two snapshotted suites, each named
// SOURCE/SUITE, or every listed suite of a source against the next one
// (Consecutive).
type Comparison struct {
	Old, New    string
	Consecutive string
	Line        int
}

// ImagePair is two images to compare, A the baseline, each a reference
// as `distroscope image compare` takes it (scheme:value, a local path
// taken relative to the plan file), on one platform, optionally probed.
type ImagePair struct {
	A, B     string
	Platform string
	Probe    bool
	// Label names the pair in the night's record instead of its references.
	Label string
	Line  int
}

// Title names the pair in a night's outcomes: "image LABEL", or "image A →
// B" with the platform and probe when they are given, so that two pairs
// of the plan never share a title. The "image" prefix keeps a label from
// taking another stage's name ("retention", a snapshot's).
func (p ImagePair) Title() string {
	if p.Label != "" {
		return "image " + p.Label
	}
	s := "image " + p.A + " → " + p.B
	var extra []string
	if p.Platform != "" {
		extra = append(extra, p.Platform)
	}
	if p.Probe {
		extra = append(extra, "probe")
	}
	if len(extra) > 0 {
		s += " (" + strings.Join(extra, ", ") + ")"
	}
	return s
}

// Parse reads a plan. name labels errors ("plans/nightly.yaml line 7: …").
// Every mistake it finds is reported, each with its line.
func Parse(r io.Reader, name string) (*Plan, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("plan: %s: %w", name, err)
	}
	if len(data) > MaxSize {
		return nil, fmt.Errorf("plan: %s: larger than %d bytes", name, MaxSize)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("plan: %s: %w", name, err)
	}
	p := &Plan{File: name, Line: map[string]int{}}
	if len(bytes.TrimSpace(data)) == 0 || root.Kind != yaml.DocumentNode || len(root.Content) == 0 {
		return nil, fmt.Errorf("plan: %s: empty", name)
	}
	d := &decoder{file: name, dir: filepath.Dir(name)}
	top := root.Content[0]
	d.mapping(top, "the plan", map[string]func(k, v *yaml.Node){
		"name": func(k, v *yaml.Node) { p.Name = d.str(v, "name") },
		"schedule": func(k, v *yaml.Node) {
			p.Schedule = d.schedule(v)
		},
		"snapshots": func(k, v *yaml.Node) {
			for _, item := range d.seq(v, "snapshots") {
				s := Snapshot{Line: item.Line}
				d.mapping(item, "a snapshot", map[string]func(k, v *yaml.Node){
					"source": func(k, v *yaml.Node) { s.Source = d.str(v, "source") },
					"suites": func(k, v *yaml.Node) { s.Suites = d.strs(v, "suites") },
				}, nil)
				if s.Source == "" {
					d.fail(item, "a snapshot needs a source (a catalogue name)")
				}
				p.Snapshots = append(p.Snapshots, s)
			}
		},
		"comparisons": func(k, v *yaml.Node) {
			for _, item := range d.seq(v, "comparisons") {
				c := Comparison{Line: item.Line}
				d.mapping(item, "a comparison", map[string]func(k, v *yaml.Node){
					"from":        func(k, v *yaml.Node) { c.Old = d.str(v, "from") },
					"to":          func(k, v *yaml.Node) { c.New = d.str(v, "to") },
					"consecutive": func(k, v *yaml.Node) { c.Consecutive = d.str(v, "consecutive") },
				}, nil)
				switch {
				case c.Consecutive != "" && (c.Old != "" || c.New != ""):
					d.fail(item, "a comparison is either from/to or consecutive, not both")
				case c.Consecutive == "" && (c.Old == "" || c.New == ""):
					d.fail(item, "a comparison needs from and to (SOURCE/SUITE each), or consecutive: SOURCE")
				}
				p.Comparisons = append(p.Comparisons, c)
			}
		},
		"images": func(k, v *yaml.Node) {
			for _, item := range d.seq(v, "images") {
				p.Images = append(p.Images, d.imagePair(item))
			}
		},
		"retention":   func(k, v *yaml.Node) { p.Retention = d.days(v, "retention") },
		"concurrency": func(k, v *yaml.Node) { p.Concurrency = d.integer(v, "concurrency", 1, 256) },
		"timeout":     func(k, v *yaml.Node) { p.Timeout = d.duration(v, "timeout") },
		"pause_on_failure": func(k, v *yaml.Node) {
			if err := v.Decode(&p.PauseOnFailure); err != nil || v.Kind != yaml.ScalarNode {
				d.fail(v, "pause_on_failure must be true or false")
			}
		},
	}, p.Line)
	if p.Name == "" {
		d.fail(top, "the plan needs a name")
	} else if !validName(p.Name) {
		d.fail(top, "name %q: letters, digits, '.', '_' and '-' only (it names the schedule, its runs and their records)", p.Name)
	}
	if p.Timeout > 0 && p.Schedule.Line > 0 {
		if iv := p.Schedule.Interval(); iv > 0 && p.Timeout >= iv {
			d.fail(top, "timeout %s must be shorter than the %s between two runs, or a slow night would overlap the next", p.Timeout, iv)
		}
	}
	if p.Schedule.Line == 0 {
		d.fail(top, "the plan needs a schedule (cron or every)")
	}
	// A plan of image pairs alone is a nightly too: images need no
	// snapshot (registry tags move; a nightly compares what they name).
	if len(p.Snapshots) == 0 && len(p.Images) == 0 {
		d.fail(top, "the plan snapshots nothing and compares no images")
	}
	d.distinctImages(p.Images)
	if err := errors.Join(d.errs...); err != nil {
		return nil, err
	}
	return p, nil
}

// decoder walks the node tree, collecting every mistake with its line.
type decoder struct {
	file string
	dir  string // the plan file's directory, which local image paths are relative to
	errs []error
}

// imagePair reads one item of images.
func (d *decoder) imagePair(item *yaml.Node) ImagePair {
	p := ImagePair{Line: item.Line}
	given := map[string]int{} // the line of each key given
	d.mapping(item, "an image pair", map[string]func(k, v *yaml.Node){
		"a":        func(k, v *yaml.Node) { p.A = d.imageRef(v, "a") },
		"b":        func(k, v *yaml.Node) { p.B = d.imageRef(v, "b") },
		"platform": func(k, v *yaml.Node) { p.Platform = d.platform(v) },
		"probe": func(k, v *yaml.Node) {
			if err := v.Decode(&p.Probe); err != nil || v.Kind != yaml.ScalarNode {
				d.fail(v, "probe must be true or false")
			}
		},
		"name": func(k, v *yaml.Node) {
			if p.Label = d.str(v, "name"); p.Label != "" && !validName(p.Label) {
				d.fail(v, "image pair name %q: letters, digits, '.', '_' and '-' only (it names the pair in the night's record)", p.Label)
				p.Label = ""
			}
		},
	}, given)
	if item.Kind == yaml.MappingNode && (given["a"] == 0 || given["b"] == 0) {
		d.fail(item, "an image pair needs a and b (an image reference each)")
	}
	if p.A != "" && p.A == p.B {
		d.fail(item, "image pair %s ⇄ %s compares an image with itself", p.A, p.B)
	}
	return p
}

// distinctImages refuses a pair given twice (the same references, platform
// and probe: one comparison, one workflow ID) and a name given to two pairs.
func (d *decoder) distinctImages(pairs []ImagePair) {
	type key struct {
		a, b, platform string
		probe          bool
	}
	seen := map[key]int{}
	labels := map[string]int{}
	for _, p := range pairs {
		if p.A == "" || p.B == "" {
			continue
		}
		k := key{p.A, p.B, p.Platform, p.Probe}
		if prev, dup := seen[k]; dup {
			d.errs = append(d.errs, fmt.Errorf("plan: %s line %d: image pair %s ⇄ %s is already compared at line %d", d.file, p.Line, p.A, p.B, prev))
			continue
		}
		seen[k] = p.Line
		if p.Label == "" {
			continue
		}
		if prev, dup := labels[p.Label]; dup {
			d.errs = append(d.errs, fmt.Errorf("plan: %s line %d: image pair name %q is already given at line %d", d.file, p.Line, p.Label, prev))
			continue
		}
		labels[p.Label] = p.Line
	}
}

// imageRef reads an image reference with imageref.Parse, as `distroscope
// image compare` does, and writes it scheme:value, so that what a bare
// path was sniffed to be is decided once, here. A relative local path is
// taken relative to the plan file, as the catalogue's keyrings are to the
// catalogue: a plan is read from wherever its commands run.
func (d *decoder) imageRef(n *yaml.Node, key string) string {
	s := d.str(n, key)
	if s == "" {
		return ""
	}
	in := s
	if !hasScheme(s) && !filepath.IsAbs(s) {
		if _, err := os.Stat(filepath.Join(d.dir, s)); err == nil {
			in = filepath.Join(d.dir, s)
		}
	}
	ref, err := imageref.Parse(in)
	if err != nil {
		d.fail(n, "%s: %v", key, err)
		return ""
	}
	if ref.Scheme != imageref.SchemeRegistry && !filepath.IsAbs(ref.Value) {
		ref.Value = filepath.Join(d.dir, ref.Value)
	}
	return ref.String()
}

// hasScheme tells whether s starts with one of imageref's schemes.
func hasScheme(s string) bool {
	prefix, _, ok := strings.Cut(s, ":")
	if !ok {
		return false
	}
	switch imageref.Scheme(prefix) {
	case imageref.SchemeDir, imageref.SchemeFile, imageref.SchemeOCIDir, imageref.SchemeOCIArchive,
		imageref.SchemeDockerArchive, imageref.SchemeRegistry:
		return true
	}
	return false
}

// platform reads os/arch[/variant].
func (d *decoder) platform(n *yaml.Node) string {
	s := d.str(n, "platform")
	parts := strings.Split(s, "/")
	if s == "" {
		return ""
	}
	if len(parts) < 2 || len(parts) > 3 || slices.Contains(parts, "") {
		d.fail(n, "platform %q: want os/arch or os/arch/variant (linux/arm64)", s)
		return ""
	}
	return s
}

func (d *decoder) fail(n *yaml.Node, format string, args ...any) {
	d.errs = append(d.errs, fmt.Errorf("plan: %s line %d: %s", d.file, n.Line, fmt.Sprintf(format, args...)))
}

// mapping calls each key's function with its node; an unknown key, or one
// given twice, is a mistake. lines, when not nil, gets each key's line.
func (d *decoder) mapping(n *yaml.Node, what string, keys map[string]func(k, v *yaml.Node), lines map[string]int) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, "%s must be a mapping of keys", what)
		return
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		f, ok := keys[k.Value]
		if !ok {
			known := make([]string, 0, len(keys))
			for name := range keys {
				known = append(known, name)
			}
			slices.Sort(known)
			d.fail(k, "unknown key %q in %s (known: %s)", k.Value, what, strings.Join(known, ", "))
			continue
		}
		if prev, dup := seen[k.Value]; dup {
			d.fail(k, "%q is already given at line %d", k.Value, prev)
			continue
		}
		seen[k.Value] = k.Line
		if lines != nil {
			lines[k.Value] = k.Line
		}
		f(k, v)
	}
}

func (d *decoder) str(n *yaml.Node, key string) string {
	if n.Kind != yaml.ScalarNode || n.Value == "" {
		d.fail(n, "%s must be a non-empty string", key)
		return ""
	}
	return n.Value
}

func (d *decoder) seq(n *yaml.Node, key string) []*yaml.Node {
	if n.Kind != yaml.SequenceNode {
		d.fail(n, "%s must be a list", key)
		return nil
	}
	return n.Content
}

func (d *decoder) strs(n *yaml.Node, key string) []string {
	var out []string
	for _, item := range d.seq(n, key) {
		if s := d.str(item, key+" entries"); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func (d *decoder) duration(n *yaml.Node, key string) time.Duration {
	s := d.str(n, key)
	if s == "" {
		return 0
	}
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		d.fail(n, "%s %q: want a duration such as 24h or 90m", key, s)
		return 0
	}
	return v
}

func (d *decoder) integer(n *yaml.Node, key string, lo, hi int) int {
	v, err := strconv.Atoi(n.Value)
	if n.Kind != yaml.ScalarNode || err != nil || v < lo || v > hi {
		d.fail(n, "%s must be a whole number from %d to %d", key, lo, hi)
		return 0
	}
	return v
}

func validName(s string) bool {
	if len(s) > 100 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return false
		}
	}
	return s != "." && s != ".."
}

// days reads "400d" (days) or a Go duration of whole days.
func (d *decoder) days(n *yaml.Node, key string) time.Duration {
	s := d.str(n, key)
	if s == "" {
		return 0
	}
	if num, ok := strings.CutSuffix(s, "d"); ok {
		if v, err := strconv.Atoi(num); err == nil && v > 0 {
			return time.Duration(v) * 24 * time.Hour
		}
	}
	if v, err := time.ParseDuration(s); err == nil && v >= 24*time.Hour {
		return v
	}
	d.fail(n, "%s %q: want a number of days (400d), at least one", key, s)
	return 0
}

func (d *decoder) schedule(n *yaml.Node) Schedule {
	s := Schedule{Line: n.Line, TimeZone: "UTC"}
	d.mapping(n, "the schedule", map[string]func(k, v *yaml.Node){
		"cron":      func(k, v *yaml.Node) { s.Cron = d.str(v, "cron") },
		"every":     func(k, v *yaml.Node) { s.Every = d.duration(v, "every") },
		"offset":    func(k, v *yaml.Node) { s.Offset = d.duration(v, "offset") },
		"time_zone": func(k, v *yaml.Node) { s.TimeZone = d.str(v, "time_zone") },
	}, nil)
	loc, err := time.LoadLocation(s.TimeZone)
	if err != nil {
		d.fail(n, "time_zone %q: %v", s.TimeZone, err)
	}
	s.Location = loc
	switch {
	case s.Cron != "" && s.Every != 0:
		d.fail(n, "the schedule is either cron or every, not both")
	case s.Cron != "":
		if s.Offset != 0 {
			d.fail(n, "offset goes with every, not with cron")
		}
		sched, err := cron.ParseStandard(s.Cron)
		if f := strings.Fields(s.Cron); err == nil && len(f) == 5 && f[2] != "*" && f[2] != "?" && f[4] != "*" && f[4] != "?" {
			// Temporal runs such a schedule on days that match both, cron
			// on days that match either: the plan would say one thing and
			// the schedule do another.
			d.fail(n, "cron %q restricts both the day of the month and the day of the week; Temporal would run only on days matching both, cron on days matching either: restrict one", s.Cron)
		} else if err != nil {
			d.fail(n, "cron %q: %v (five fields: minute hour day-of-month month day-of-week)", s.Cron, err)
		} else if loc != nil && sched.Next(time.Date(2000, 1, 1, 0, 0, 0, 0, loc)).IsZero() {
			d.fail(n, "cron %q never runs (no such date)", s.Cron)
		}
	case s.Every != 0:
		if s.Every < time.Hour {
			d.fail(n, "every %s: a plan's runs are at least an hour apart", s.Every)
		}
		if s.Offset >= s.Every {
			d.fail(n, "offset %s must be less than every %s", s.Offset, s.Every)
		}
	default:
		d.fail(n, "the schedule needs cron or every")
	}
	return s
}

// Next is the schedule's first run after t.
func (s Schedule) Next(t time.Time) time.Time {
	if s.Cron != "" {
		sched, err := cron.ParseStandard(s.Cron)
		if err != nil {
			return time.Time{}
		}
		return sched.Next(t.In(s.Location))
	}
	if s.Every <= 0 {
		return time.Time{}
	}
	// Intervals count from the Unix epoch, as Temporal's do.
	n := t.Add(-s.Offset).Truncate(s.Every).Add(s.Every + s.Offset)
	return n.In(s.Location)
}

// Interval is the shortest time between two runs: Every, or for a cron
// expression the shortest gap among its runs over the coming year (a
// weekday-only schedule's is a day, not the weekend's three).
func (s Schedule) Interval() time.Duration {
	if s.Cron == "" {
		return s.Every
	}
	sched, err := cron.ParseStandard(s.Cron)
	if err != nil || s.Location == nil {
		return 0
	}
	var shortest time.Duration
	t := sched.Next(time.Date(2025, 1, 1, 0, 0, 0, 0, s.Location))
	for end := t.AddDate(1, 0, 0); !t.IsZero() && t.Before(end); {
		n := sched.Next(t)
		if n.IsZero() {
			break
		}
		if n.Format("2006-01-02 15:04") == t.Format("2006-01-02 15:04") {
			// The hour clocks go back comes twice; it is one run.
			t = n
			continue
		}
		if gap := n.Sub(t); shortest == 0 || gap < shortest {
			shortest = gap
		}
		t = n
	}
	return shortest
}

// ExecutionTimeout bounds one run: the plan's timeout, or nine tenths of
// the shortest interval, so that a run that hangs has ended before the
// next is due and the schedule's overlap buffer never holds more than one.
func (p *Plan) ExecutionTimeout() time.Duration {
	if p.Timeout > 0 {
		return p.Timeout
	}
	return p.Schedule.Interval() * 9 / 10
}

// String says the schedule as a person would.
func (s Schedule) String() string {
	if s.Cron != "" {
		return fmt.Sprintf("cron %q in %s", s.Cron, s.TimeZone)
	}
	if s.Offset != 0 {
		return fmt.Sprintf("every %s, offset %s", s.Every, s.Offset)
	}
	return "every " + s.Every.String()
}

// Graph is what a plan resolves to against a catalogue: the snapshots it
// takes and the comparisons between them.
type Graph struct {
	Plan        *Plan
	Snapshots   []Node
	Comparisons []Edge
	// Images are the plan's image pairs, as written: they need no
	// catalogue.
	Images []ImagePair
}

// Node is one snapshot: a catalogue source's suite.
type Node struct {
	Name  string // SOURCE/SUITE
	Entry catalog.Entry
	Suite string
}

// Edge is one comparison between two nodes.
type Edge struct{ Old, New string }

// Resolve checks p against the catalogue — every source exists, every
// comparison names suites the plan snapshots — and returns the graph.
// Every mistake is reported with its line.
func Resolve(p *Plan, cat *catalog.Catalog) (Graph, error) {
	g := Graph{Plan: p, Images: p.Images}
	var errs []error
	fail := func(line int, format string, args ...any) {
		errs = append(errs, fmt.Errorf("plan: %s line %d: %s", p.File, line, fmt.Sprintf(format, args...)))
	}
	nodes := map[string]int{} // name → the line that snapshots it
	suitesOf := map[string][]string{}
	for _, s := range p.Snapshots {
		e, ok := cat.Find(s.Source)
		if !ok {
			fail(s.Line, "no catalogue source %q (distroscope sources ls lists them)", s.Source)
			continue
		}
		suites := s.Suites
		if len(suites) == 0 {
			suites = e.Suites
		}
		if len(suites) == 0 {
			fail(s.Line, "source %q: the plan names no suites and neither does the catalogue", s.Source)
		}
		for _, suite := range suites {
			name := s.Source + "/" + suite
			if prev, dup := nodes[name]; dup {
				fail(s.Line, "%s is already snapshotted at line %d", name, prev)
				continue
			}
			nodes[name] = s.Line
			suitesOf[s.Source] = append(suitesOf[s.Source], suite)
			g.Snapshots = append(g.Snapshots, Node{Name: name, Entry: e, Suite: suite})
		}
	}
	edges := map[Edge]int{}
	add := func(line int, e Edge) {
		for _, side := range []string{e.Old, e.New} {
			if _, ok := nodes[side]; !ok {
				fail(line, "comparison %s → %s: the plan does not snapshot %s", e.Old, e.New, side)
				return
			}
		}
		if e.Old == e.New {
			fail(line, "comparison %s → %s compares a snapshot with itself", e.Old, e.New)
			return
		}
		if prev, dup := edges[e]; dup {
			fail(line, "comparison %s → %s is already made at line %d", e.Old, e.New, prev)
			return
		}
		edges[e] = line
		g.Comparisons = append(g.Comparisons, e)
	}
	for _, c := range p.Comparisons {
		if c.Consecutive == "" {
			add(c.Line, Edge{c.Old, c.New})
			continue
		}
		suites := suitesOf[c.Consecutive]
		if len(suites) < 2 {
			fail(c.Line, "consecutive %s: the plan snapshots %d suites of it, fewer than two", c.Consecutive, len(suites))
			continue
		}
		for i := 0; i+1 < len(suites); i++ {
			add(c.Line, Edge{c.Consecutive + "/" + suites[i], c.Consecutive + "/" + suites[i+1]})
		}
	}
	if err := errors.Join(errs...); err != nil {
		return Graph{}, err
	}
	return g, nil
}

// Write prints the graph: the plan, its schedule and next run, each
// snapshot and the comparisons that use it.
func (g Graph) Write(w io.Writer, now time.Time) {
	p := g.Plan
	fmt.Fprintf(w, "plan %s (%s): %s, next run %s\n", p.Name, p.File, p.Schedule, p.Schedule.Next(now).Format(time.RFC3339))
	if p.Retention > 0 {
		// datasets.Retain applies it: `distroscope retention`, and the
		// nightly after its snapshots.
		fmt.Fprintf(w, "retention: %d days (snapshots whose Release is older are removed, each release's newest kept; trends and comparisons stay)\n", int(p.Retention/(24*time.Hour)))
	} else {
		fmt.Fprintln(w, "retention: none (every snapshot is kept)")
	}
	conc := "the nightly's default"
	if p.Concurrency > 0 {
		conc = strconv.Itoa(p.Concurrency)
	}
	fmt.Fprintf(w, "runs: %s child runs at once, each run ends within %s, pause on failure: %t\n", conc, p.ExecutionTimeout(), p.PauseOnFailure)
	fmt.Fprintf(w, "snapshots (%d):\n", len(g.Snapshots))
	for _, n := range g.Snapshots {
		var uses []string
		for _, e := range g.Comparisons {
			if e.Old == n.Name || e.New == n.Name {
				uses = append(uses, e.Old+" → "+e.New)
			}
		}
		line := fmt.Sprintf("  %s  (%s, %s)", n.Name, n.Entry.Format, n.Entry.Mirror)
		if len(uses) > 0 {
			line += "  → " + strings.Join(uses, ", ")
		}
		fmt.Fprintln(w, line)
	}
	fmt.Fprintf(w, "comparisons (%d):\n", len(g.Comparisons))
	for _, e := range g.Comparisons {
		fmt.Fprintf(w, "  %s → %s\n", e.Old, e.New)
	}
	if len(g.Images) == 0 {
		return
	}
	fmt.Fprintf(w, "images (%d):\n", len(g.Images))
	for _, p := range g.Images {
		line := fmt.Sprintf("  %s ⇄ %s", p.A, p.B)
		var extra []string
		if p.Label != "" {
			extra = append(extra, "name "+p.Label)
		}
		if p.Platform != "" {
			extra = append(extra, p.Platform)
		}
		if p.Probe {
			extra = append(extra, "probed")
		}
		if len(extra) > 0 {
			line += "  (" + strings.Join(extra, ", ") + ")"
		}
		fmt.Fprintln(w, line)
	}
}
