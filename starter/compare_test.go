package main

import (
	"slices"
	"testing"
	"time"

	"github.com/distroscope/distroscope/repo/catalog"
)

func TestDefaultComparison(t *testing.T) {
	const distroInfo = "testdata/distro-info" // debian.csv: bullseye … duke, sid, experimental; ubuntu.csv: noble … resolute
	now := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	apt := func(name string, suites ...string) catalog.Entry {
		return catalog.Entry{Name: name, Suites: suites, Origin: "apt sources"}
	}
	for _, tc := range []struct {
		name    string
		entries []catalog.Entry
		dir     string
		want    []string
	}{
		{"the machine's release against the next", []catalog.Entry{apt("debian", "bookworm", "bookworm-updates", "bookworm-security")}, distroInfo,
			[]string{"debian/bookworm", "debian/trixie"}},
		{"overlays listed first are skipped", []catalog.Entry{apt("debian", "bookworm-updates", "bookworm")}, distroInfo,
			[]string{"debian/bookworm", "debian/trixie"}},
		{"a catalogue entry is not an apt source", []catalog.Entry{{Name: "fedora", Suites: []string{"40", "41"}}, apt("debian", "trixie")}, distroInfo,
			[]string{"debian/trixie", "debian/forky"}},
		{"the newest numbered release: its first two suites", []catalog.Entry{apt("debian", "duke", "duke-updates")}, distroInfo,
			[]string{"debian/duke", "debian/duke-updates"}},
		{"no distro-info data: the first two suites", []catalog.Entry{apt("debian", "bookworm", "bookworm-updates")}, t.TempDir(),
			[]string{"debian/bookworm", "debian/bookworm-updates"}},
		{"a distribution distro-info does not know", []catalog.Entry{apt("example", "stable", "stable-updates")}, distroInfo,
			[]string{"example/stable", "example/stable-updates"}},
		{"one suite and no next release", []catalog.Entry{apt("debian", "sid")}, distroInfo, nil},
		{"interim releases past their end of life are skipped", []catalog.Entry{apt("ubuntu", "noble", "noble-updates")}, distroInfo,
			[]string{"ubuntu/noble", "ubuntu/resolute"}},
		{"no apt source", []catalog.Entry{{Name: "fedora", Suites: []string{"40", "41"}}}, distroInfo, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := defaultComparison(&catalog.Catalog{Entries: tc.entries}, tc.dir, now)
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
