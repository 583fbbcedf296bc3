package imagecmp

import (
	"fmt"
	"slices"

	"github.com/distroscope/distroscope/analysis/crossmap"
	"github.com/distroscope/distroscope/datasets"
)

// Side is one analysed image, as analysis/image committed it (see Load).
type Side struct {
	Summary   datasets.ImageSummaryRow
	Partition datasets.Partition
	Packages  []datasets.ImagePackageRow
	Files     []datasets.ImageFileRow
	Settings  []datasets.ConfigSettingRow
}

// Options tune Diff.
type Options struct {
	// Rules pair packages of two distributions; nil is
	// crossmap.DefaultRules(), as in the release comparison.
	Rules *crossmap.Rules
}

// Result is one comparison of image A with image B.
type Result struct {
	// Diffs are ordered by datasets.CompareImageDiffRows.
	Diffs   []datasets.ImageDiffRow
	Summary datasets.ImageCompareSummaryRow
	// Partition is where the comparison is committed:
	// datasets.ImageComparePartition of the two analyses'.
	Partition datasets.Partition
}

// Change values of an ImageDiffRow beyond the release comparison's kinds.
const (
	// ChangeAdded and ChangeRemoved: only B, only A has the thing.
	ChangeAdded   = "added"
	ChangeRemoved = "removed"
	// ChangeChanged: both have it and it differs (a file's state, a
	// setting's value, a package's architecture at one version).
	ChangeChanged = "changed"
	// ChangeSameUpstream: two distributions' packages paired by the rules
	// whose upstream versions are equal (their full versions are not).
	ChangeSameUpstream = "same-upstream"
)

// Diff compares image a with image b. A package, file or setting only b
// has is "added", only a "removed".
func Diff(a, b *Side, opts Options) (Result, error) {
	if a == nil || b == nil {
		return Result{}, fmt.Errorf("imagecmp: compare needs two images")
	}
	if opts.Rules == nil {
		opts.Rules = crossmap.DefaultRules()
	}
	res := Result{Partition: datasets.ImageComparePartition(a.Partition, b.Partition)}
	cross := crossDistro(a, b)
	pkgs, err := diffPackages(a, b, cross, opts.Rules)
	if err != nil {
		return Result{}, err
	}
	res.Diffs = slices.Concat(pkgs, diffFiles(a.Files, b.Files), diffSettings(a.Settings, b.Settings))
	slices.SortStableFunc(res.Diffs, func(x, y datasets.ImageDiffRow) int { return datasets.CompareImageDiffRows(&x, &y) })
	res.Summary = summarize(a, b, cross, res.Diffs)
	return res, nil
}

// crossDistro tells whether the packages are compared by the cross-distro
// rules: the images' os-release IDs differ (the partitions' distro,
// "unknown" without one), or they share no ecosystem — two trees without
// os-release, one of rpm and one of apk packages, have no exact order in
// common either.
func crossDistro(a, b *Side) bool {
	if a.Partition.Distro != b.Partition.Distro {
		return true
	}
	if len(a.Packages) == 0 || len(b.Packages) == 0 {
		return false
	}
	for _, e := range ecosystems(a.Packages) {
		if slices.Contains(ecosystems(b.Packages), e) {
			return false
		}
	}
	return true
}

func ecosystems(rows []datasets.ImagePackageRow) []string {
	var out []string
	for _, r := range rows {
		if !slices.Contains(out, r.Ecosystem) {
			out = append(out, r.Ecosystem)
		}
	}
	return out
}

func summarize(a, b *Side, cross bool, diffs []datasets.ImageDiffRow) datasets.ImageCompareSummaryRow {
	s := datasets.ImageCompareSummaryRow{
		AKey: a.Partition.Snapshot, BKey: b.Partition.Snapshot, ARef: a.Summary.Ref, BRef: b.Summary.Ref,
		ADistro: a.Partition.Distro, ARelease: a.Partition.Release, BDistro: b.Partition.Distro, BRelease: b.Partition.Release,
		CrossDistro: cross, AInit: initSystem(a.Settings), BInit: initSystem(b.Settings),
	}
	for _, d := range diffs {
		switch d.Kind {
		case datasets.DiffPackage:
			s.Packages++
			switch d.Change {
			case ChangeAdded:
				s.Added++
			case ChangeRemoved:
				s.Removed++
			case changeUpgraded:
				s.Upgraded++
			case changeDowngraded:
				s.Downgraded++
			}
		case datasets.DiffFile:
			s.Files++
		case datasets.DiffSetting:
			s.Settings++
		case datasets.DiffService:
			s.Services++
		}
	}
	return s
}
