package crossmap

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/distroscope/distroscope/analysis/compare"
	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/version/upstream"
)

// KindUnmatched is the PackageChangeRow.Kind of a package no rule paired
// with one of the other snapshot.
const KindUnmatched = "unmatched"

// Rule values of rows paired without any rule rewriting a name.
const (
	RuleSameSource = "same-source" // both source names were already equal
	RuleSameName   = "same-name"   // both binary names were already equal
)

// pkg is one package of one side, collapsed across index architectures.
type pkg struct {
	ref      compare.PackageRef
	upstream string
	bin, src Canonical // src.Name is "" without a source name
	paired   bool
}

// Compare pairs the packages of two snapshots of different distributions
// or ecosystems by canonical project name (see Rules) and orders each pair
// by upstream version (version/upstream), which is all two ecosystems'
// versions have in common.
//
// Index architectures are ignored (amd64, x86_64 and aarch64 name the
// same packages): each package name takes part once, with its highest
// upstream version. Pairing:
//
//  1. by canonical source name, where both packages have a source: within
//     one source project, binaries pair by canonical binary name, then a
//     flavor's last unpaired binary of each side pair (Debian libssl-dev
//     with Alpine openssl-dev); if none do, the project's two
//     representative packages pair (the binary whose canonical name is the
//     project's, else the first by name);
//  2. what is left, by canonical binary name and flavor.
//
// Several packages of one side with one key pair in name order; the
// surplus is unmatched. Every package that found no partner is one row of
// Kind "unmatched", with only its own side's version set.
//
// Rows: Package is the new side's name, OldPackage the old side's
// (empty for unmatched old packages, whose name is in Package), as the
// report package reads them; Rule names the rules that mapped the two
// names, or RuleSameSource / RuleSameName. Kind is upgraded, downgraded or
// same by upstream version, and UpstreamOrder says which side is newer
// (1 new, -1 old, 0 same).
func Compare(old, new *compare.Snapshot, rules *Rules, opts compare.Options) (compare.Result, error) {
	if rules == nil {
		rules = DefaultRules()
	}
	res := compare.Result{Sources: []datasets.SourceChangeRow{}}
	res.Summary = datasets.CompareSummaryRow{
		OldDistro: opts.Old.Distro, OldRelease: opts.Old.Release, OldSnapshot: opts.Old.Snapshot,
		NewDistro: opts.New.Distro, NewRelease: opts.New.Release, NewSnapshot: opts.New.Snapshot,
		CrossDistro: true,
	}
	olds, oldFormat, err := collapse(old, rules)
	if err != nil {
		return compare.Result{}, fmt.Errorf("crossmap: old snapshot: %w", err)
	}
	news, newFormat, err := collapse(new, rules)
	if err != nil {
		return compare.Result{}, fmt.Errorf("crossmap: new snapshot: %w", err)
	}
	res.Format = oldFormat
	if newFormat != oldFormat {
		res.Format = oldFormat + "~" + newFormat
	}

	var rows []datasets.PackageChangeRow
	// 1. By source project.
	oldBySrc, newBySrc := groupBy(olds, srcKey), groupBy(news, srcKey)
	for _, key := range sortedKeys(oldBySrc) {
		ng, ok := newBySrc[key]
		if !ok || key == "" {
			continue
		}
		og := oldBySrc[key]
		n := len(rows)
		rows = pairWithin(rows, og, ng, binKey)
		rows = pairUniqueFlavor(rows, og, ng)
		if len(rows) == n {
			o, nw := representative(og), representative(ng)
			rows = append(rows, pairRow(o, nw, ruleOf(o.src, nw.src, RuleSameSource)))
		}
	}
	// 2. By binary project.
	rows = pairWithin(rows, unpaired(olds), unpaired(news), binKey)
	for _, p := range olds {
		if !p.paired {
			rows = append(rows, unmatchedRow(p, true))
		}
	}
	for _, p := range news {
		if !p.paired {
			rows = append(rows, unmatchedRow(p, false))
		}
	}
	slices.SortFunc(rows, func(a, b datasets.PackageChangeRow) int { return datasets.ComparePackageChangeRows(&a, &b) })
	for i := range rows {
		count(&res.Summary, &rows[i])
	}
	res.Changes = rows
	return res, nil
}

// collapse reads a snapshot into one pkg per package name, the highest
// upstream version's, ordered by name, and its format(s).
func collapse(s *compare.Snapshot, rules *Rules) ([]*pkg, string, error) {
	byName := map[string]*pkg{}
	// Sources repeat (one per binary): map each once.
	sources := map[[2]string]Canonical{}
	var formats []string
	for i := range s.Len() {
		ref := s.Row(i)
		if ref.Format == "" {
			return nil, "", fmt.Errorf("package %s has no format (a packages v1 file?)", ref.Package)
		}
		if !slices.Contains(formats, ref.Format) {
			formats = append(formats, ref.Format)
		}
		up := upstream.Normalize(ref.Format, ref.Version)
		if p, ok := byName[ref.Package]; ok && upstream.Compare(up, p.upstream) <= 0 {
			continue
		}
		p := &pkg{ref: ref, upstream: up, bin: rules.Map(ref.Format, ref.Package, false)}
		if ref.Source != "" {
			key := [2]string{ref.Format, ref.Source}
			c, ok := sources[key]
			if !ok {
				c = rules.Map(ref.Format, ref.Source, true)
				sources[key] = c
			}
			p.src = c
		}
		byName[ref.Package] = p
	}
	out := make([]*pkg, 0, len(byName))
	for _, p := range byName {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b *pkg) int { return strings.Compare(a.ref.Package, b.ref.Package) })
	slices.Sort(formats)
	return out, strings.Join(formats, ","), nil
}

func srcKey(p *pkg) string {
	if p.src.Name == "" {
		return ""
	}
	return p.src.Name
}

func binKey(p *pkg) string { return p.bin.Name + "\x00" + p.bin.Flavor }

func groupBy(ps []*pkg, key func(*pkg) string) map[string][]*pkg {
	m := map[string][]*pkg{}
	for _, p := range ps {
		k := key(p)
		m[k] = append(m[k], p)
	}
	return m
}

func sortedKeys(m map[string][]*pkg) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func unpaired(ps []*pkg) []*pkg {
	var out []*pkg
	for _, p := range ps {
		if !p.paired {
			out = append(out, p)
		}
	}
	return out
}

// pairWithin pairs the not yet paired packages of olds and news (each in
// name order) that share a key, in name order.
func pairWithin(rows []datasets.PackageChangeRow, olds, news []*pkg, key func(*pkg) string) []datasets.PackageChangeRow {
	newByKey := groupBy(unpaired(news), key)
	for _, o := range olds {
		if o.paired {
			continue
		}
		k := key(o)
		cands := newByKey[k]
		if len(cands) == 0 {
			continue
		}
		n := cands[0]
		newByKey[k] = cands[1:]
		rows = append(rows, pairRow(o, n, ruleOf(o.bin, n.bin, RuleSameName)))
	}
	return rows
}

// pairUniqueFlavor pairs, within one source project, the unpaired
// packages of a flavor that each side has exactly one of.
func pairUniqueFlavor(rows []datasets.PackageChangeRow, olds, news []*pkg) []datasets.PackageChangeRow {
	flavor := func(p *pkg) string { return p.bin.Flavor }
	oldBy, newBy := groupBy(unpaired(olds), flavor), groupBy(unpaired(news), flavor)
	for _, f := range sortedKeys(oldBy) {
		if o, n := oldBy[f], newBy[f]; len(o) == 1 && len(n) == 1 {
			rows = append(rows, pairRow(o[0], n[0], ruleOf(o[0].src, n[0].src, RuleSameSource)))
		}
	}
	return rows
}

// representative is the package that stands for a source project: the
// binary whose canonical name is the project's, else the first by name.
func representative(g []*pkg) *pkg {
	for _, p := range g {
		if p.bin.Name == p.src.Name && p.bin.Flavor == "" {
			return p
		}
	}
	return g[0]
}

// ruleOf names the rules that mapped the two names; same when none did.
func ruleOf(o, n Canonical, same string) string {
	switch {
	case o.Rule == "" && n.Rule == "":
		return same
	case o.Rule == n.Rule || n.Rule == "":
		return o.Rule
	case o.Rule == "":
		return n.Rule
	}
	return o.Rule + "," + n.Rule
}

func pairRow(o, n *pkg, rule string) datasets.PackageChangeRow {
	o.paired, n.paired = true, true
	row := datasets.PackageChangeRow{
		Package: n.ref.Package, IndexArchitecture: n.ref.IndexArchitecture,
		OldVersion: o.ref.Version, NewVersion: n.ref.Version, OldSource: o.ref.Source, NewSource: n.ref.Source,
		Section: cmp.Or(n.ref.Section, o.ref.Section), Priority: cmp.Or(n.ref.Priority, o.ref.Priority),
		Essential:   o.ref.Essential || n.ref.Essential,
		OldUpstream: o.upstream, NewUpstream: n.upstream, Rule: rule,
		DependsAdded: []string{}, DependsRemoved: []string{}, DependsChanged: []string{},
	}
	if o.ref.Package != n.ref.Package {
		row.OldPackage = o.ref.Package
	}
	switch c := upstream.Compare(o.upstream, n.upstream); {
	case c < 0:
		row.Kind, row.UpstreamOrder = compare.KindUpgraded, 1
	case c > 0:
		row.Kind, row.UpstreamOrder = compare.KindDowngraded, -1
	default:
		row.Kind = compare.KindSame
	}
	return row
}

func unmatchedRow(p *pkg, old bool) datasets.PackageChangeRow {
	row := datasets.PackageChangeRow{
		Kind: KindUnmatched, Package: p.ref.Package, IndexArchitecture: p.ref.IndexArchitecture,
		Section: p.ref.Section, Priority: p.ref.Priority, Essential: p.ref.Essential,
		DependsAdded: []string{}, DependsRemoved: []string{}, DependsChanged: []string{},
	}
	if old {
		row.OldVersion, row.OldSource, row.OldUpstream = p.ref.Version, p.ref.Source, p.upstream
	} else {
		row.NewVersion, row.NewSource, row.NewUpstream = p.ref.Version, p.ref.Source, p.upstream
	}
	return row
}

func count(s *datasets.CompareSummaryRow, row *datasets.PackageChangeRow) {
	switch row.Kind {
	case compare.KindUpgraded:
		s.Upgraded++
	case compare.KindDowngraded:
		s.Downgraded++
	case compare.KindSame:
		s.Same++
	case KindUnmatched:
		s.Unmatched++
	}
}
