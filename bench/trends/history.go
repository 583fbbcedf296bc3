package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/distroscope/distroscope/datasets"
)

// The synthetic year walks back from the real sid index one day at a time:
// day N is real, and day d is made from day d+1 by undoing what sid's
// archive did on day d+1. The rates are sid's own order of magnitude:
// unstable takes ~80,000 source uploads a year (about 220 a day, over its
// four dinstall runs), most of them new Debian revisions and rather fewer
// new upstream releases; each source builds ~2.3 binary packages on amd64,
// so a day re-versions some hundreds of binary packages. The archive grows
// by a few thousand binary packages a year — new sources and soname bumps
// add ~20 a day, removals and finished transitions take ~10 — and the odd
// upload goes back to an older version (a revert, a "+really" upload).
const (
	minSourcesChanged = 150 // sources uploaded a day: 150–249
	spanSources       = 100
	upstreamPercent   = 40 // of those, new upstream versions; the rest new revisions
	minAdded          = 15 // binary packages added a day: 15–25
	spanAdded         = 11
	minRemoved        = 5 // and removed: 5–15
	spanRemoved       = 11
	maxDowngrades     = 3 // sources whose version went down: 0–3
)

// generatorVersion is part of the cache key: bump it whenever what the
// generator makes for a seed changes, so a cached store is rebuilt.
const generatorVersion = 1

// dayChurn is what the archive did on one day, as the generator made it:
// the counts a trends row of that day should find.
type dayChurn struct {
	SourcesUpstream, SourcesRevision, SourcesDowngraded int
	// Upgraded and Downgraded count binary packages re-versioned.
	Upgraded, Downgraded int
	Added, Removed       int
}

// stepBack returns the release one day before rows, rows being day day:
// it undoes that day's churn, drawn from rng, and returns it. rows is not
// modified; the result shares its strings.
func stepBack(rows []datasets.PackageRow, day int, rng *rand.Rand) ([]datasets.PackageRow, dayChurn) {
	var c dayChurn
	prev := make([]datasets.PackageRow, len(rows), len(rows)+spanRemoved+minRemoved)
	copy(prev, rows)

	// Sources in the order of their first row, so the draw depends on the
	// rows only.
	bySource := map[string][]int{}
	var sources []string
	for i := range prev {
		s := sourceOf(&prev[i])
		if _, ok := bySource[s]; !ok {
			sources = append(sources, s)
		}
		bySource[s] = append(bySource[s], i)
	}
	picked := map[string]bool{}
	pick := func() []int {
		for {
			s := sources[rng.IntN(len(sources))]
			if !picked[s] {
				picked[s] = true
				return bySource[s]
			}
		}
	}

	// Re-versioned sources: the day before had an older version (or, for a
	// downgrade, a newer one).
	n := minSourcesChanged + rng.IntN(spanSources)
	for range n {
		rowsOf := pick()
		kind := older
		if rng.IntN(100) < upstreamPercent {
			kind = olderUpstream
			c.SourcesUpstream++
		} else {
			c.SourcesRevision++
		}
		c.Upgraded += len(rowsOf)
		for _, i := range rowsOf {
			reversion(&prev[i], kind)
		}
	}
	for range rng.IntN(maxDowngrades + 1) {
		rowsOf := pick()
		c.SourcesDowngraded++
		c.Downgraded += len(rowsOf)
		for _, i := range rowsOf {
			reversion(&prev[i], newer)
		}
	}

	// Packages added that day were not there the day before (of sources
	// not re-versioned that day, so that every count above stays exact);
	// those removed were: an older binary of a source the release still
	// has, as a soname bump or a renamed package leaves behind.
	c.Added = minAdded + rng.IntN(spanAdded)
	drop := map[int]bool{}
	for len(drop) < c.Added {
		if i := rng.IntN(len(prev)); !picked[sourceOf(&prev[i])] {
			drop[i] = true
		}
	}
	c.Removed = minRemoved + rng.IntN(spanRemoved)
	var gone []datasets.PackageRow
	for k := range c.Removed {
		r := prev[rng.IntN(len(prev))]
		if r.Source == "" {
			r.Source = r.Package
		}
		name := fmt.Sprintf("%s-gone%03d.%d", r.Package, day, k)
		r.Filename = strings.Replace(r.Filename, "/"+r.Package+"_", "/"+name+"_", 1)
		r.Package = name
		r.SHA256, r.MD5sum = fakeDigests(r.Package, r.Version)
		gone = append(gone, r)
	}
	out := prev[:0]
	for i := range prev {
		if !drop[i] {
			out = append(out, prev[i])
		}
	}
	return append(out, gone...), c
}

func sourceOf(r *datasets.PackageRow) string {
	if r.Source != "" {
		return r.Source
	}
	return r.Package
}

// change is how a version moves.
type change int

const (
	older         change = iota // a lower Debian revision (or upstream, for a native package)
	olderUpstream               // a lower upstream version, same revision
	newer                       // a higher Debian revision (or upstream)
	newerUpstream               // a higher upstream version
)

// reversion moves r's version and source version by ch, with what follows
// from it: the split columns, the pool file name and the digests. A
// binNMU's "+bN" goes with a sourceful change, as a new upload resets it.
func reversion(r *datasets.PackageRow, ch change) {
	oldSV := r.SourceVersion
	if oldSV == "" {
		oldSV = r.Version
	}
	newSV := moveVersion(oldSV, ch)
	oldV := r.Version
	switch {
	case r.Version == oldSV || strings.HasPrefix(r.Version, oldSV+"+b"):
		r.Version = newSV
	default:
		r.Version = moveVersion(r.Version, ch)
	}
	if r.SourceVersion != "" {
		r.SourceVersion = newSV
	}
	_, r.UpstreamVersion, r.Revision = splitVersion(r.Version)
	r.Filename = strings.Replace(r.Filename, "_"+withoutEpoch(oldV)+"_", "_"+withoutEpoch(r.Version)+"_", 1)
	r.SHA256, r.MD5sum = fakeDigests(r.Package, r.Version)
}

// moveVersion returns a version ordered below (older, olderUpstream) or
// above (newer, newerUpstream) v by dpkg, changing the revision or the
// upstream version as ch says; a native version (no revision) always
// changes its upstream part.
func moveVersion(v string, ch change) string {
	epoch, up, rev := splitVersion(v)
	down := ch == older || ch == olderUpstream
	if rev != "" && (ch == older || ch == newer) {
		rev = moveRevision(rev, down)
	} else {
		up = moveUpstream(up, down)
	}
	out := up
	if epoch != "" {
		out = epoch + ":" + out
	}
	if rev != "" {
		out += "-" + rev
	}
	return out
}

// moveRevision steps a Debian revision: "3" ↔ "2", "1+b2" → "1+b1" → "1"
// going down; a revision with no number left above zero goes below itself
// with "~0".
func moveRevision(rev string, down bool) string {
	if base, n, ok := binNMU(rev); ok && down {
		if n > 1 {
			return base + "+b" + strconv.Itoa(n-1)
		}
		return base
	}
	if out, ok := stepLastNumber(rev, down); ok {
		return out
	}
	return rev + "~0"
}

// moveUpstream steps the last number of the upstream version before any
// "+" or "~" suffix (so "1.2+dfsg" becomes "1.1+dfsg", not "1.2+dfsg0",
// which upstream ordering would call the same release); with no number to
// step it goes below itself with "~0" or above with ".1".
func moveUpstream(up string, down bool) string {
	cut := len(up)
	if i := strings.IndexAny(up, "+~"); i > 0 {
		cut = i
	}
	if out, ok := stepLastNumber(up[:cut], down); ok {
		return out + up[cut:]
	}
	if down {
		return up[:cut] + "~0" + up[cut:]
	}
	return up[:cut] + ".1" + up[cut:]
}

// stepLastNumber adds or takes one from the last run of digits of s that
// can take it (going down: the last one above zero).
func stepLastNumber(s string, down bool) (string, bool) {
	end := len(s)
	for end > 0 {
		for end > 0 && !isDigit(s[end-1]) {
			end--
		}
		start := end
		for start > 0 && isDigit(s[start-1]) {
			start--
		}
		if start == end {
			return "", false
		}
		n, err := strconv.ParseUint(s[start:end], 10, 62)
		if err == nil && (!down || n > 0) {
			if down {
				n--
			} else {
				n++
			}
			return s[:start] + strconv.FormatUint(n, 10) + s[end:], true
		}
		end = start
	}
	return "", false
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// binNMU splits "1+b2" into "1" and 2.
func binNMU(rev string) (string, int, bool) {
	i := strings.LastIndex(rev, "+b")
	if i < 0 {
		return "", 0, false
	}
	n, err := strconv.Atoi(rev[i+2:])
	if err != nil || n < 1 {
		return "", 0, false
	}
	return rev[:i], n, true
}

// splitVersion splits epoch:upstream-revision.
func splitVersion(v string) (epoch, up, rev string) {
	if i := strings.IndexByte(v, ':'); i > 0 {
		epoch, v = v[:i], v[i+1:]
	}
	if i := strings.LastIndexByte(v, '-'); i > 0 {
		return epoch, v[:i], v[i+1:]
	}
	return epoch, v, ""
}

func withoutEpoch(v string) string {
	if i := strings.IndexByte(v, ':'); i > 0 {
		return v[i+1:]
	}
	return v
}

// fakeDigests stand in for the digests of a .deb that was never built.
func fakeDigests(pkg, version string) (sha, md5 string) {
	sum := sha256.Sum256([]byte(pkg + "_" + version))
	h := hex.EncodeToString(sum[:])
	return h, h[:32]
}

// peerRows derives a peer distribution's release from rows: the same
// packages, a tenth of the sources (drawn from seed) at a newer upstream
// version — a distribution that packages new releases sooner, so that
// the lag has sources to find outdated.
func peerRows(rows []datasets.PackageRow, seed uint64) ([]datasets.PackageRow, int) {
	rng := rand.New(rand.NewPCG(seed, 0x9ee4))
	out := make([]datasets.PackageRow, len(rows))
	copy(out, rows)
	newer := map[string]bool{}
	for i := range out {
		s := sourceOf(&out[i])
		ahead, seen := newer[s]
		if !seen {
			ahead = rng.IntN(10) == 0
			newer[s] = ahead
		}
		if ahead {
			reversion(&out[i], newerUpstream)
		}
		out[i].Component = "main"
	}
	n := 0
	for _, ahead := range newer {
		if ahead {
			n++
		}
	}
	return out, n
}
