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

// components splits an upstream version into runs of digits and runs of
// letters; everything else separates, as libversion does.
func components(v string) []string {
	var out []string
	start := -1
	class := func(c byte) int {
		switch {
		case c >= '0' && c <= '9':
			return 1
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
			return 2
		}
		return 0
	}
	for i := 0; i <= len(v); i++ {
		c := 0
		if i < len(v) {
			c = class(v[i])
		}
		if start >= 0 && (c == 0 || c != class(v[start])) {
			out = append(out, v[start:i])
			start = -1
		}
		if start < 0 && c != 0 {
			start = i
		}
	}
	return out
}

// Measure is the Distance from upstream version a to b.
func Measure(a, b string) Distance {
	ca, cb := components(a), components(b)
	for i := 0; i < max(len(ca), len(cb)); i++ {
		x, y := "0", "0" // a missing component counts as zero (1.0 == 1.0.0)
		if i < len(ca) {
			x = ca[i]
		}
		if i < len(cb) {
			y = cb[i]
		}
		nx, errx := strconv.ParseInt(x, 10, 64)
		ny, erry := strconv.ParseInt(y, 10, 64)
		if errx == nil && erry == nil {
			if nx != ny {
				return Distance{Component: i, Delta: ny - nx, Numeric: true}
			}
			continue
		}
		if !strings.EqualFold(x, y) {
			return Distance{Component: i}
		}
	}
	return Distance{Component: -1}
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

// LargestJumps returns at most n upgrades and downgrades whose upstream
// version moved, largest distance first (then by package). Rebuilds and
// packaging-only changes have no upstream distance and are left out.
func LargestJumps(changes []datasets.PackageChangeRow, format string, n int) []Jump {
	jumps := []Jump{}
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
		jumps = append(jumps, Jump{Package: r.Package, IndexArchitecture: r.IndexArchitecture, Kind: r.Kind,
			OldVersion: r.OldVersion, NewVersion: r.NewVersion, OldUpstream: o, NewUpstream: nw, Distance: d})
	}
	slices.SortStableFunc(jumps, func(a, b Jump) int {
		if c := bigger(a.Distance, b.Distance); c != 0 {
			return c
		}
		return cmp.Or(strings.Compare(a.Package, b.Package), strings.Compare(a.IndexArchitecture, b.IndexArchitecture))
	})
	if n >= 0 && len(jumps) > n {
		jumps = jumps[:n]
	}
	return jumps
}

// VersionLag returns every matched pair of a cross-distro comparison with
// the side that packages the newer upstream release (by UpstreamOrder, the
// comparison's own verdict), largest distance first.
func VersionLag(changes []datasets.PackageChangeRow) []Lag {
	lag := []Lag{}
	for i := range changes {
		r := &changes[i]
		switch r.Kind {
		case KindUpgraded, KindDowngraded, KindSame:
		default:
			continue
		}
		l := Lag{Package: r.Package, OldPackage: cmp.Or(r.OldPackage, r.Package), OldVersion: r.OldVersion, NewVersion: r.NewVersion,
			OldUpstream: r.OldUpstream, NewUpstream: r.NewUpstream, Newer: "same", Distance: Measure(r.OldUpstream, r.NewUpstream)}
		switch {
		case r.UpstreamOrder < 0:
			l.Newer = "old"
		case r.UpstreamOrder > 0:
			l.Newer = "new"
		}
		lag = append(lag, l)
	}
	slices.SortStableFunc(lag, func(a, b Lag) int {
		return cmp.Or(bigger(a.Distance, b.Distance), strings.Compare(a.Package, b.Package), strings.Compare(a.OldPackage, b.OldPackage))
	})
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

// DependencyChanges are the rows whose dependency clauses changed.
func DependencyChanges(changes []datasets.PackageChangeRow) []datasets.PackageChangeRow {
	return filter(changes, func(r *datasets.PackageChangeRow) bool {
		return len(r.DependsAdded)+len(r.DependsRemoved)+len(r.DependsChanged) > 0
	})
}

// EssentialChanges are the changed rows of essential packages or of
// packages of priority required.
func EssentialChanges(changes []datasets.PackageChangeRow) []datasets.PackageChangeRow {
	return filter(changes, func(r *datasets.PackageChangeRow) bool {
		return changedKind(r.Kind) && (r.Essential || r.Priority == "required")
	})
}

// Unmatched are the rows of a cross-distro comparison no rule could pair.
func Unmatched(changes []datasets.PackageChangeRow) []datasets.PackageChangeRow {
	return filter(changes, func(r *datasets.PackageChangeRow) bool { return r.Kind == KindUnmatched })
}

func filter(changes []datasets.PackageChangeRow, keep func(*datasets.PackageChangeRow) bool) []datasets.PackageChangeRow {
	out := []datasets.PackageChangeRow{}
	for i := range changes {
		if keep(&changes[i]) {
			out = append(out, changes[i])
		}
	}
	return out
}

// tables is Data with every derived table filled in.
type tables struct {
	Data
	BySection, ByPriority           []Tally
	Dependencies, Essential, Orphan []datasets.PackageChangeRow
	ShowLag                         bool
}

func derive(d Data) tables {
	if d.MaxRows <= 0 {
		d.MaxRows = DefaultMaxRows
	}
	if d.Jumps == nil {
		d.Jumps = LargestJumps(d.Changes, d.Format, DefaultMaxJumps)
	}
	t := tables{Data: d, ShowLag: d.Lag != nil || d.Summary.CrossDistro}
	if d.Lag == nil && d.Summary.CrossDistro {
		t.Lag = VersionLag(d.Changes)
	}
	t.BySection = TallyBy(d.Changes, bySection)
	t.ByPriority = TallyBy(d.Changes, byPriority)
	t.Dependencies = DependencyChanges(d.Changes)
	t.Essential = EssentialChanges(d.Changes)
	t.Orphan = Unmatched(d.Changes)
	return t
}
