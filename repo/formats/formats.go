// Package formats is every repository format distroscope reads, each a
// repo.Source in its own file — apt.go, rpmmd.go, apk.go, alpm.go — with
// the mapping of its ecosystem's records to packages rows beside it
// (*_row.go), and this file, the one registry of them. Registration is
// explicit — no init() side effects — so what is supported is what the
// registry says; a new format is one file pair and one line here.
//
// The readers the formats use are pure and live under ecosystem/; what is
// shared by every format (fetching, verifying sizes and hashes,
// decompression, the streaming ingest) lives in package repo.
package formats

import (
	"fmt"

	"github.com/distroscope/distroscope/ecosystem"
	"github.com/distroscope/distroscope/repo"
)

// Format is one registered repository format: its name, the ecosystem
// whose packages its indexes list, and its Source.
type Format struct {
	Name      repo.Format
	Ecosystem ecosystem.Name
	Source    repo.Source
}

// registry lists the formats in a stable order.
var registry = []Format{
	{repo.FormatApt, ecosystem.Deb, Apt{}},
	{repo.FormatRPMMD, ecosystem.RPM, RPMMD{}},
	{repo.FormatAPK, ecosystem.APK, APK{}},
	{repo.FormatALPM, ecosystem.ALPM, ALPM{}},
}

// Lookup returns the registered format f ("" means apt).
func Lookup(f repo.Format) (Format, error) {
	if f == "" {
		f = repo.FormatApt
	}
	for _, r := range registry {
		if r.Name == f {
			return r, nil
		}
	}
	return Format{}, repo.Invalid(fmt.Errorf("formats: unknown repository format %q (known: %v)", f, Names()))
}

// For returns the Source of format f ("" means apt).
func For(f repo.Format) (repo.Source, error) {
	r, err := Lookup(f)
	return r.Source, err
}

// All lists the registered formats.
func All() []Format { return append([]Format(nil), registry...) }

// Names lists the registered formats' names, in registry order.
func Names() []string {
	out := make([]string, len(registry))
	for i, r := range registry {
		out[i] = string(r.Name)
	}
	return out
}
