package imagecmp

import (
	"cmp"
	"fmt"

	"github.com/distroscope/distroscope/analysis/compare"
	"github.com/distroscope/distroscope/analysis/crossmap"
	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/version"
)

// The release comparison's kinds, which package rows take.
const (
	changeUpgraded   = compare.KindUpgraded
	changeDowngraded = compare.KindDowngraded
)

// diffPackages returns a row per package that differs. Within one
// distribution, Key is the name and Condition the architecture (B's, A's
// for a removed package); across two, Condition is empty (the rules pair
// names across architectures, as in the release comparison).
func diffPackages(a, b *Side, cross bool, rules *crossmap.Rules) ([]datasets.ImageDiffRow, error) {
	if cross {
		return crossPackages(a, b, rules)
	}
	return exactPackages(a.Packages, b.Packages)
}

type pkgKey struct{ ecosystem, name, arch string }

func keyOf(p *datasets.ImagePackageRow) pkgKey { return pkgKey{p.Ecosystem, p.Package, p.Architecture} }

// exactPackages pairs by (ecosystem, name, architecture), then pairs what
// is left by (ecosystem, name) where each side has one package of that
// name left: a package that moved between Architecture: all and a real
// architecture is one package that changed, as the release comparison
// counts it. Each pair is ordered by the ecosystem's exact comparator.
func exactPackages(as, bs []datasets.ImagePackageRow) ([]datasets.ImageDiffRow, error) {
	bByKey := make(map[pkgKey]int, len(bs))
	for i := range bs {
		bByKey[keyOf(&bs[i])] = i
	}
	pairedB := make([]bool, len(bs))
	var leftA []int
	var out []datasets.ImageDiffRow
	for i := range as {
		j, ok := bByKey[keyOf(&as[i])]
		if !ok || pairedB[j] {
			leftA = append(leftA, i)
			continue
		}
		pairedB[j] = true
		row, differs, err := pairPackages(&as[i], &bs[j])
		if err != nil {
			return nil, err
		}
		if differs {
			out = append(out, row)
		}
	}
	// What is left, by name: pairs only where the name is unambiguous.
	type nameKey struct{ ecosystem, name string }
	leftB := map[nameKey][]int{}
	for j := range bs {
		if !pairedB[j] {
			k := nameKey{bs[j].Ecosystem, bs[j].Package}
			leftB[k] = append(leftB[k], j)
		}
	}
	countA := map[nameKey]int{}
	for _, i := range leftA {
		countA[nameKey{as[i].Ecosystem, as[i].Package}]++
	}
	for _, i := range leftA {
		k := nameKey{as[i].Ecosystem, as[i].Package}
		if js := leftB[k]; len(js) == 1 && countA[k] == 1 {
			pairedB[js[0]] = true
			row, _, err := pairPackages(&as[i], &bs[js[0]])
			if err != nil {
				return nil, err
			}
			out = append(out, row)
			continue
		}
		p := &as[i]
		out = append(out, datasets.ImageDiffRow{Kind: datasets.DiffPackage, Change: ChangeRemoved, Key: p.Package,
			Condition: p.Architecture, Ecosystem: p.Ecosystem, AValue: p.Version})
	}
	for j := range bs {
		if !pairedB[j] {
			p := &bs[j]
			out = append(out, datasets.ImageDiffRow{Kind: datasets.DiffPackage, Change: ChangeAdded, Key: p.Package,
				Condition: p.Architecture, Ecosystem: p.Ecosystem, BValue: p.Version})
		}
	}
	return out, nil
}

// pairPackages classifies one pair of one ecosystem; differs is false
// when nothing but layers and file counts differ.
func pairPackages(a, b *datasets.ImagePackageRow) (datasets.ImageDiffRow, bool, error) {
	row := datasets.ImageDiffRow{Kind: datasets.DiffPackage, Key: b.Package, Condition: b.Architecture,
		Ecosystem: b.Ecosystem, AValue: a.Version, BValue: b.Version}
	cmpr, err := version.ForFormat(b.Ecosystem)
	if err != nil {
		return row, false, fmt.Errorf("imagecmp: package %s: %w", b.Package, err)
	}
	c, err := cmpr.Compare(a.Version, b.Version)
	if err != nil {
		return row, false, fmt.Errorf("imagecmp: package %s (%s): %w", b.Package, b.Architecture, err)
	}
	if a.Architecture != b.Architecture {
		row.Detail = "architecture " + a.Architecture + " → " + b.Architecture
	}
	switch {
	case c < 0:
		row.Change = changeUpgraded
	case c > 0:
		row.Change = changeDowngraded
	case a.Architecture != b.Architecture || a.Version != b.Version:
		// Equal to the comparator but not the same: another
		// architecture, or a version spelled another way (rpm's 1.0 and
		// 1.0.0 are not equal; dpkg's 1.0 and 0:1.0 are).
		row.Change = ChangeChanged
	default:
		return row, false, nil
	}
	return row, true, nil
}

// crossPackages pairs the two images' packages by the cross-distro rules
// through crossmap.Compare, which the release comparison uses, so the
// pairing, the upstream normalisation and what stays unmatched are the
// same. Pairs of equal upstream versions are kept (ChangeSameUpstream):
// across distributions, that two names and two full versions are one
// project at one version is the comparison's finding.
func crossPackages(a, b *Side, rules *crossmap.Rules) ([]datasets.ImageDiffRow, error) {
	sa, err := snapshotOf(a.Packages)
	if err != nil {
		return nil, fmt.Errorf("imagecmp: image A: %w", err)
	}
	sb, err := snapshotOf(b.Packages)
	if err != nil {
		return nil, fmt.Errorf("imagecmp: image B: %w", err)
	}
	res, err := crossmap.Compare(sa, sb, rules, compare.Options{Old: a.Partition, New: b.Partition})
	if err != nil {
		return nil, fmt.Errorf("imagecmp: %w", err)
	}
	ecoA, ecoB := ecosystemByName(a.Packages), ecosystemByName(b.Packages)
	out := make([]datasets.ImageDiffRow, 0, len(res.Changes))
	for _, c := range res.Changes {
		row := datasets.ImageDiffRow{Kind: datasets.DiffPackage, Key: c.Package, APackage: c.OldPackage,
			AValue: c.OldVersion, BValue: c.NewVersion, Rule: c.Rule}
		switch {
		case c.Kind == crossmap.KindUnmatched && c.NewVersion == "":
			row.Change, row.Ecosystem = crossmap.KindUnmatched, ecoA[c.Package]
			row.Detail = "upstream " + c.OldUpstream
		case c.Kind == crossmap.KindUnmatched:
			row.Change, row.Ecosystem = crossmap.KindUnmatched, ecoB[c.Package]
			row.Detail = "upstream " + c.NewUpstream
		default:
			row.Change = c.Kind
			if c.Kind == compare.KindSame {
				row.Change = ChangeSameUpstream
			}
			row.Ecosystem = ecoB[c.Package]
			row.Detail = "upstream " + c.OldUpstream + " → " + c.NewUpstream
		}
		out = append(out, row)
	}
	return out, nil
}

// snapshotOf holds an image's packages as a snapshot whose version format
// is each package's ecosystem (the four spell them alike).
func snapshotOf(rows []datasets.ImagePackageRow) (*compare.Snapshot, error) {
	refs := make([]compare.PackageRef, len(rows))
	for i, r := range rows {
		refs[i] = compare.PackageRef{Package: r.Package, IndexArchitecture: r.Architecture, Architecture: r.Architecture,
			Version: r.Version, Source: r.Source, SourceVersion: r.SourceVersion, Format: r.Ecosystem}
	}
	return compare.SnapshotOf(refs)
}

func ecosystemByName(rows []datasets.ImagePackageRow) map[string]string {
	m := make(map[string]string, len(rows))
	for _, r := range rows {
		m[r.Package] = cmp.Or(m[r.Package], r.Ecosystem)
	}
	return m
}
