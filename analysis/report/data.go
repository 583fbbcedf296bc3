package report

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/version/upstream"
)

// DefaultMaxRows is how many rows a table shows in HTML and Markdown when
// Data.MaxRows is zero.
const DefaultMaxRows = 500

// DefaultMaxJumps is how many version jumps LargestJumps keeps when Data
// leaves Jumps nil.
const DefaultMaxJumps = 50

// The kinds of datasets.PackageChangeRow.Kind.
const (
	KindAdded      = "added"
	KindRemoved    = "removed"
	KindUpgraded   = "upgraded"
	KindDowngraded = "downgraded"
	KindSame       = "same"
	KindUnmatched  = "unmatched"
)

// Data is everything one report shows.
type Data struct {
	Old, New datasets.Partition // the two snapshots compared
	Summary  datasets.CompareSummaryRow
	// Changes are the comparison's package_changes rows, in the order the
	// tables should list them (the dataset's order: by package).
	Changes []datasets.PackageChangeRow
	// Sources are the comparison's source_changes rows, one per source
	// package, by name. Cross-distro comparisons have none: their two
	// sides name sources in different schemes.
	Sources []datasets.SourceChangeRow
	// Format is the repository format of the old snapshot ("deb", "rpm",
	// "apk", "alpm"), used to find upstream versions for Jumps when rows
	// carry none. Empty means the versions are taken as they are.
	Format string
	// Jumps are the largest version jumps. Nil means LargestJumps(Changes,
	// Format, DefaultMaxJumps); an empty non-nil slice shows none.
	Jumps []Jump
	// Lag is the cross-distro version lag table. Nil means
	// VersionLag(Changes) when Summary.CrossDistro, else no table.
	Lag []Lag
	// MaxRows caps the rows shown per table in HTML and Markdown (CSV has
	// all of them); zero means DefaultMaxRows.
	MaxRows int
	// CSVLocation, when set, tells readers where the CSV files are (an
	// object key prefix or folder); notes on cut tables name it.
	CSVLocation string
	// ChangesDataset, when set, is where every package pair is: the
	// package_changes Parquet file of the comparison.
	ChangesDataset string
}

// Jump is one package whose upstream version moved, and by how much.
type Jump struct {
	Package           string
	IndexArchitecture string
	Kind              string // upgraded or downgraded
	OldVersion        string
	NewVersion        string
	OldUpstream       string
	NewUpstream       string
	Distance
}

// Lag is one package pair of a cross-distro comparison: which side packages
// the newer upstream release, and by how much.
type Lag struct {
	Package     string // the new side's name
	OldPackage  string // the old side's name
	OldVersion  string
	NewVersion  string
	OldUpstream string
	NewUpstream string
	Newer       string // "old", "new" or "same"
	Distance
}

// Distance is how far apart two upstream versions are: the first version
// component that differs (0 major, 1 minor, 2 patch, ...) and, when both
// components are numbers, by how much.
type Distance struct {
	Component int   // index of the first differing component; -1 when equal
	Delta     int64 // new minus old at Component; 0 when not both numeric
	Numeric   bool  // whether Delta is meaningful
}

var componentNames = []string{"major", "minor", "patch"}

// String says the distance the way a reader says it: "+2 major",
// "-1 minor", "changed at component 4", "none".
func (d Distance) String() string {
	if d.Component < 0 {
		return "none"
	}
	name := "component " + strconv.Itoa(d.Component+1)
	if d.Component < len(componentNames) {
		name = componentNames[d.Component]
	}
	if !d.Numeric {
		return name + " changed"
	}
	if d.Delta > 0 {
		return "+" + strconv.FormatInt(d.Delta, 10) + " " + name
	}
	return strconv.FormatInt(d.Delta, 10) + " " + name
}

// bigger orders distances largest first: an earlier component beats a
// later one, then the larger absolute delta.
func bigger(a, b Distance) int {
	rank := func(d Distance) int {
		if d.Component < 0 { // equal versions come last
			return math.MaxInt
		}
		return d.Component
	}
	if c := cmp.Compare(rank(a), rank(b)); c != 0 {
		return c
	}
	return cmp.Compare(abs(b.Delta), abs(a.Delta))
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

// class is what a byte of a version is to Measure: 1 a digit, 2 an ASCII
// letter, 0 a separator (everything else, as libversion has it).
func class(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return 1
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		return 2
	}
	return 0
}

// scanner yields a version's components (runs of digits, runs of letters)
// one at a time as substrings, so that Measure, which runs for every
// upgraded pair of a comparison, allocates nothing.
type scanner struct {
	s string
	i int
}

// next returns the next component, or false when there is none left.
func (sc *scanner) next() (string, bool) {
	s, i := sc.s, sc.i
	for i < len(s) && class(s[i]) == 0 {
		i++
	}
	if i == len(s) {
		sc.i = i
		return "", false
	}
	c, j := class(s[i]), i+1
	for j < len(s) && class(s[j]) == c {
		j++
	}
	sc.i = j
	return s[i:j], true
}

// number is a component's value when it is a run of digits that fits an
// int64; a longer run is compared as text, so that no version, however
// odd, can overflow the arithmetic of a Distance.
func number(c string) (int64, bool) {
	if c == "" || class(c[0]) != 1 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(c); i++ {
		d := int64(c[i] - '0')
		if n > (math.MaxInt64-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}

// Measure is the Distance from upstream version a to b. Both are walked
// component by component in step; a missing component counts as zero
// (1.0 == 1.0.0); numbers compare by value, anything else as text with
// case ignored.
func Measure(a, b string) Distance {
	sa, sb := scanner{s: a}, scanner{s: b}
	for i := 0; ; i++ {
		x, okx := sa.next()
		y, oky := sb.next()
		if !okx && !oky {
			return Distance{Component: -1}
		}
		if !okx {
			x = "0"
		}
		if !oky {
			y = "0"
		}
		nx, numx := number(x)
		ny, numy := number(y)
		if numx && numy {
			if nx != ny {
				return Distance{Component: i, Delta: ny - nx, Numeric: true}
			}
			continue
		}
		if !strings.EqualFold(x, y) {
			return Distance{Component: i}
		}
	}
}

// upstreams gives a row's upstream versions: the ones the comparison
// recorded, else the versions normalised for format.
func upstreams(r *datasets.PackageChangeRow, format string) (string, string) {
	o, n := r.OldUpstream, r.NewUpstream
	if o == "" {
		o = upstream.Normalize(format, r.OldVersion)
	}
	if n == "" {
		n = upstream.Normalize(format, r.NewVersion)
	}
	return o, n
}

// best keeps the n smallest values it is offered, by cmp, without
// holding or sorting them all: a comparison has ~40k upgrades and the
// report shows 50. Values collect in a buffer of 2n that is sorted and
// cut back to n when full; from then on, a value no smaller than the n-th
// is dropped at once. A negative n keeps everything.
type best[T any] struct {
	n     int
	cmp   func(a, b T) int
	items []T
	full  bool // items[:n] are the n smallest so far, sorted
}

func newBest[T any](n int, cmp func(a, b T) int) *best[T] {
	// n may be huge (a MaxRows that means "no cut"): the buffer grows
	// as values come rather than being sized for 2n up front.
	return &best[T]{n: n, cmp: cmp, items: make([]T, 0, min(max(2*n, 0), 1024))}
}

func (b *best[T]) offer(v T) {
	if b.n == 0 || b.full && b.cmp(v, b.items[b.n-1]) >= 0 {
		return
	}
	b.items = append(b.items, v)
	if b.n > 0 && len(b.items)/2 >= b.n { // len == 2n, without overflowing 2n
		slices.SortFunc(b.items, b.cmp)
		clear(b.items[b.n:])
		b.items, b.full = b.items[:b.n], true
	}
}

// result is the n smallest, smallest first.
func (b *best[T]) result() []T {
	slices.SortFunc(b.items, b.cmp)
	if b.n >= 0 && len(b.items) > b.n {
		b.items = b.items[:b.n]
	}
	return b.items
}

// jumpCandidate is one upgrade or downgrade LargestJumps measured, small
// enough to keep many of: its row, the row's index (the last tie-break)
// and its upstream versions, so that they are not normalised twice.
type jumpCandidate struct {
	row  *datasets.PackageChangeRow
	i    int
	o, n string
	d    Distance
}

// LargestJumps returns at most n upgrades and downgrades whose upstream
// version moved, largest distance first, then by package and index
// architecture, then in the order of changes; a negative n returns them
// all. Rebuilds and packaging-only changes have no upstream distance and
// are left out.
func LargestJumps(changes []datasets.PackageChangeRow, format string, n int) []Jump {
	top := newBest(n, func(a, b jumpCandidate) int {
		if c := bigger(a.d, b.d); c != 0 { // most candidates are decided here
			return c
		}
		return cmp.Or(strings.Compare(a.row.Package, b.row.Package),
			strings.Compare(a.row.IndexArchitecture, b.row.IndexArchitecture), cmp.Compare(a.i, b.i))
	})
	for i := range changes {
		r := &changes[i]
		if r.Kind != KindUpgraded && r.Kind != KindDowngraded {
			continue
		}
		o, nw := upstreams(r, format)
		d := Measure(o, nw)
		if d.Component < 0 {
			continue
		}
		top.offer(jumpCandidate{row: r, i: i, o: o, n: nw, d: d})
	}
	cands := top.result()
	jumps := make([]Jump, len(cands))
	for k, c := range cands {
		r := c.row
		jumps[k] = Jump{Package: r.Package, IndexArchitecture: r.IndexArchitecture, Kind: r.Kind,
			OldVersion: r.OldVersion, NewVersion: r.NewVersion, OldUpstream: c.o, NewUpstream: c.n, Distance: c.d}
	}
	return jumps
}

// VersionLag returns every matched pair of a cross-distro comparison with
// the side that packages the newer upstream release (by UpstreamOrder, the
// comparison's own verdict), largest distance first, then by package and
// old package, then in the order of changes.
func VersionLag(changes []datasets.PackageChangeRow) []Lag {
	// Sort small keys, not the ~140-byte Lag values, then build the
	// table in its final order.
	type key struct {
		d   Distance
		row *datasets.PackageChangeRow
		i   int
	}
	var keys []key
	for i := range changes {
		r := &changes[i]
		switch r.Kind {
		case KindUpgraded, KindDowngraded, KindSame:
			keys = append(keys, key{d: Measure(r.OldUpstream, r.NewUpstream), row: r, i: i})
		}
	}
	slices.SortFunc(keys, func(a, b key) int {
		if c := bigger(a.d, b.d); c != 0 {
			return c
		}
		return cmp.Or(strings.Compare(a.row.Package, b.row.Package),
			strings.Compare(cmp.Or(a.row.OldPackage, a.row.Package), cmp.Or(b.row.OldPackage, b.row.Package)), cmp.Compare(a.i, b.i))
	})
	lag := make([]Lag, len(keys))
	for k, key := range keys {
		r := key.row
		l := Lag{Package: r.Package, OldPackage: cmp.Or(r.OldPackage, r.Package), OldVersion: r.OldVersion, NewVersion: r.NewVersion,
			OldUpstream: r.OldUpstream, NewUpstream: r.NewUpstream, Newer: "same", Distance: key.d}
		switch {
		case r.UpstreamOrder < 0:
			l.Newer = "old"
		case r.UpstreamOrder > 0:
			l.Newer = "new"
		}
		lag[k] = l
	}
	return lag
}

// Tally counts one group's (a section's, a priority's) rows by kind.
type Tally struct {
	Key                                                             string
	Added, Removed, Upgraded, Rebuilds, Downgraded, Same, Unmatched int64
}

// Changed is how many of the group's packages changed version or
// appeared or disappeared.
func (t Tally) Changed() int64 { return t.Added + t.Removed + t.Upgraded + t.Downgraded }

func (t *Tally) add(r *datasets.PackageChangeRow) {
	switch r.Kind {
	case KindAdded:
		t.Added++
	case KindRemoved:
		t.Removed++
	case KindUpgraded:
		t.Upgraded++
		if r.Rebuild {
			t.Rebuilds++
		}
	case KindDowngraded:
		t.Downgraded++
	case KindSame:
		t.Same++
	case KindUnmatched:
		t.Unmatched++
	}
}

// NoValue is the group key of rows without a section or priority.
const NoValue = "(none)"

// TallyBy groups rows by key (a row's section or priority), most changed
// group first, then by key.
func TallyBy(changes []datasets.PackageChangeRow, key func(*datasets.PackageChangeRow) string) []Tally {
	idx := map[string]int{}
	var out []Tally
	for i := range changes {
		k := cmp.Or(key(&changes[i]), NoValue)
		j, ok := idx[k]
		if !ok {
			j = len(out)
			idx[k] = j
			out = append(out, Tally{Key: k})
		}
		out[j].add(&changes[i])
	}
	slices.SortFunc(out, func(a, b Tally) int {
		return cmp.Or(cmp.Compare(b.Changed(), a.Changed()), strings.Compare(a.Key, b.Key))
	})
	return out
}

func bySection(r *datasets.PackageChangeRow) string  { return r.Section }
func byPriority(r *datasets.PackageChangeRow) string { return r.Priority }

// changedKind is true for the kinds that mean a package changed.
func changedKind(k string) bool {
	return k == KindAdded || k == KindRemoved || k == KindUpgraded || k == KindDowngraded
}

// DependencyChanges are the rows whose dependency clauses changed. The
// rows are not copied: they point into changes.
func DependencyChanges(changes []datasets.PackageChangeRow) []*datasets.PackageChangeRow {
	return filter(changes, dependsChanged)
}

// Downgrades are the rows whose new version sorts before the old one,
// pointing into changes. A release upgrade has one or two among ~77k
// pairs, and each is worth a look: upgrading a system does not install
// them (apt keeps the installed, newer version unless a pin of 1000 or
// more says otherwise), so each is a mistake, a revert an epoch should
// have marked, or a package that changed hands.
func Downgrades(changes []datasets.PackageChangeRow) []*datasets.PackageChangeRow {
	return filter(changes, downgraded)
}

// EssentialChanges are the changed rows of essential packages or of
// packages of priority required, pointing into changes.
func EssentialChanges(changes []datasets.PackageChangeRow) []*datasets.PackageChangeRow {
	return filter(changes, essentialChanged)
}

// Unmatched are the rows of a cross-distro comparison no rule could pair,
// pointing into changes.
func Unmatched(changes []datasets.PackageChangeRow) []*datasets.PackageChangeRow {
	return filter(changes, unmatched)
}

func dependsChanged(r *datasets.PackageChangeRow) bool {
	return len(r.DependsAdded)+len(r.DependsRemoved)+len(r.DependsChanged) > 0
}

func essentialChanged(r *datasets.PackageChangeRow) bool {
	return changedKind(r.Kind) && (r.Essential || r.Priority == "required")
}

func unmatched(r *datasets.PackageChangeRow) bool { return r.Kind == KindUnmatched }

func downgraded(r *datasets.PackageChangeRow) bool { return r.Kind == KindDowngraded }

func filter(changes []datasets.PackageChangeRow, keep func(*datasets.PackageChangeRow) bool) []*datasets.PackageChangeRow {
	out := []*datasets.PackageChangeRow{}
	for i := range changes {
		if keep(&changes[i]) {
			out = append(out, &changes[i])
		}
	}
	return out
}

// ChangedPairs is how many of a source's package pairs changed version or
// appeared or disappeared.
func ChangedPairs(s *datasets.SourceChangeRow) int64 {
	return s.Added + s.Removed + s.Upgraded + s.Downgraded
}

// ChangedSources returns the n sources (all of them when n is negative)
// with the most changed pairs, then by name, among those whose dominant
// kind is not "same", and how many such sources there are. The rows
// point into sources. Only n are sorted: a release has ~35k sources and
// the report shows a few hundred.
func ChangedSources(sources []datasets.SourceChangeRow, n int) (top []*datasets.SourceChangeRow, total int) {
	b := newBest(n, func(a, b *datasets.SourceChangeRow) int {
		return cmp.Or(cmp.Compare(ChangedPairs(b), ChangedPairs(a)), strings.Compare(a.Source, b.Source))
	})
	for i := range sources {
		if ChangedPairs(&sources[i]) > 0 {
			total++
			b.offer(&sources[i])
		}
	}
	return b.result(), total
}
