package formats

import (
	"strconv"
	"strings"
	"time"

	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/ecosystem"
	"github.com/distroscope/distroscope/ecosystem/apk"
)

// apkRow maps an APKINDEX entry to a row of the packages table (format "apk").
//
//   - Version is V as written, Epoch null (apk has none); UpstreamVersion
//     and Revision split V at "-r": Revision is the build number alone
//     ("2" for "-r2"), as pacman's pkgrel is, so that revisions compare
//     as numbers across formats.
//   - Source is o (the origin aport), or P when there is none;
//     SourceVersion is V (an aport's subpackages share its version).
//   - Depends are the D entries without '!', Conflicts those with it;
//     Provides is p and InstallIf is i (an entry of i with '!' keeps it).
//     All are in the deb parser's normal form: "so:libc.musl-x86_64.so.1",
//     "alpine-baselayout-data (= 3.4.3-r1)".
//   - Size is S, InstalledSizeBytes I and InstalledSizeKiB I in KiB rounded
//     up; BuildTime is t; Checksum is C.
//   - Extra holds c as "commit", k as "provider_priority", and any other
//     letter under its own name (values of a repeated letter joined by
//     "\n").
//
// The index does not name the package file: Filename stays empty.
func apkRow(p *apk.Package) datasets.PackageRow {
	row := datasets.PackageRow{
		Format:             string(ecosystem.APK),
		Package:            p.Name,
		Version:            p.Version,
		Architecture:       p.Arch,
		Source:             p.Origin,
		SourceVersion:      p.Version,
		Maintainer:         p.Maintainer,
		Homepage:           p.URL,
		License:            p.License,
		Description:        p.Description,
		Size:               p.Size,
		InstalledSizeBytes: p.InstalledSize,
		InstalledSizeKiB:   (p.InstalledSize + 1023) / 1024,
		Checksum:           p.Checksum,
	}
	if row.Source == "" {
		row.Source = p.Name
	}
	row.UpstreamVersion, row.Revision = apk.SplitVersion(p.Version)
	if p.BuildTime > 0 {
		row.BuildTime = time.Unix(p.BuildTime, 0).UTC()
	}
	for _, d := range p.Depends {
		if d.Conflict {
			row.Conflicts = append(row.Conflicts, d.String())
		} else {
			row.Depends = append(row.Depends, d.String())
		}
	}
	for _, d := range p.Provides {
		row.Provides = append(row.Provides, apkBang(d)+d.String())
	}
	for _, d := range p.InstallIf {
		row.InstallIf = append(row.InstallIf, apkBang(d)+d.String())
	}
	extra := map[string]string{}
	if p.Commit != "" {
		extra["commit"] = p.Commit
	}
	if p.HasProviderPriority {
		extra["provider_priority"] = strconv.FormatInt(p.ProviderPriority, 10)
	}
	// A repeated letter's values are gathered, then joined once: joining
	// as they come copied the growing value for each line, quadratic in a
	// record of hundreds of lines of one letter.
	var repeated map[string][]string
	for _, f := range p.Extra {
		if v, ok := extra[f.Name]; ok {
			if repeated == nil {
				repeated = map[string][]string{}
			}
			if repeated[f.Name] == nil {
				repeated[f.Name] = []string{v}
			}
			repeated[f.Name] = append(repeated[f.Name], f.Value)
			continue
		}
		extra[f.Name] = f.Value
	}
	for name, values := range repeated {
		extra[name] = strings.Join(values, "\n")
	}
	if len(extra) > 0 {
		row.Extra = extra
	}
	return row
}

func apkBang(d apk.Dependency) string {
	if d.Conflict {
		return "!"
	}
	return ""
}
