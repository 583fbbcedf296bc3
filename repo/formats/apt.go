package formats

import (
	"context"
	"io"

	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/ecosystem"
	"github.com/distroscope/distroscope/ecosystem/deb"
	"github.com/distroscope/distroscope/repo"
)

// Apt is the apt repository format as a repo.Source.
type Apt struct{}

var _ repo.Source = Apt{}

// Parse implements repo.Source: a Packages index, stanza by stanza.
func (Apt) Parse(ctx context.Context, r io.Reader, name string, ix repo.Index, emit func(*datasets.PackageRow) error) error {
	pr := deb.NewPackagesReader(r, name)
	var row datasets.PackageRow
	for {
		p, err := pr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		aptRow(&row, p)
		if err := emit(&row); err != nil {
			return err
		}
	}
}

// aptRow sets every column of row from a Packages stanza. The parser overwrites its
// Package on the next call but never the strings and slices it points to, so
// the row may share them.
func aptRow(row *datasets.PackageRow, p *deb.Package) {
	*row = datasets.PackageRow{

		Package: p.Package, Version: p.Version, Architecture: p.Architecture,
		Source: p.Source, SourceVersion: p.SourceVersion,
		Section: p.Section, Priority: p.Priority,
		Essential: p.Essential, Protected: p.Protected, BuildEssential: p.BuildEssential,
		MultiArch: p.MultiArch, Maintainer: p.Maintainer, OriginalMaintainer: p.OriginalMaintainer,
		InstalledSizeKiB: p.InstalledSize, Size: p.Size,
		Filename: p.Filename, MD5sum: p.MD5sum, SHA256: p.SHA256,
		Homepage: p.Homepage, Description: p.Description, DescriptionMD5: p.DescriptionMD5, Tag: p.Tag,
		Depends: p.Depends, PreDepends: p.PreDepends,
		Recommends: p.Recommends, Suggests: p.Suggests,
		Enhances: p.Enhances, Conflicts: p.Conflicts,
		Breaks: p.Breaks, Provides: p.Provides,
		Replaces: p.Replaces, BuiltUsing: p.BuiltUsing,
		StaticBuiltUsing: p.StaticBuiltUsing,
	}
	row.Format = string(ecosystem.Deb)
	epoch, hasEpoch, upstream, revision := deb.SplitVersion(p.Version)
	if hasEpoch {
		row.Epoch = &epoch
	}
	row.UpstreamVersion, row.Revision = upstream, revision
	if len(p.Extra) > 0 {
		row.Extra = make(map[string]string, len(p.Extra))
		for _, f := range p.Extra {
			row.Extra[f.Name] = f.Value
		}
	}
}
