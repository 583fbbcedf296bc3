package catalog

import (
	"strings"
	"testing"
	"time"
)

func TestArchiveExpandsPerDate(t *testing.T) {
	yaml := "sources:\n  - name: x\n    format: apt\n    mirror: https://a.example.org/debian\n    archive: \"https://archive.example.org/debian/{date}/\"\n" +
		"    suites: [a, b]\n    components: [main]\n    architectures: [amd64]\n  - {name: y, format: apt, mirror: 'https://a.example.org', suites: [a], components: [m], architectures: [amd64]}\n"
	c, err := Parse(strings.NewReader(yaml), "cat.yaml")
	if err != nil {
		t.Fatal(err)
	}
	specs, err := c.Specs("x", "amd64")
	if err != nil || len(specs) != 2 {
		t.Fatalf("%+v %v", specs, err)
	}
	at := time.Date(2026, 3, 1, 23, 59, 59, 0, time.FixedZone("CET", 3600))
	dated, err := specs[1].AtDate(at)
	if err != nil {
		t.Fatal(err)
	}
	if dated.Mirror != "https://archive.example.org/debian/20260301T225959Z/" || !dated.VerifyAsOf.Equal(at) || dated.Suite != "b" {
		t.Errorf("dated spec: mirror %s, verify as of %s, suite %s", dated.Mirror, dated.VerifyAsOf, dated.Suite)
	}
	plain, _ := c.Specs("y", "amd64")
	if _, err := plain[0].AtDate(at); err == nil || !strings.Contains(err.Error(), "no dated archive") {
		t.Errorf("a source without archive: %v", err)
	}
}

func TestInvalidArchivesNameTheLine(t *testing.T) {
	entry := func(archive, extra string) string {
		return "sources:\n  - name: x\n    format: apt\n    mirror: https://a.example.org\n    suites: [a]\n    components: [m]\n    architectures: [amd64]\n" +
			extra + "    archive: " + archive + "\n"
	}
	for _, tc := range []struct{ name, yaml, want string }{
		{"no date", entry("https://s.example.org/debian/", ""), `line 8: source "x": archive "https://s.example.org/debian/" must hold {date} once`},
		{"two dates", entry("https://s.example.org/{date}/{date}/", ""), "line 8: source \"x\": archive"},
		{"not a URL", entry("s.example.org/{date}/", ""), "line 8: source \"x\": archive \"s.example.org/{date}/\" is not an http(s) or file URL"},
		{"credentials", entry("https://u:p@s.example.org/{date}/", ""), "line 8: source \"x\": archive URLs must not carry credentials"},
		{"with mirrors", entry("https://s.example.org/{date}/", "    mirrors: {amd64: 'https://b.example.org'}\n"), "line 9: source \"x\": archive cannot be used with mirrors"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tc.yaml), "cat.yaml")
			if err == nil || !strings.Contains(err.Error(), "cat.yaml "+tc.want) {
				t.Fatalf("err = %v, want one containing %q", err, "cat.yaml "+tc.want)
			}
		})
	}
}
