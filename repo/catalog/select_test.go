package catalog

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/distroscope/distroscope/repo"
)

// brief renders the parts of a Spec a selection decides, one line a spec,
// with the apt root written {root}.
func brief(specs []repo.Spec, root string) string {
	var lines []string
	for _, s := range specs {
		line := fmt.Sprintf("%s %s comps=%s archs=%s keys=%s", s.Suite, s.Mirror, strings.Join(s.Components, ","),
			strings.Join(s.Architectures, ","), strings.Join(s.SignedBy, ","))
		if s.Distro != "" {
			line = s.Distro + "/" + line
		}
		if s.AllowUnsigned {
			line += " unsigned"
		}
		if s.AllowExpired {
			line += " expired"
		}
		if s.CompressionOrder != nil {
			line += fmt.Sprintf(" compression=%v", s.CompressionOrder)
		}
		if s.AptRoot != root {
			line += " aptroot=" + s.AptRoot
		}
		lines = append(lines, line)
	}
	return strings.ReplaceAll(strings.Join(lines, "\n"), root, "{root}")
}

func TestFromMachine(t *testing.T) {
	const key = "keys={root}/usr/share/keyrings/debian-archive-keyring.gpg"
	for _, tc := range []struct {
		name, root string
		o          Overrides
		want       string
		notes      string
	}{
		{"the first deb entry's suites, its components and Signed-By", "aptroot-deb822", Overrides{},
			"bookworm http://mirror.example.org/debian comps=main,contrib archs={arch} " + key + "\n" +
				"bookworm-updates http://mirror.example.org/debian comps=main,contrib archs={arch} " + key, ""},
		{"a suite of another entry comes from that entry", "aptroot-deb822", Overrides{Suites: []string{"bookworm-security"}},
			"bookworm-security http://mirror.example.org/debian-security/ comps=main archs=amd64,arm64 " + key, ""},
		{"a suite no entry lists: the first entry's mirror and keyring, not its components", "aptroot-deb822", Overrides{Suites: []string{"trixie"}},
			"trixie http://mirror.example.org/debian comps=main archs={arch} " + key,
			"trixie: not in the apt sources; using the mirror and keyring of {root}/etc/apt/sources.list.d/debian.sources:1"},
		{"components given for such a suite", "aptroot-deb822", Overrides{Suites: []string{"trixie"}, Components: []string{"main", "non-free-firmware"}},
			"trixie http://mirror.example.org/debian comps=main,non-free-firmware archs={arch} " + key, "trixie: not in the apt sources; using the mirror and keyring of {root}/etc/apt/sources.list.d/debian.sources:1"},
		{"another mirror takes nothing from the entry", "aptroot-deb822", Overrides{Suites: []string{"bookworm"}, Mirror: "http://other.example.org/debian"},
			"bookworm http://other.example.org/debian comps=main archs={arch} keys=", ""},
		{"the same mirror spelt with a slash still matches", "aptroot-deb822", Overrides{Suites: []string{"bookworm-security"}, Mirror: "http://mirror.example.org/debian-security"},
			"bookworm-security http://mirror.example.org/debian-security comps=main archs=amd64,arm64 " + key, ""},
		{"overrides replace the entry's values", "aptroot-deb822", Overrides{Suites: []string{"bookworm"}, Architectures: []string{"riscv64"}, Keyring: []string{"/k.gpg"},
			AllowExpired: true, Compression: []repo.Compression{"xz"}},
			"bookworm http://mirror.example.org/debian comps=main,contrib archs=riscv64 keys=/k.gpg expired compression=[xz]", ""},
		{"one-line entries: arch= and trusted=yes; deb-src is not a source", "aptroot-list", Overrides{},
			"noble http://mirror.example.org/ubuntu-ports comps=main,universe archs=arm64 keys= unsigned", ""},
		{"no apt sources, suite and mirror given", "aptroot-src-only", Overrides{Suites: []string{"sid"}, Mirror: "http://mirror.example.org/debian"},
			"sid http://mirror.example.org/debian comps=main archs={arch} keys=", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := filepath.Join("testdata", tc.root)
			specs, notes, err := FromMachine(root, tc.o)
			if err != nil {
				t.Fatal(err)
			}
			// {arch} is this machine's architecture, the last default.
			if got, want := brief(specs, root), strings.ReplaceAll(tc.want, "{arch}", MachineArch()); got != want {
				t.Errorf("got\n%s\nwant\n%s", got, want)
			}
			if got := strings.ReplaceAll(strings.Join(notes, "\n"), root, "{root}"); got != tc.notes {
				t.Errorf("notes %q, want %q", got, tc.notes)
			}
		})
	}
}

func TestFromMachineSaysWhatIsMissing(t *testing.T) {
	for _, tc := range []struct {
		name, root string
		o          Overrides
		want       string
	}{
		{"no deb entry, no suite", "aptroot-src-only", Overrides{}, "no suite given and no deb entry in the apt sources under testdata/aptroot-src-only"},
		{"no deb entry, no mirror", "aptroot-src-only", Overrides{Suites: []string{"sid"}}, "suite sid: no deb entry in the apt sources; give a mirror"},
		{"unreadable sources, no suite", "aptroot-broken", Overrides{}, `no suite given and the apt sources cannot be read: aptsources: testdata/aptroot-broken/etc/apt/sources.list line 1: "deb" entry needs a URI`},
		{"unreadable sources, no mirror", "aptroot-broken", Overrides{Suites: []string{"sid"}}, "suite sid: no mirror given and the apt sources cannot be read"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := FromMachine(filepath.Join("testdata", tc.root), tc.o)
			if err == nil || !strings.HasPrefix(err.Error(), "catalog: ") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestSelect(t *testing.T) {
	c := parseFile(t, "sources.yaml")
	const root = "/apt-root"
	key := "keys=" + filepath.Join("testdata", "fixture-keyring.gpg")
	for _, tc := range []struct {
		name string
		refs []string
		o    Overrides
		want string
	}{
		{"one suite", []string{"debian/trixie"}, Overrides{},
			"trixie https://mirror.example.org/debian comps=main,contrib archs=amd64,arm64 " + key},
		{"every suite of two sources, in order", []string{"alpine", "fedora/41"}, Overrides{},
			"alpine/v3.20 https://mirror.example.org/alpine comps=main,community archs=x86_64 keys=\n" +
				"alpine/edge https://mirror.example.org/alpine comps=main,community archs=x86_64 keys=\n" +
				"fedora/41 https://mirror.example.org/fedora/linux comps=Everything archs=x86_64,aarch64 keys="},
		{"per-architecture mirrors are separate snapshots", []string{"ubuntu/noble"}, Overrides{},
			"noble https://mirror.example.org/ubuntu comps=main,universe archs=amd64 keys=\n" +
				"noble https://ports.example.org/ubuntu-ports comps=main,universe archs=arm64 keys="},
		{"overrides win, opt-outs add", []string{"debian/bookworm"}, Overrides{Mirror: "http://local.example.org/debian", Components: []string{"main"},
			Architectures: []string{"i386"}, Keyring: []string{"/k.gpg"}, AllowUnsigned: true, AllowExpired: true, Compression: []repo.Compression{"gz"}},
			"bookworm http://local.example.org/debian comps=main archs=i386 keys=/k.gpg unsigned expired compression=[gz]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			specs, err := c.Select(tc.refs, root, tc.o)
			if err != nil {
				t.Fatal(err)
			}
			if got := brief(specs, root); got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
	for _, tc := range []struct {
		refs []string
		o    Overrides
		want string
	}{
		{[]string{"gentoo/current"}, Overrides{}, `no source called "gentoo"`},
		{[]string{"fedora/41"}, Overrides{Suites: []string{"40"}}, "give suites in the reference (fedora/SUITE) or as an override, not both"},
	} {
		if _, err := c.Select(tc.refs, root, tc.o); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v %+v: err = %v, want %q", tc.refs, tc.o, err, tc.want)
		}
	}
}

func TestSnapshotSpecAndRefs(t *testing.T) {
	c := parseFile(t, "sources.yaml")
	for _, tc := range []struct {
		ref  string
		want string // "" when no single snapshot
	}{
		{"debian/trixie", "trixie https://mirror.example.org/debian comps=main,contrib archs=amd64,arm64 keys=testdata/fixture-keyring.gpg"},
		{"fedora/40", "fedora/40 https://mirror.example.org/fedora/linux comps=Everything archs=x86_64,aarch64 keys="},
		{"ubuntu/noble", ""}, // two mirrors, two snapshots
		{"debian", ""},       // two suites
		{"gentoo/current", ""},
	} {
		spec, ok := c.SnapshotSpec(tc.ref, "/apt-root")
		got := ""
		if ok {
			got = brief([]repo.Spec{spec}, "/apt-root")
		}
		if got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.ref, got, tc.want)
		}
	}
	want := []string{"debian/bookworm", "debian/trixie", "ubuntu/noble", "fedora/40", "fedora/41", "alpine/v3.20", "alpine/edge", "arch/rolling"}
	if got := c.Refs(); !slices.Equal(got, want) {
		t.Errorf("Refs() = %q, want %q", got, want)
	}
}

func TestDebianArch(t *testing.T) {
	for goarch, want := range map[string]string{"amd64": "amd64", "arm64": "arm64", "386": "i386", "arm": "armhf",
		"ppc64le": "ppc64el", "mips64le": "mips64el", "s390x": "s390x", "riscv64": "riscv64"} {
		if got := debianArch(goarch); got != want {
			t.Errorf("debianArch(%s) = %s, want %s", goarch, got, want)
		}
	}
}
