package catalog

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distroscope/distroscope/ecosystem/deb/aptsources"
	"github.com/distroscope/distroscope/repo"
)

func parseFile(t *testing.T, name string) *Catalog {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c, err := Parse(f, filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestParseAndExpand(t *testing.T) {
	c := parseFile(t, "sources.yaml")
	if len(c.Entries) != 5 {
		t.Fatalf("%d entries", len(c.Entries))
	}
	for _, tc := range []struct {
		ref   string
		specs int
		check func(t *testing.T, s []repo.Spec)
	}{
		{"debian/trixie", 1, func(t *testing.T, s []repo.Spec) {
			if s[0].Suite != "trixie" || s[0].Format != repo.FormatApt || s[0].MinPackages != 50000 ||
				len(s[0].Architectures) != 2 || !strings.HasSuffix(s[0].SignedBy[0], "testdata/fixture-keyring.gpg") {
				t.Errorf("%+v", s[0])
			}
			if s[0].Distro != "" {
				t.Errorf("apt specs take the distro from the signed Release, got %q", s[0].Distro)
			}
		}},
		{"debian", 2, nil},
		{"ubuntu/noble", 2, func(t *testing.T, s []repo.Spec) {
			// amd64 from the archive, arm64 from ports: separate snapshots.
			if s[0].Mirror == s[1].Mirror || s[0].Architectures[0] != "amd64" || s[1].Architectures[0] != "arm64" {
				t.Errorf("%+v", s)
			}
		}},
		{"fedora/40", 1, func(t *testing.T, s []repo.Spec) {
			if s[0].Distro != "fedora" || s[0].Release != "40" || s[0].Format != repo.FormatRPMMD {
				t.Errorf("%+v", s[0])
			}
			if got := s[0].Expand(s[0].URLTemplate, "Everything", "x86_64"); got != "https://mirror.example.org/fedora/linux/releases/40/Everything/x86_64/os" {
				t.Errorf("expanded %s", got)
			}
		}},
		{"alpine/edge", 1, func(t *testing.T, s []repo.Spec) {
			if s[0].Format != repo.FormatAPK || len(s[0].Components) != 2 {
				t.Errorf("%+v", s[0])
			}
		}},
		{"arch", 1, nil},
	} {
		t.Run(tc.ref, func(t *testing.T) {
			specs, err := c.Specs(tc.ref, "amd64")
			if err != nil {
				t.Fatal(err)
			}
			if len(specs) != tc.specs {
				t.Fatalf("%d specs, want %d: %+v", len(specs), tc.specs, specs)
			}
			if tc.check != nil {
				tc.check(t, specs)
			}
		})
	}
	if _, err := c.Specs("gentoo/current", "amd64"); err == nil || !strings.Contains(err.Error(), `"gentoo"`) {
		t.Errorf("unknown source: %v", err)
	}
}

func TestInvalidCataloguesNameTheLine(t *testing.T) {
	for _, tc := range []struct {
		name, yaml, want string
	}{
		{"unknown key", "sources:\n  - name: x\n    format: apt\n    mirrror: https://a.example.org\n", "line 4"},
		{"missing format", "sources:\n  - name: x\n    mirror: https://a.example.org\n    suites: [a]\n    components: [main]\n    architectures: [amd64]\n", "line 2: source \"x\": format is required"},
		{"unknown format", "sources:\n  - name: x\n    format: portage\n    mirror: https://a.example.org\n    suites: [a]\n    components: [main]\n    architectures: [amd64]\n", "line 3: source \"x\": unknown format \"portage\""},
		{"missing keyring", "sources:\n  - name: x\n    format: apt\n    mirror: https://a.example.org\n    suites: [a]\n    components: [main]\n    architectures: [amd64]\n    keyring: [/nonexistent/k.gpg]\n", "line 8: source \"x\": keyring /nonexistent/k.gpg"},
		{"duplicate", "sources:\n  - {name: x, format: apt, mirror: 'https://a.example.org', suites: [a], components: [m], architectures: [amd64]}\n  - {name: x, format: apt, mirror: 'https://a.example.org', suites: [a], components: [m], architectures: [amd64]}\n", "already defined at line 2"},
		{"mirror with credentials", "sources:\n  - {name: x, format: apt, mirror: 'https://u:p@a.example.org', suites: [a], components: [m], architectures: [amd64]}\n", "must not carry credentials"},
		{"stray per-arch mirror", "sources:\n  - name: x\n    format: apt\n    mirror: https://a.example.org\n    mirrors: {s390x: 'https://b.example.org'}\n    suites: [a]\n    components: [m]\n    architectures: [amd64]\n", "line 5: source \"x\": mirrors names architecture \"s390x\""},
		{"bad name", "sources:\n  - {name: Debian, format: apt, mirror: 'https://a.example.org', suites: [a], components: [m], architectures: [amd64]}\n", "must be lowercase"},
		{"not yaml", "sources: [\n", "line"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tc.yaml), "cat.yaml")
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "cat.yaml") {
				t.Fatalf("err = %v, want one naming cat.yaml and containing %q", err, tc.want)
			}
		})
	}
}

func TestAptSourcesAreDefaultEntries(t *testing.T) {
	src := "Types: deb\nURIs: http://mirror.example.org/debian\nSuites: bookworm bookworm-updates\nComponents: main\nSigned-By: /usr/share/keyrings/k.gpg\n\n" +
		"Types: deb\nURIs: http://mirror.example.org/debian-security\nSuites: bookworm-security\nComponents: main\n"
	entries, err := aptsources.ParseSources(strings.NewReader(src), "debian.sources")
	if err != nil {
		t.Fatal(err)
	}
	got := FromAptSources(entries, "/")
	if len(got) != 2 || got[0].Name != "debian" || got[1].Name != "debian-security" || len(got[0].Suites) != 2 ||
		got[0].Keyring[0] != "/usr/share/keyrings/k.gpg" || got[0].Origin != "apt sources" {
		t.Fatalf("%+v", got)
	}
	c := &Catalog{Entries: got}
	specs, err := c.Specs("debian/bookworm-updates", "amd64")
	if err != nil || len(specs) != 1 || specs[0].Architectures[0] != "amd64" || specs[0].Suite != "bookworm-updates" {
		t.Fatalf("%+v %v", specs, err)
	}
}

func FuzzParse(f *testing.F) {
	data, _ := os.ReadFile("testdata/sources.yaml")
	f.Add(data)
	f.Add([]byte("sources:\n  - name: x\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := Parse(strings.NewReader(string(b)), "fuzz.yaml")
		if err == nil {
			for _, e := range c.Entries {
				if _, err := c.Specs(e.Name, "amd64"); err != nil {
					t.Fatalf("valid entry %q does not expand: %v", e.Name, err)
				}
			}
		}
	})
}
