package catalog

import (
	"slices"
	"testing"
	"time"
)

func TestDefaultComparison(t *testing.T) {
	const distroInfo = "testdata/distro-info" // debian.csv: bullseye … duke, sid, experimental; ubuntu.csv: noble … resolute
	now := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	apt := func(name string, suites ...string) Entry {
		return Entry{Name: name, Suites: suites, Origin: "apt sources"}
	}
	for _, tc := range []struct {
		name    string
		entries []Entry
		dir     string
		want    []string
	}{
		{"the machine's release against the next", []Entry{apt("debian", "bookworm", "bookworm-updates", "bookworm-security")}, distroInfo,
			[]string{"debian/bookworm", "debian/trixie"}},
		{"overlays listed first are skipped", []Entry{apt("debian", "bookworm-updates", "bookworm")}, distroInfo,
			[]string{"debian/bookworm", "debian/trixie"}},
		{"a catalogue entry is not an apt source", []Entry{{Name: "fedora", Suites: []string{"40", "41"}}, apt("debian", "trixie")}, distroInfo,
			[]string{"debian/trixie", "debian/forky"}},
		{"the newest numbered release: its first two suites", []Entry{apt("debian", "duke", "duke-updates")}, distroInfo,
			[]string{"debian/duke", "debian/duke-updates"}},
		{"no distro-info data: the first two suites", []Entry{apt("debian", "bookworm", "bookworm-updates")}, t.TempDir(),
			[]string{"debian/bookworm", "debian/bookworm-updates"}},
		{"a distribution distro-info does not know", []Entry{apt("example", "stable", "stable-updates")}, distroInfo,
			[]string{"example/stable", "example/stable-updates"}},
		{"one suite and no next release", []Entry{apt("debian", "sid")}, distroInfo, nil},
		{"interim releases past their end of life are skipped", []Entry{apt("ubuntu", "noble", "noble-updates")}, distroInfo,
			[]string{"ubuntu/noble", "ubuntu/resolute"}},
		{"no apt source", []Entry{{Name: "fedora", Suites: []string{"40", "41"}}}, distroInfo, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := DefaultComparison(&Catalog{Entries: tc.entries}, tc.dir, now)
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// The default comparison of a machine whose apt sources are the fixture's:
// the catalogue Load builds from them names the entry "debian".
func TestDefaultComparisonFromAptSources(t *testing.T) {
	c, err := Load("", "testdata/aptroot-deb822")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	if got, want := DefaultComparison(c, "testdata/distro-info", now), []string{"debian/bookworm", "debian/trixie"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}
