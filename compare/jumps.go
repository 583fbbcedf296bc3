package compare

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/distroscope/distroscope/datasets"
)

// maxMajor bounds the major components VersionJump ranks: a larger leading
// number is a date or snapshot scheme (20230311, 2026b, 2024.01), whose
// "major" differences would swamp every real one.
const maxMajor = 999

// VersionJump is an upgraded or downgraded pair whose upstream major
// version changed.
//
// The metric: the upstream version is the version without its epoch
// ("N:") and its revision (from the last "-": Debian revision, rpm
// release, apk "-rN", pacman pkgrel); its major and minor components are
// its first two runs of digits. Jumps are ranked by the absolute change of
// the major component, then of the minor one, then by name; pairs whose
// major stays the same are not jumps, and neither are pairs where either
// major exceeds 999 (dates, see maxMajor). An epoch bump alone is no jump:
// epochs reset version schemes and say nothing about size.
type VersionJump struct {
	Package, IndexArchitecture string
	Kind                       string // upgraded or downgraded
	OldVersion, NewVersion     string
	OldMajor, NewMajor         int64
	OldMinor, NewMinor         int64 // -1 when the version has no second number
	EpochChanged               bool
}

// MajorDelta is NewMajor - OldMajor.
func (j VersionJump) MajorDelta() int64 { return j.NewMajor - j.OldMajor }

func versionJump(row *datasets.PackageChangeRow) (VersionJump, bool) {
	if row.Kind != KindUpgraded && row.Kind != KindDowngraded {
		return VersionJump{}, false
	}
	oe, ou := splitUpstream(row.OldVersion)
	ne, nu := splitUpstream(row.NewVersion)
	om, on, ok1 := majorMinor(ou)
	nm, nn, ok2 := majorMinor(nu)
	if !ok1 || !ok2 || om == nm || om > maxMajor || nm > maxMajor {
		return VersionJump{}, false
	}
	return VersionJump{
		Package: row.Package, IndexArchitecture: row.IndexArchitecture, Kind: row.Kind,
		OldVersion: row.OldVersion, NewVersion: row.NewVersion,
		OldMajor: om, NewMajor: nm, OldMinor: on, NewMinor: nn, EpochChanged: oe != ne,
	}, true
}

// splitUpstream returns a version's epoch ("" when none) and upstream part.
func splitUpstream(v string) (epoch, upstream string) {
	if i := strings.IndexByte(v, ':'); i > 0 && isDigits(v[:i]) {
		epoch, v = v[:i], v[i+1:]
	}
	if i := strings.LastIndexByte(v, '-'); i > 0 {
		v = v[:i]
	}
	return epoch, v
}

func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// majorMinor returns the first two runs of digits of s (minor -1 when
// there is one run).
func majorMinor(s string) (major, minor int64, ok bool) {
	nums := make([]int64, 0, 2)
	for i := 0; i < len(s) && len(nums) < 2; {
		if s[i] < '0' || s[i] > '9' {
			i++
			continue
		}
		j := i
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		n, err := strconv.ParseInt(s[i:min(j, i+18)], 10, 64)
		if err != nil {
			return 0, 0, false
		}
		nums = append(nums, n)
		i = j
	}
	switch len(nums) {
	case 0:
		return 0, 0, false
	case 1:
		return nums[0], -1, true
	}
	return nums[0], nums[1], true
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

func topJumps(jumps []VersionJump, n int) []VersionJump {
	slices.SortFunc(jumps, func(a, b VersionJump) int {
		if c := cmp.Compare(abs(b.MajorDelta()), abs(a.MajorDelta())); c != 0 {
			return c
		}
		if c := cmp.Compare(abs(b.NewMinor-b.OldMinor), abs(a.NewMinor-a.OldMinor)); c != 0 {
			return c
		}
		if c := strings.Compare(a.Package, b.Package); c != 0 {
			return c
		}
		return strings.Compare(a.IndexArchitecture, b.IndexArchitecture)
	})
	if n == 0 {
		n = DefaultTopJumps
	}
	if n > 0 && len(jumps) > n {
		jumps = jumps[:n]
	}
	return jumps
}
