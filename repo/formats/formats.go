// Package formats lists every repository format distroscope reads, in one
// place: the activities ask it for the repo.Source of a spec's format.
// Registration is explicit — no init() side effects — so what is supported
// is what this file says.
package formats

import (
	"fmt"
	"sort"

	"github.com/distroscope/distroscope/aptrepo"
	"github.com/distroscope/distroscope/repo"
)

var sources = map[repo.Format]repo.Source{
	repo.FormatApt:   aptrepo.Apt{},
	repo.FormatRPMMD: RPMMD{},
	repo.FormatALPM:  ALPM{},
	repo.FormatAPK:   APK{},
}

// For returns the Source of format f ("" means apt).
func For(f repo.Format) (repo.Source, error) {
	if f == "" {
		f = repo.FormatApt
	}
	s, ok := sources[f]
	if !ok {
		return nil, repo.Invalid(fmt.Errorf("formats: unknown repository format %q (known: %v)", f, Names()))
	}
	return s, nil
}

// Names lists the known formats, sorted.
func Names() []string {
	var out []string
	for f := range sources {
		out = append(out, string(f))
	}
	sort.Strings(out)
	return out
}
