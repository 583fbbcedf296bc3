package crossmap

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"regexp"
	"regexp/syntax"
	"strings"

	"gopkg.in/yaml.v3"
)

//go:embed default-rules.yaml
var defaultRulesYAML []byte

// MaxRulesSize bounds a rules file: rules are configuration, not data.
const MaxRulesSize = 1 << 20

// Where a rule applies.
const (
	OnBinary = "binary" // binary package names
	OnSource = "source" // source package names
	OnBoth   = "both"   // either (the default)
)

// ruleSpec is one rule as written in a rules file.
type ruleSpec struct {
	Name     string `yaml:"name"`
	Format   string `yaml:"format"`
	On       string `yaml:"on"`
	Exact    string `yaml:"exact"`
	Prefix   string `yaml:"prefix"`
	Suffix   string `yaml:"suffix"`
	Regexp   string `yaml:"regexp"`
	Set      string `yaml:"set"`
	Flavor   string `yaml:"flavor"`
	Continue bool   `yaml:"continue"`
}

type fileSpec struct {
	Rules []ruleSpec `yaml:"rules"`
}

// Rule is one compiled rule: a name matcher and the rewrite of what it
// matched into a canonical project name.
type Rule struct {
	// Name identifies the rule; PackageChangeRow.Rule records it. A rule
	// without one is named after its file and line ("rules.yaml:12").
	Name string
	// Format restricts the rule to one repository format ("deb", "rpm",
	// "apk", "alpm"); empty matches every format.
	Format string
	// On is OnBinary, OnSource or OnBoth.
	On string
	// Flavor marks the variant a package is of its project ("dev", "doc"):
	// packages pair only with the same flavor.
	Flavor string
	// Continue makes the rewritten name go on through the later rules;
	// otherwise the first matching rule decides.
	Continue bool
	// Where is the file and line the rule came from.
	Where string

	re       *regexp.Regexp
	template string
	// prefix and suffix are literal text every match starts or ends with
	// (see literalEnds): most names fail a rule on them, without running
	// the regexp — a trends update maps every binary name of a release
	// and its peers through every rule.
	prefix, suffix string
}

// Rules is an ordered rule list: a name goes through the rules in order
// until one without Continue matches.
type Rules struct {
	list []Rule
}

// Len is the number of rules.
func (r *Rules) Len() int { return len(r.list) }

// Rules returns the rules in evaluation order.
func (r *Rules) Rules() []Rule { return append([]Rule(nil), r.list...) }

var knownFormats = map[string]bool{"": true, "deb": true, "rpm": true, "apk": true, "alpm": true}

// ParseRules reads a rules file (YAML, see default-rules.yaml). Keys are
// strict: an unknown key, a rule with no or two matchers, a bad regexp or
// an unknown format is an error naming the file and line.
func ParseRules(r io.Reader, file string) (*Rules, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxRulesSize+1))
	if err != nil {
		return nil, fmt.Errorf("crossmap: rules %s: %w", file, err)
	}
	if len(b) > MaxRulesSize {
		return nil, fmt.Errorf("crossmap: rules %s: larger than %d bytes", file, MaxRulesSize)
	}
	var spec fileSpec
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&spec); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("crossmap: rules %s: %w", file, err)
	}
	// A second pass over the node tree finds each rule's line (the
	// decoder into structs keeps none).
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		return nil, fmt.Errorf("crossmap: rules %s: %w", file, err)
	}
	lines := ruleLines(&root)
	out := &Rules{}
	seen := map[string]string{}
	for i, s := range spec.Rules {
		line := 0
		if i < len(lines) {
			line = lines[i]
		}
		where := fmt.Sprintf("%s:%d", file, line)
		rule, err := compile(s, where)
		if err != nil {
			return nil, fmt.Errorf("crossmap: rules %s: line %d: %w", file, line, err)
		}
		if prev, ok := seen[rule.Name]; ok {
			return nil, fmt.Errorf("crossmap: rules %s: line %d: rule %q already defined at %s", file, line, rule.Name, prev)
		}
		seen[rule.Name] = where
		out.list = append(out.list, rule)
	}
	return out, nil
}

// ruleLines returns the line of each item of the top-level rules list.
func ruleLines(root *yaml.Node) []int {
	if root.Kind != yaml.DocumentNode || len(root.Content) == 0 {
		return nil
	}
	m := root.Content[0]
	if m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == "rules" && m.Content[i+1].Kind == yaml.SequenceNode {
			var lines []int
			for _, item := range m.Content[i+1].Content {
				lines = append(lines, item.Line)
			}
			return lines
		}
	}
	return nil
}

func compile(s ruleSpec, where string) (Rule, error) {
	r := Rule{Name: s.Name, Format: s.Format, On: s.On, Flavor: s.Flavor, Continue: s.Continue, Where: where, template: s.Set}
	if r.Name == "" {
		r.Name = where
	}
	if !knownFormats[r.Format] {
		return r, fmt.Errorf("rule %s: unknown format %q (want deb, rpm, apk or alpm)", r.Name, r.Format)
	}
	switch r.On {
	case "":
		r.On = OnBoth
	case OnBinary, OnSource, OnBoth:
	default:
		return r, fmt.Errorf("rule %s: on: %q, want binary, source or both", r.Name, r.On)
	}
	var expr string
	matchers := 0
	if s.Exact != "" {
		matchers++
		expr = "^" + regexp.QuoteMeta(s.Exact) + "$"
		if r.template == "" {
			r.template = "$0"
		}
	}
	if s.Prefix != "" {
		matchers++
		expr = "^" + regexp.QuoteMeta(s.Prefix) + "(.+)$"
	}
	if s.Suffix != "" {
		matchers++
		expr = "^(.+)" + regexp.QuoteMeta(s.Suffix) + "$"
	}
	if s.Regexp != "" {
		matchers++
		expr = s.Regexp
	}
	if matchers != 1 {
		return r, fmt.Errorf("rule %s: want exactly one of exact, prefix, suffix, regexp; got %d", r.Name, matchers)
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return r, fmt.Errorf("rule %s: %w", r.Name, err)
	}
	r.re = re
	r.prefix, r.suffix = literalEnds(expr)
	if r.template == "" {
		if re.NumSubexp() > 0 {
			r.template = "$1"
		} else {
			r.template = "$0"
		}
	}
	return r, nil
}

// literalEnds returns the literal text every match of expr must start
// with (when it is anchored at the start of the text) and end with (when
// anchored at the end), "" when there is none or it is not plain
// case-sensitive text.
func literalEnds(expr string) (prefix, suffix string) {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return "", ""
	}
	re = re.Simplify()
	if re.Op != syntax.OpConcat || len(re.Sub) < 2 {
		return "", ""
	}
	literal := func(r *syntax.Regexp) string {
		if r.Op != syntax.OpLiteral || r.Flags&syntax.FoldCase != 0 {
			return ""
		}
		return string(r.Rune)
	}
	subs := re.Sub
	if subs[0].Op == syntax.OpBeginText {
		prefix = literal(subs[1])
	}
	if n := len(subs); subs[n-1].Op == syntax.OpEndText {
		suffix = literal(subs[n-2])
	}
	return prefix, suffix
}

// DefaultRules returns the rules shipped with distroscope
// (default-rules.yaml, embedded).
func DefaultRules() *Rules {
	r, err := ParseRules(bytes.NewReader(defaultRulesYAML), "default-rules.yaml")
	if err != nil {
		panic(err) // the embedded file is tested
	}
	return r
}

// LoadRules returns the default rules with a user rules file layered over
// them (see Layer); a nil user gives the defaults.
func LoadRules(user io.Reader, name string) (*Rules, error) {
	if user == nil {
		return DefaultRules(), nil
	}
	u, err := ParseRules(user, name)
	if err != nil {
		return nil, err
	}
	return Layer(DefaultRules(), u), nil
}

// Layer returns base with user's rules over it: a user rule named like a
// base rule replaces it, and the user's rules are tried before the base's,
// so a user rule always wins over a default that matches the same name.
func Layer(base, user *Rules) *Rules {
	if user == nil {
		return base
	}
	names := map[string]bool{}
	for _, r := range user.list {
		names[r.Name] = true
	}
	out := &Rules{list: append([]Rule(nil), user.list...)}
	for _, r := range base.list {
		if !names[r.Name] {
			out.list = append(out.list, r)
		}
	}
	return out
}

// Canonical is a package's project, as the rules name it.
type Canonical struct {
	Name   string // the project ("python:requests", "openssl")
	Flavor string // the variant, "" for the main package ("dev", "doc")
	Rule   string // the last rule that rewrote the name; "" when none did
}

// String is Name, with the flavor in parentheses.
func (c Canonical) String() string {
	if c.Flavor == "" {
		return c.Name
	}
	return c.Name + " (" + c.Flavor + ")"
}

// maxChain bounds how many Continue rules one name goes through.
const maxChain = 16

// Map returns the canonical project of name, a binary (source false) or
// source package name of the given format.
func (r *Rules) Map(format, name string, source bool) Canonical {
	c := Canonical{Name: name}
	var applied []string
	for i := 0; i < len(r.list) && len(applied) < maxChain; i++ {
		rule := &r.list[i]
		if rule.Format != "" && rule.Format != format {
			continue
		}
		if (source && rule.On == OnBinary) || (!source && rule.On == OnSource) {
			continue
		}
		if !strings.HasPrefix(c.Name, rule.prefix) || !strings.HasSuffix(c.Name, rule.suffix) {
			continue
		}
		m := rule.re.FindStringSubmatchIndex(c.Name)
		if m == nil {
			continue
		}
		out := string(rule.re.ExpandString(nil, rule.template, c.Name, m))
		if out = strings.TrimSpace(out); out != "" {
			c.Name = out
		}
		if rule.Flavor != "" && c.Flavor == "" {
			c.Flavor = rule.Flavor
		}
		applied = append(applied, rule.Name)
		if !rule.Continue {
			break
		}
	}
	c.Name = strings.ToLower(c.Name)
	c.Rule = strings.Join(applied, "+")
	return c
}
