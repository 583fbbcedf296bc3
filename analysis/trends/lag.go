package trends

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/distroscope/distroscope/analysis/crossmap"
	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/version/upstream"
)

// PackageVersion is one entry of a snapshot as the lag reads it.
type PackageVersion struct{ Package, Source, Version, Format string }

// Peer is one peer snapshot's entries.
type Peer struct {
	Partition datasets.Partition
	Packages  []PackageVersion
}

// ComputeLag returns the outdated sources of cur (sorted by source) and how many of cur's sources a peer matched.
//
// It is Repology's "outdated" status, computed per snapshot so that the
// history keeps every day's answer. Nil rules are crossmap.DefaultRules.
//
//   - A source package of cur is Source, or Package when Source is empty.
//     Its upstream version is the highest upstream.Normalize of its
//     binaries' versions (upstream.Compare, libversion's order), because
//     that is all versions of two ecosystems have in common; Version is
//     the raw version that upstream came from.
//   - Its project is rules.Map(format, source, true).Name (the binary
//     rules for a package without a source), and the projects of its
//     binaries of the main flavor count too: the default rules map
//     Debian's and Fedora's source python-requests to python-requests, but
//     their binary python3-requests, Arch's python-requests and Alpine's
//     py3-requests to python:requests. Of all those projects, the one some
//     peer has the newest upstream version of is the source's (ties: the
//     first peer in the order below, then the source's own project, then
//     its binaries' in name order). Binaries of a flavor (-dev, -doc) are left out as
//     crossmap.Compare leaves them: they pair only with the same flavor.
//   - Each peer is collapsed the same way: every package counts under its
//     source's project and its main-flavor binary's project, each keeping
//     its newest upstream version. Across peers the newest wins; between
//     equal upstream versions the first peer in (distro, release,
//     snapshot) order, and within a peer the greatest raw version text, so
//     that the row does not depend on the input order.
//   - matched counts the sources one of whose projects some peer has
//     (crossmap.Compare pairs by binary name too, with the same risk: a
//     binary named like an unrelated project elsewhere). A row is
//     emitted when the newest peer upstream is newer than the source's
//     (upstream.Compare > 0), unless the snapshot also has another source
//     of the same project at a higher upstream version: that one is the
//     project's package here, and the older one is what Repology calls
//     "legacy" (python3.11 beside python3.12), not outdated.
//   - Versions that order nothing are skipped on both sides, so that they
//     neither match nor make anything outdated: an empty upstream, one
//     without any digit ("latest", "git", libversion orders those as
//     pre-release words whose first letter decides) and an all-zero one
//     without letters ("0", "0.0"), the placeholders of meta and virtual
//     packages. A source none of whose versions is comparable is not
//     counted in matched.
//   - OutdatedSince is carried over from prev when prev has the same source
//     at the same upstream version (it was outdated then and still is);
//     otherwise it is date: a new upstream version that is still behind
//     starts a new lag.
//
// Time is O(n log n) in the entries (maps, one sort of the sources and of
// each source's binaries) and memory proportional to the distinct names
// and projects: the rules map each distinct (format, name) once, cached.
func ComputeLag(date time.Time, cur []PackageVersion, peers []Peer, prev []datasets.PackageLagRow, rules *crossmap.Rules) (rows []datasets.PackageLagRow, matched int64) {
	if rules == nil {
		rules = crossmap.DefaultRules()
	}
	// Maps sized up front: grown by doubling, they rehashed a peer's
	// ~100k projects several times over (a tenth of an update).
	size := len(cur)
	for _, p := range peers {
		size += len(p.Packages)
	}
	m := newMapper(rules, size)
	newest := collapsePeers(peers, m)
	sources := collapseSources(cur, m)

	// Match each source to a project some peer has.
	type candidate struct {
		src     *source
		project string
		newest  peerNewest
	}
	var found []candidate
	best := map[string]string{} // project → highest upstream among cur's matched sources
	for _, s := range sources {
		if s.upstream == "" {
			continue
		}
		project, n, ok := s.match(m, newest)
		if !ok {
			continue
		}
		matched++
		found = append(found, candidate{s, project, n})
		if b, ok := best[project]; !ok || upstream.Compare(s.upstream, b) > 0 {
			best[project] = s.upstream
		}
	}

	prevBySource := make(map[string]*datasets.PackageLagRow, len(prev))
	for i := range prev {
		prevBySource[prev[i].Source] = &prev[i]
	}
	for _, c := range found {
		s, n := c.src, c.newest
		if upstream.Compare(n.upstream, s.upstream) <= 0 || upstream.Compare(s.upstream, best[c.project]) < 0 {
			continue
		}
		since := date
		if p, ok := prevBySource[s.name]; ok && p.Upstream == s.upstream {
			since = p.OutdatedSince
		}
		rows = append(rows, datasets.PackageLagRow{
			Source:         s.name,
			Project:        c.project,
			Version:        s.version,
			Upstream:       s.upstream,
			NewestUpstream: n.upstream,
			NewestVersion:  n.version,
			NewestDistro:   peers[n.peer].Partition.Distro,
			NewestRelease:  peers[n.peer].Partition.Release,
			OutdatedSince:  since,
			Binaries:       s.binaries,
		})
	}
	return rows, matched
}

// comparableUpstream says whether an upstream version orders anything
// (see ComputeLag): it has a digit, and a non-zero one or a letter.
func comparableUpstream(up string) bool {
	digit, nonZero, letter := false, false, false
	for i := 0; i < len(up); i++ {
		switch c := up[i]; {
		case c >= '0' && c <= '9':
			digit = true
			nonZero = nonZero || c != '0'
		case (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'):
			letter = true
		}
	}
	return digit && (nonZero || letter)
}

// newer says whether (up, version) is to replace (bestUp, bestVersion):
// a higher upstream, or the same upstream with a greater raw version text,
// so that the choice does not depend on the input order.
func newer(up, version, bestUp, bestVersion string) bool {
	if c := upstream.Compare(up, bestUp); c != 0 {
		return c > 0
	}
	return version > bestVersion
}

// mapper caches the rules' mapping: a snapshot repeats each source once
// per binary and each binary once per index architecture, and the rules
// are a few dozen regular expressions. The caches are keyed by format,
// then name, so that lookups hash one string.
type mapper struct {
	rules         *crossmap.Rules
	size          int // the names expected, to size a cache
	sources, bins map[string]map[string]crossmap.Canonical
}

// newMapper returns a mapper whose caches expect about size names.
func newMapper(rules *crossmap.Rules, size int) *mapper {
	return &mapper{rules: rules, size: size, sources: map[string]map[string]crossmap.Canonical{}, bins: map[string]map[string]crossmap.Canonical{}}
}

func (m *mapper) Map(format, name string, source bool) crossmap.Canonical {
	caches := m.bins
	if source {
		caches = m.sources
	}
	cache, ok := caches[format]
	if !ok {
		cache = make(map[string]crossmap.Canonical, m.size)
		caches[format] = cache
	}
	c, ok := cache[name]
	if !ok {
		c = m.rules.Map(format, name, source)
		cache[name] = c
	}
	return c
}

// sourceProject is the project a package's source counts under.
func (m *mapper) sourceProject(p *PackageVersion) string {
	if p.Source == "" {
		return m.Map(p.Format, p.Package, false).Name
	}
	return m.Map(p.Format, p.Source, true).Name
}

// binaryProject is the project a binary counts under, "" for a flavor
// (-dev, -doc): those pair only with the same flavor elsewhere.
func (m *mapper) binaryProject(format, name string) string {
	c := m.Map(format, name, false)
	if c.Flavor != "" {
		return ""
	}
	return c.Name
}

// peerNewest is a project's newest upstream version among the peers.
type peerNewest struct {
	upstream, version string
	peer              int // index into ComputeLag's peers
	rank              int // position of that peer in (distro, release, snapshot) order
}

// collapsePeers returns each project's newest upstream version among the
// peers, which it visits in (distro, release, snapshot) order so that the
// first of equal upstream versions wins.
func collapsePeers(peers []Peer, m *mapper) map[string]peerNewest {
	order := make([]int, len(peers))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		pa, pb := peers[a].Partition, peers[b].Partition
		return cmp.Or(strings.Compare(pa.Distro, pb.Distro), strings.Compare(pa.Release, pb.Release), strings.Compare(pa.Snapshot, pb.Snapshot))
	})
	size := 0
	for _, p := range peers {
		size += 2 * len(p.Packages) // a source's project and a binary's
	}
	newest := make(map[string]peerNewest, size)
	offer := func(project, up, version string, peer, rank int) {
		if project == "" {
			return
		}
		n, ok := newest[project]
		if ok && (n.peer != peer && upstream.Compare(up, n.upstream) <= 0 || n.peer == peer && !newer(up, version, n.upstream, n.version)) {
			return
		}
		newest[project] = peerNewest{up, version, peer, rank}
	}
	for rank, i := range order {
		for j := range peers[i].Packages {
			p := &peers[i].Packages[j]
			up := upstream.Normalize(p.Format, p.Version)
			if !comparableUpstream(up) {
				continue
			}
			offer(m.sourceProject(p), up, p.Version, i, rank)
			offer(m.binaryProject(p.Format, p.Package), up, p.Version, i, rank)
		}
	}
	return newest
}

// source is one source package of the current snapshot.
type source struct {
	name, format      string
	upstream, version string // "" when no binary's upstream is comparable
	binaries          []string
	srcProject        string
}

// match returns the project of the source some peer has the newest
// upstream version of, among the source's own project and its binaries'
// (see ComputeLag), and that version.
func (s *source) match(m *mapper, newest map[string]peerNewest) (project string, best peerNewest, ok bool) {
	consider := func(key string) {
		n, found := newest[key]
		if !found || key == project {
			return
		}
		if ok {
			c := upstream.Compare(n.upstream, best.upstream)
			if c < 0 || c == 0 && n.rank >= best.rank {
				return
			}
		}
		project, best, ok = key, n, true
	}
	consider(s.srcProject)
	for _, b := range s.binaries {
		if k := m.binaryProject(s.format, b); k != "" {
			consider(k)
		}
	}
	return project, best, ok
}

// collapseSources groups cur by source, sorted by name, each with its
// distinct binaries sorted and its highest comparable upstream version.
func collapseSources(cur []PackageVersion, m *mapper) []*source {
	bySource := map[string]*source{}
	for i := range cur {
		p := &cur[i]
		name := cmp.Or(p.Source, p.Package)
		s, ok := bySource[name]
		if !ok {
			s = &source{name: name, format: p.Format, srcProject: m.sourceProject(p)}
			bySource[name] = s
		}
		s.binaries = append(s.binaries, p.Package)
		up := upstream.Normalize(p.Format, p.Version)
		if comparableUpstream(up) && (s.upstream == "" || newer(up, p.Version, s.upstream, s.version)) {
			s.upstream, s.version = up, p.Version
		}
	}
	out := make([]*source, 0, len(bySource))
	for _, s := range bySource {
		slices.Sort(s.binaries)
		s.binaries = slices.Compact(s.binaries)
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b *source) int { return strings.Compare(a.name, b.name) })
	return out
}
