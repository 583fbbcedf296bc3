package crossmap

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/distroscope/distroscope/compare"
	"github.com/distroscope/distroscope/datasets"
)

// Lag is how far one matched project's older side is behind the newer.
//
// The metric: both upstream versions split into components (runs of
// digits, runs of letters; anything else separates; a missing component
// counts as 0, as in version/upstream). Level is the 1-based position of
// the first component that differs — 1 a major release behind, 2 a minor,
// 3 a patch — and 0 when the versions are equal. Gap is how far apart that
// component is when both are numbers (3.0.17 vs 3.1.2: Level 2, Gap 1),
// else 0. A smaller Level is a larger lag, whatever the Gap.
type Lag struct {
	Package     string // the new side's name
	OldPackage  string // the old side's name
	OldUpstream string
	NewUpstream string
	Newer       int32 // UpstreamOrder: 1 new, -1 old, 0 same
	Level       int
	Gap         uint64
}

// Lags returns the lag of every matched row of a cross-distro comparison,
// largest first (smallest non-zero Level, then largest Gap), equal
// versions last, ties by name.
func Lags(changes []datasets.PackageChangeRow) []Lag {
	out := []Lag{}
	for i := range changes {
		r := &changes[i]
		switch r.Kind {
		case compare.KindUpgraded, compare.KindDowngraded, compare.KindSame:
		default:
			continue
		}
		level, gap := Distance(r.OldUpstream, r.NewUpstream)
		out = append(out, Lag{Package: r.Package, OldPackage: cmp.Or(r.OldPackage, r.Package),
			OldUpstream: r.OldUpstream, NewUpstream: r.NewUpstream, Newer: r.UpstreamOrder, Level: level, Gap: gap})
	}
	slices.SortStableFunc(out, func(a, b Lag) int {
		la, lb := a.Level, b.Level
		if la == 0 {
			la = int(^uint(0) >> 1)
		}
		if lb == 0 {
			lb = int(^uint(0) >> 1)
		}
		return cmp.Or(cmp.Compare(la, lb), cmp.Compare(b.Gap, a.Gap),
			strings.Compare(a.Package, b.Package), strings.Compare(a.OldPackage, b.OldPackage))
	})
	return out
}

// Distance is Lag's metric of two upstream versions: the Level of their
// first differing component and the Gap there.
func Distance(a, b string) (level int, gap uint64) {
	ca, cb := components(a), components(b)
	for i := range max(len(ca), len(cb)) {
		x, y := "0", "0"
		if i < len(ca) {
			x = ca[i]
		}
		if i < len(cb) {
			y = cb[i]
		}
		nx, errx := strconv.ParseUint(x, 10, 64)
		ny, erry := strconv.ParseUint(y, 10, 64)
		if errx == nil && erry == nil {
			if nx == ny {
				continue
			}
			return i + 1, max(nx, ny) - min(nx, ny)
		}
		if !strings.EqualFold(x, y) {
			return i + 1, 0
		}
	}
	return 0, 0
}

func components(v string) []string {
	var out []string
	for i := 0; i < len(v); {
		c := v[i]
		var class func(byte) bool
		switch {
		case c >= '0' && c <= '9':
			class = func(c byte) bool { return c >= '0' && c <= '9' }
		case (c|0x20) >= 'a' && (c|0x20) <= 'z':
			class = func(c byte) bool { return (c|0x20) >= 'a' && (c|0x20) <= 'z' }
		default:
			i++
			continue
		}
		j := i
		for j < len(v) && class(v[j]) {
			j++
		}
		out = append(out, v[i:j])
		i = j
	}
	return out
}
