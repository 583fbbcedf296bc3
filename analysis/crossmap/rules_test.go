package crossmap

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

func TestDefaultRulesMap(t *testing.T) {
	rules := DefaultRules()
	if rules.Len() < 30 {
		t.Errorf("%d default rules, want a few dozen", rules.Len())
	}
	// Names are real ones: Debian's from deb/testdata, Alpine's from
	// ecosystem/apk/testdata, Fedora's and Arch's from the ecosystem/rpm and ecosystem/alpm testdata,
	// plus the naming schemes of default-rules.yaml.
	for _, tc := range []struct {
		format, name string
		source       bool
		want         Canonical
	}{
		{"deb", "python3-abydos", false, Canonical{"python:abydos", "", "python-deb"}},
		{"apk", "py3-abydos", false, Canonical{"python:abydos", "", "python-apk"}},
		{"rpm", "python3-abydos", false, Canonical{"python:abydos", "", "python-rpm"}},
		{"alpm", "python-abydos", false, Canonical{"python:abydos", "", "python-alpm"}},
		{"deb", "python3-ldb-dev", false, Canonical{"python:ldb", "dev", "deb-dev+python-deb"}},
		{"deb", "python3-minimal", false, Canonical{"python", "", "python-interpreter"}},
		{"deb", "python3-defaults", true, Canonical{"python", "", "python-interpreter"}},
		{"deb", "libssl-dev", false, Canonical{"ssl", "dev", "deb-lib-dev"}},
		{"rpm", "libfoo-devel", false, Canonical{"foo", "dev", "rpm-lib-devel"}},
		{"apk", "openssl-dev", false, Canonical{"openssl", "dev", "apk-dev"}},
		{"deb", "liba52-0.7.4-dev", false, Canonical{"a52", "dev", "deb-lib-dev"}},
		{"deb", "libghc-cpphs-dev", false, Canonical{"haskell:cpphs", "dev", "haskell-deb-dev"}},
		{"deb", "libssl3", false, Canonical{"ssl", "", "lib-soname"}},
		{"apk", "libssl3", false, Canonical{"ssl", "", "lib-soname"}},
		{"deb", "libaccountsservice0", false, Canonical{"accountsservice", "", "lib-soname"}},
		{"deb", "libfoo-bar-perl", false, Canonical{"perl:foo-bar", "", "perl-deb"}},
		{"rpm", "perl-Foo-Bar", false, Canonical{"perl:foo-bar", "", "perl-prefix"}},
		{"deb", "libssl-doc", false, Canonical{"libssl", "doc", "doc"}},
		{"alpm", "fixture-tools-docs", false, Canonical{"fixture-tools", "doc", "doc"}},
		{"deb", "golang-github-pkg-errors-dev", false, Canonical{"go:github-pkg-errors", "dev", "deb-dev+go"}},
		{"apk", "php82-pecl-apcu", false, Canonical{"php:apcu", "", "php-pecl"}},
		{"deb", "zlib1g", false, Canonical{"zlib", "", "zlib"}},
		// A source named libfoo keeps its name: lib-soname is for binaries.
		{"deb", "libxcrypt", true, Canonical{"libxcrypt", "", ""}},
		{"alpm", "py3-foo", false, Canonical{"py3-foo", "", ""}}, // py3- is Alpine's
		{"apk", "caret-pkg", false, Canonical{"caret-pkg", "", ""}},
	} {
		if got := rules.Map(tc.format, tc.name, tc.source); got != tc.want {
			t.Errorf("Map(%s, %s, %v) = %+v, want %+v", tc.format, tc.name, tc.source, got, tc.want)
		}
	}
}

func TestUserRuleOverridesDefault(t *testing.T) {
	user, err := ParseRules(strings.NewReader(`rules:
  # replaces the default of the same name
  - name: python-apk
    format: apk
    prefix: py-
    set: python:$1
  # a new rule, tried before the defaults
  - name: abydos
    exact: python3-abydos
    set: abydos
`), "user.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defaults := DefaultRules()
	rules := Layer(defaults, user)
	if rules.Len() != defaults.Len()+1 {
		t.Errorf("layered %d rules, want %d", rules.Len(), defaults.Len()+1)
	}
	for _, tc := range []struct {
		format, name string
		want         string
	}{
		{"apk", "py-abydos", "python:abydos"},
		{"apk", "py3-abydos", "py3-abydos"}, // the default python-apk is gone
		{"deb", "python3-abydos", "abydos"}, // the user rule wins over python-deb
		{"deb", "python3-lib389", "python:lib389"},
	} {
		if got := rules.Map(tc.format, tc.name, false).Name; got != tc.want {
			t.Errorf("Map(%s, %s) = %s, want %s", tc.format, tc.name, got, tc.want)
		}
	}
	if got := defaults.Map("apk", "py3-abydos", false).Name; got != "python:abydos" {
		t.Errorf("Layer changed the defaults: %s", got)
	}
}

func TestUserRulesFile(t *testing.T) {
	f, err := os.Open("testdata/user-rules.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := ParseRules(f, "user-rules.yaml")
	if err != nil {
		t.Fatal(err)
	}
	got := r.Rules()
	if len(got) != 1 || got[0].Name != "fixture-tools-is-hello-tool" || got[0].Format != "alpm" || got[0].On != OnBoth {
		t.Errorf("rules = %+v", got)
	}
}

func TestParseRulesErrors(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		want       []string // substrings of the error
	}{
		{"unknown key", "rules:\n  - name: a\n    exact: x\n  - name: b\n    prefx: y\n", []string{"user.yaml", "line 5", "prefx"}},
		{"unknown top key", "rule:\n  - exact: x\n", []string{"line 1", "rule"}},
		{"no matcher", "rules:\n  - name: a\n    exact: x\n  - name: b\n    set: y\n", []string{"line 4", "rule b", "exactly one"}},
		{"two matchers", "rules:\n\n  - prefix: a\n    suffix: b\n", []string{"line 3", "user.yaml:3", "got 2"}},
		{"bad regexp", "rules:\n  - name: r\n    regexp: '(unclosed'\n", []string{"line 2", "rule r", "missing closing )"}},
		{"bad format", "rules:\n  - name: f\n    format: dpkg\n    exact: x\n", []string{"line 2", `unknown format "dpkg"`}},
		{"bad on", "rules:\n  - name: o\n    on: package\n    exact: x\n", []string{"line 2", `on: "package"`}},
		{"duplicate", "rules:\n  - name: d\n    exact: x\n  - name: d\n    exact: y\n", []string{"line 4", `"d" already defined at user.yaml:2`}},
		{"not yaml", "rules: [\n", []string{"user.yaml", "line"}},
		{"wrong type", "rules:\n  - name: a\n    continue: maybe\n    exact: x\n", []string{"line 3"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseRules(strings.NewReader(tc.yaml), "user.yaml")
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if !strings.HasPrefix(err.Error(), "crossmap: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

func TestParseRulesTooLarge(t *testing.T) {
	big := "rules: []\n# " + strings.Repeat("x", MaxRulesSize) + "\n"
	if _, err := ParseRules(strings.NewReader(big), "big.yaml"); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("err = %v", err)
	}
}

// TestLiteralEnds pins the literal text a rule's matches must start and
// end with, which Map checks before running the regexp: a wrong prefix or
// suffix would make a rule miss names it matches.
func TestLiteralEnds(t *testing.T) {
	for _, tc := range []struct{ expr, prefix, suffix string }{
		{`^libghc-(.+)-dev$`, "libghc-", "-dev"},
		{`^(.+)-docs?$`, "", ""},
		{`^python3?(\.[0-9]+)?$`, "python", ""},
		{`^zlib1g$`, "zlib1g", "zlib1g"},
		{`^` + regexp.QuoteMeta("python3-") + `(.+)$`, "python3-", ""},
		{`(?i)^lib(.+)$`, "", ""},
		{`lib(.+)-dev`, "", ""},
		{`^a|^b`, "", ""},
	} {
		p, s := literalEnds(tc.expr)
		if p != tc.prefix || s != tc.suffix {
			t.Errorf("literalEnds(%q) = %q, %q; want %q, %q", tc.expr, p, s, tc.prefix, tc.suffix)
		}
	}
	// Every default rule maps as its regexp alone does.
	rules := DefaultRules()
	for _, name := range []string{"libghc-text-dev", "python3-requests", "python3.12", "zlib1g", "libssl-dev", "openssl-doc", "ruby-rack", "perl-base", "x", ""} {
		for _, r := range rules.list {
			want := r.re.MatchString(name)
			got := strings.HasPrefix(name, r.prefix) && strings.HasSuffix(name, r.suffix) && r.re.MatchString(name)
			if got != want {
				t.Errorf("rule %s on %q: with its literal ends %t, regexp alone %t", r.Name, name, got, want)
			}
		}
	}
}
