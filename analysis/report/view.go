package report

import (
	"fmt"

	"github.com/distroscope/distroscope/datasets"
)

// view is what the HTML and Markdown templates render: the derived tables
// cut to MaxRows, the charts laid out, the counts named.
type view struct {
	Title          string
	Old, New       datasets.Partition
	Summary        datasets.CompareSummaryRow
	Counts         []count
	Charts         []chart
	Downgrades     capped[*datasets.PackageChangeRow]
	Sections       capped[Tally]
	Priorities     capped[Tally]
	Jumps          capped[Jump]
	Deps           capped[*datasets.PackageChangeRow]
	Essential      capped[*datasets.PackageChangeRow]
	ShowLag        bool
	Lag            capped[Lag]
	Unmatched      capped[*datasets.PackageChangeRow]
	Sources        capped[sourceRow]
	NoSources      string // why there is no source table, when there is none
	CSVLocation    string
	ChangesDataset string
	MaxRows        int
}

// sourceBinaries is how many binary names a source's row shows; the rest
// are counted.
const sourceBinaries = 3

// sourceRow is a changed source as the tables show it: its first few
// binaries named and the rest counted, because a source such as the
// kernel or LibreOffice builds hundreds. (The row's fields are copied,
// not embedded: templates look embedded fields up by a slow path.)
type sourceRow struct {
	Source, Kind           string
	Rebuild                bool
	OldVersion, NewVersion string
	Changed                int64
	Binaries               int
	Shown                  []string
	More                   int
}

func sourceRows(sources []*datasets.SourceChangeRow) []sourceRow {
	out := make([]sourceRow, len(sources))
	for i, s := range sources {
		n := min(len(s.Binaries), sourceBinaries)
		out[i] = sourceRow{Source: s.Source, Kind: s.Kind, Rebuild: s.Rebuild, OldVersion: s.OldVersion, NewVersion: s.NewVersion,
			Changed: ChangedPairs(s), Binaries: len(s.Binaries), Shown: s.Binaries[:n], More: len(s.Binaries) - n}
	}
	return out
}

// count is one headline number; Key names its DOM id ("count-" + Key).
type count struct {
	Key, Label string
	N          int64
}

// capped is a table cut to at most MaxRows rows; CSV names the file that
// has all Total rows.
type capped[T any] struct {
	Rows  []T
	Total int
	CSV   string
	ID    string // DOM id of the table's section
}

func (c capped[T]) Cut() bool { return len(c.Rows) < c.Total }

func cut[T any](rows []T, max int, csv, id string) capped[T] {
	c := capped[T]{Rows: rows, Total: len(rows), CSV: csv, ID: id}
	if len(rows) > max {
		c.Rows = rows[:max]
	}
	return c
}

func snapshotName(p datasets.Partition) string {
	return p.Distro + "/" + p.Release + " (" + p.Snapshot + ")"
}

func newView(r *Report) view {
	d := &r.d
	s := d.Summary
	v := view{
		Title:   title(d.Old, d.New),
		Old:     d.Old,
		New:     d.New,
		Summary: s,
		Counts: []count{
			{"added", "added", s.Added},
			{"removed", "removed", s.Removed},
			{"upgraded", "upgraded", s.Upgraded},
			{"rebuilds", "of which rebuilds", s.Rebuilds},
			{"downgraded", "downgraded", s.Downgraded},
			{"same", "same version", s.Same},
			{"depends-changed", "dependencies changed", s.DependsDelta},
		},
		Downgrades:     cut(r.downgrades, d.MaxRows, CSVDowngrades, "downgrades"),
		Sections:       cut(r.bySection, d.MaxRows, CSVBySection, "by-section"),
		Priorities:     cut(r.byPriority, d.MaxRows, CSVByPriority, "by-priority"),
		Jumps:          cut(d.Jumps, d.MaxRows, CSVLargestJumps, "largest-jumps"),
		Deps:           cut(r.deps, d.MaxRows, CSVDependencyChanges, "dependency-changes"),
		Essential:      cut(r.essential, d.MaxRows, CSVEssentialChanges, "essential-changes"),
		ShowLag:        r.showLag,
		Lag:            cut(r.lag, d.MaxRows, CSVLag, "lag"),
		Unmatched:      cut(r.orphan, d.MaxRows, CSVUnmatched, "unmatched"),
		CSVLocation:    d.CSVLocation,
		ChangesDataset: d.ChangesDataset,
		MaxRows:        d.MaxRows,
	}
	v.Sources = capped[sourceRow]{Rows: sourceRows(r.sources), Total: r.changedSources, CSV: CSVSources, ID: "source-changes"}
	switch {
	case s.CrossDistro:
		v.NoSources = "Source packages are not rolled up across distributions: the two sides name their source packages in different schemes."
	case len(d.Sources) == 0:
		v.NoSources = "This comparison has no source package roll-up."
	}
	if s.CrossDistro || s.Unmatched > 0 {
		v.Counts = append(v.Counts, count{"unmatched", "unmatched", s.Unmatched})
	}
	v.Charts = []chart{
		layoutChart("chart-section", "Changes by section", r.bySection),
		layoutChart("chart-priority", "Changes by priority", r.byPriority),
	}
	return v
}

// Chart geometry, in SVG user units (CSS pixels at 100%).
const (
	chartBars     = 20 // groups drawn; the rest are in the table and CSV
	chartLabelW   = 150
	chartBarW     = 460
	chartCountW   = 60
	chartRowH     = 22
	chartBarH     = 16
	chartLegendH  = 26
	chartMinWidth = 1 // a non-zero count is at least this wide
)

// chartKinds are the stacked segments, in drawing order.
var chartKinds = []string{KindAdded, KindRemoved, KindUpgraded, KindDowngraded}

type chart struct {
	ID, Title     string
	Width, Height int
	Bars          []bar
	Legend        []legend
	More          int // groups with changes not drawn
}

type bar struct {
	Label      string
	Y, TextY   int
	Segments   []segment
	Total      int64
	TotalX     int
	LabelTitle string
}

type segment struct {
	Kind string
	X, W int
	N    int64
}

type legend struct {
	Kind string
	X    int
}

// layoutChart draws the groups with changes as horizontal bars stacked by
// kind, all on one scale (the largest group fills the bar width).
func layoutChart(id, title string, tallies []Tally) chart {
	c := chart{ID: id, Title: title, Width: chartLabelW + chartBarW + chartCountW}
	for i, k := range chartKinds {
		c.Legend = append(c.Legend, legend{Kind: k, X: chartLabelW + i*110})
	}
	var most int64
	var drawn []Tally
	for _, t := range tallies {
		if t.Changed() == 0 {
			continue
		}
		if len(drawn) == chartBars {
			c.More++
			continue
		}
		drawn = append(drawn, t)
		most = max(most, t.Changed())
	}
	for i, t := range drawn {
		y := chartLegendH + i*chartRowH
		b := bar{Label: t.Key, Y: y, TextY: y + chartBarH - 3, Total: t.Changed()}
		x := chartLabelW
		for _, k := range chartKinds {
			n := map[string]int64{KindAdded: t.Added, KindRemoved: t.Removed, KindUpgraded: t.Upgraded, KindDowngraded: t.Downgraded}[k]
			if n == 0 {
				continue
			}
			w := max(int(n*chartBarW/most), chartMinWidth)
			b.Segments = append(b.Segments, segment{Kind: k, X: x, W: w, N: n})
			x += w
		}
		b.TotalX = x + 6
		c.Bars = append(c.Bars, b)
	}
	c.Height = chartLegendH + max(len(c.Bars), 1)*chartRowH + 4
	return c
}

// title names the comparison by what differs: releases, or the snapshots
// of one release.
func title(old, new datasets.Partition) string {
	if old.Distro == new.Distro && old.Release == new.Release {
		return fmt.Sprintf("%s/%s: %s → %s", old.Distro, old.Release, old.Snapshot, new.Snapshot)
	}
	return fmt.Sprintf("%s/%s → %s/%s", old.Distro, old.Release, new.Distro, new.Release)
}
