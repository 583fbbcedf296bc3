package formats

import (
	"slices"
	"strings"
	"time"

	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/ecosystem"
	"github.com/distroscope/distroscope/ecosystem/alpm"
)

// alpmRow maps a pacman package to a row of the packages table (format "alpm").
//
//   - Version is %VERSION% as written; Epoch, UpstreamVersion (pkgver) and
//     Revision (pkgrel) split it.
//   - Source is %BASE%, or %NAME% when the database has no %BASE%;
//     SourceVersion is Version (a split package's members share it).
//   - License joins the %LICENSE% values with " AND ", each value holding
//     " OR " or " WITH " parenthesized: pacman's licenses all apply at once
//     (Arch RFC 16 makes each value an SPDX expression).
//   - Replaces, Conflicts, Provides, Depends, MakeDepends and CheckDepends
//     are in the normal form of the deb parser ("glibc (>= 2.36)");
//     OptionalDepends keeps each value as written, reason included
//     ("python>=3.11: helper scripts").
//   - Size is %CSIZE%, InstalledSizeBytes %ISIZE% and InstalledSizeKiB
//     %ISIZE% in KiB rounded up.
//   - %PGPSIG% has no column and is left out; sections the reader does not
//     know go to Extra, their values joined by "\n".
func alpmRow(p *alpm.Package) datasets.PackageRow {
	row := datasets.PackageRow{
		Format:          string(ecosystem.ALPM),
		Package:         p.Name,
		Version:         p.Version,
		Architecture:    p.Arch,
		Source:          p.Base,
		SourceVersion:   p.Version,
		Maintainer:      p.Packager,
		Filename:        p.Filename,
		MD5sum:          p.MD5Sum,
		SHA256:          p.SHA256Sum,
		Homepage:        p.URL,
		Description:     p.Description,
		License:         alpmLicenses(p.Licenses),
		Groups:          slices.Clone(p.Groups),
		Replaces:        alpm.NormalRelations(p.Replaces),
		Conflicts:       alpm.NormalRelations(p.Conflicts),
		Provides:        alpm.NormalRelations(p.Provides),
		Depends:         alpm.NormalRelations(p.Depends),
		MakeDepends:     alpm.NormalRelations(p.MakeDepends),
		CheckDepends:    alpm.NormalRelations(p.CheckDepends),
		OptionalDepends: slices.Clone(p.OptDepends),
		Files:           slices.Clone(p.Files),
	}
	if row.Source == "" {
		row.Source = p.Name
	}
	epoch, hasEpoch, pkgver, pkgrel := alpm.SplitVersion(p.Version)
	if hasEpoch {
		row.Epoch = &epoch
	}
	row.UpstreamVersion, row.Revision = pkgver, pkgrel
	if p.CSize >= 0 {
		row.Size = p.CSize
	}
	if p.ISize >= 0 {
		row.InstalledSizeBytes = p.ISize
		row.InstalledSizeKiB = (p.ISize + 1023) / 1024
	}
	if p.BuildDate > 0 {
		row.BuildTime = time.Unix(p.BuildDate, 0).UTC()
	}
	if len(p.Extra) > 0 {
		row.Extra = make(map[string]string, len(p.Extra))
		for _, s := range p.Extra {
			row.Extra[s.Name] = strings.Join(s.Values, "\n")
		}
	}
	return row
}

func alpmLicenses(l []string) string {
	switch len(l) {
	case 0:
		return ""
	case 1:
		return l[0]
	}
	parts := make([]string, len(l))
	for i, s := range l {
		if strings.Contains(s, " OR ") || strings.Contains(s, " WITH ") {
			s = "(" + s + ")"
		}
		parts[i] = s
	}
	return strings.Join(parts, " AND ")
}
