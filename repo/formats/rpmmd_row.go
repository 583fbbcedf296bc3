package formats

import (
	"strconv"
	"strings"
	"time"

	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/ecosystem"
	"github.com/distroscope/distroscope/ecosystem/rpm"
)

// rpmRow maps an rpm-md package into a row of the packages table. Component and
// IndexArchitecture are the caller's (the repository and the architecture
// it was read for). The choices:
//
//   - Version is "[epoch:]version-release", the epoch only when not 0 (see
//     EVR.String); Epoch is set whenever the version element has an epoch
//     attribute, which createrepo always writes, so it is 0, not null, for
//     packages without one.
//   - Source and SourceVersion ("version-release") come from the source rpm's
//     file name, split from the right; a source rpm's name carries no
//     epoch, so neither does SourceVersion. A source package (arch "src")
//     is its own source.
//   - Description is the one-line summary, as deb rows hold the synopsis;
//     Groups holds the rpm group, Maintainer the packager, Homepage the URL.
//   - Size is the .rpm's size; InstalledSizeBytes the installed size and
//     InstalledSizeKiB that rounded up, as dpkg counts Installed-Size.
//   - SHA256 is the pkgid when its type is sha256; another type goes to
//     Checksum as "type:hex" (e.g. "sha1:…").
//   - Relationships are rendered by Dependency.String: "name (op evr)" with
//     dpkg's operators (>= <= = << >>). Requires marked pre="1" (needed by
//     the install scriptlets: Requires(pre), Requires(post), PreReq) go to
//     PreDepends, the column for what must be there before the package is
//     installed, and the rest to Depends; together they are every
//     requirement primary lists. rpmlib(...) requirements are kept as
//     written (createrepo_c leaves them out of primary). Provides,
//     Conflicts, Obsoletes, Recommends, Suggests and Enhances map to their
//     columns.
//   - Extra holds what has no column: "Supplements" (clauses joined with
//     ", "), "Vendor", "Buildhost" and "Location-Base", when not empty.
//   - Files is the file list when one was read (JoinFilelists or
//     WithPrimaryFiles), paths only.
func rpmRow(p *rpm.Package) datasets.PackageRow {
	r := datasets.PackageRow{
		Format:             string(ecosystem.RPM),
		Package:            p.Name,
		Version:            p.Version.String(),
		Architecture:       p.Arch,
		Source:             p.SourceName,
		SourceVersion:      p.SourceVersion,
		UpstreamVersion:    p.Version.Version,
		Revision:           p.Version.Release,
		Maintainer:         p.Packager,
		Homepage:           p.URL,
		Description:        p.Summary,
		License:            p.License,
		Size:               p.PackageSize,
		InstalledSizeBytes: p.InstalledSize,
		InstalledSizeKiB:   (p.InstalledSize + 1023) / 1024,
		Filename:           p.Location,
		Provides:           rpmClauses(p.Provides),
		Conflicts:          rpmClauses(p.Conflicts),
		Obsoletes:          rpmClauses(p.Obsoletes),
		Recommends:         rpmClauses(p.Recommends),
		Suggests:           rpmClauses(p.Suggests),
		Enhances:           rpmClauses(p.Enhances),
	}
	if r.Source == "" {
		r.Source = p.Name
	}
	if p.Version.Epoch != "" {
		if e, err := strconv.ParseInt(p.Version.Epoch, 10, 64); err == nil {
			r.Epoch = &e
		}
	}
	if p.Group != "" {
		r.Groups = []string{p.Group}
	}
	if p.BuildTime > 0 {
		r.BuildTime = time.Unix(p.BuildTime, 0).UTC()
	}
	if p.Checksum.Type == "sha256" {
		r.SHA256 = p.Checksum.Value
	} else if p.Checksum.Type != "" {
		r.Checksum = p.Checksum.Type + ":" + p.Checksum.Value
	}
	var pre, other int
	for _, d := range p.Requires {
		if d.Pre {
			pre++
		} else {
			other++
		}
	}
	if other > 0 {
		r.Depends = make([]string, 0, other)
	}
	if pre > 0 {
		r.PreDepends = make([]string, 0, pre)
	}
	for _, d := range p.Requires {
		if d.Pre {
			r.PreDepends = append(r.PreDepends, d.String())
		} else {
			r.Depends = append(r.Depends, d.String())
		}
	}
	for _, kv := range [...][2]string{
		{"Supplements", strings.Join(rpmClauses(p.Supplements), ", ")},
		{"Vendor", p.Vendor},
		{"Buildhost", p.BuildHost},
		{"Location-Base", p.LocationBase},
	} {
		if kv[1] != "" {
			if r.Extra == nil {
				r.Extra = make(map[string]string, 4)
			}
			r.Extra[kv[0]] = kv[1]
		}
	}
	if len(p.Files) > 0 {
		r.Files = make([]string, len(p.Files))
		for i, f := range p.Files {
			r.Files[i] = f.Path
		}
	}
	return r
}

func rpmClauses(deps []rpm.Dependency) []string {
	if len(deps) == 0 {
		return nil
	}
	out := make([]string, len(deps))
	for i, d := range deps {
		out[i] = d.String()
	}
	return out
}
