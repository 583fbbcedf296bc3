package catalog

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/ecosystem/deb/aptsources"
	"github.com/distroscope/distroscope/repo"
)

// MaxSize bounds a catalogue file.
const MaxSize = 4 << 20

// Entry is one distribution as the catalogue describes it.
type Entry struct {
	// Name is the distro part of "debian/trixie"; it is also the distro
	// partition value for formats whose metadata has no Origin.
	Name   string `yaml:"name"`
	Format string `yaml:"format"`
	Mirror string `yaml:"mirror"`
	// Mirrors overrides Mirror for some architectures.
	Mirrors       map[string]string `yaml:"mirrors"`
	Suites        []string          `yaml:"suites"`
	Components    []string          `yaml:"components"`
	Architectures []string          `yaml:"architectures"`
	URLTemplate   string            `yaml:"url_template"`
	Keyring       []string          `yaml:"keyring"`
	MinPackages   int64             `yaml:"min_packages"`
	AllowUnsigned bool              `yaml:"allow_unsigned"`
	AllowExpired  bool              `yaml:"allow_expired"`
	WithFiles     bool              `yaml:"with_files"`
	// Archive is the source's dated archive, for backfills: a URL whose
	// {date} an archive timestamp (YYYYMMDDThhmmssZ, UTC) replaces, the
	// part before dists/ as mirror is — as distributions' snapshot
	// archives serve the mirror as it was at any time.
	Archive string `yaml:"archive"`

	// Where the entry was read from.
	File string `yaml:"-"`
	Line int    `yaml:"-"`
	// Origin says where a default entry came from ("apt sources").
	Origin string `yaml:"-"`
	// signedBy* carry a default (apt) entry's Signed-By details.
	signedByInline       string
	signedByFingerprints []string
	trusted              bool
}

// Catalog is every entry, by name.
type Catalog struct {
	Entries []Entry
}

type document struct {
	Sources []Entry `yaml:"sources"`
}

// Parse reads a catalogue. name labels errors.
func Parse(r io.Reader, name string) (*Catalog, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("catalog: %s: %w", name, err)
	}
	if len(data) > MaxSize {
		return nil, fmt.Errorf("catalog: %s: larger than %d bytes", name, MaxSize)
	}
	var doc document
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true) // a misspelt key is an error with its line, not a silent default
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("catalog: %s: %w", name, err)
	}
	// A second pass over the node tree gives each entry and field its line.
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("catalog: %s: %w", name, err)
	}
	lines := entryLines(&root)
	c := &Catalog{}
	var errs []error
	seen := map[string]int{}
	for i, e := range doc.Sources {
		e.File = name
		// Keyrings are found relative to the catalogue that names them.
		for k, kr := range e.Keyring {
			if !filepath.IsAbs(kr) && name != "" {
				e.Keyring[k] = filepath.Join(filepath.Dir(name), kr)
			}
		}
		fl := map[string]int{}
		if i < len(lines) {
			e.Line, fl = lines[i].line, lines[i].fields
		}
		at := func(field string) string {
			if l, ok := fl[field]; ok {
				return fmt.Sprintf("%s line %d", name, l)
			}
			return fmt.Sprintf("%s line %d", name, e.Line)
		}
		if prev, dup := seen[e.Name]; dup && e.Name != "" {
			errs = append(errs, fmt.Errorf("catalog: %s: source %q is already defined at line %d", at("name"), e.Name, prev))
			continue
		}
		seen[e.Name] = e.Line
		if err := validate(e, at); err != nil {
			errs = append(errs, err)
			continue
		}
		c.Entries = append(c.Entries, e)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return c, nil
}

type entryLine struct {
	line   int
	fields map[string]int
}

func entryLines(root *yaml.Node) []entryLine {
	if root.Kind != yaml.DocumentNode || len(root.Content) == 0 {
		return nil
	}
	m := root.Content[0]
	if m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value != "sources" || m.Content[i+1].Kind != yaml.SequenceNode {
			continue
		}
		var out []entryLine
		for _, item := range m.Content[i+1].Content {
			el := entryLine{line: item.Line, fields: map[string]int{}}
			for j := 0; j+1 < len(item.Content); j += 2 {
				el.fields[item.Content[j].Value] = item.Content[j].Line
			}
			out = append(out, el)
		}
		return out
	}
	return nil
}

var knownFormats = []string{string(repo.FormatApt), string(repo.FormatRPMMD), string(repo.FormatAPK), string(repo.FormatALPM)}

func validate(e Entry, at func(string) string) error {
	missing := func(field string) error {
		return fmt.Errorf("catalog: %s: source %q: %s is required", at(field), e.Name, field)
	}
	switch {
	case e.Name == "":
		return fmt.Errorf("catalog: %s: a source needs a name", at("name"))
	case datasets.Normalize(e.Name) != e.Name:
		return fmt.Errorf("catalog: %s: source name %q must be lowercase letters, digits and .-+~ (say %q)", at("name"), e.Name, datasets.Normalize(e.Name))
	case e.Format == "":
		return missing("format")
	case !slices.Contains(knownFormats, e.Format):
		return fmt.Errorf("catalog: %s: source %q: unknown format %q (want one of %s)", at("format"), e.Name, e.Format, strings.Join(knownFormats, ", "))
	case e.Mirror == "" && len(e.Mirrors) == 0:
		return missing("mirror")
	case len(e.Suites) == 0:
		return missing("suites")
	case len(e.Components) == 0:
		return missing("components")
	case len(e.Architectures) == 0:
		return missing("architectures")
	case e.MinPackages < 0:
		return fmt.Errorf("catalog: %s: source %q: min_packages must not be negative", at("min_packages"), e.Name)
	}
	for _, m := range append([]string{e.Mirror}, mapValues(e.Mirrors)...) {
		if m == "" {
			continue
		}
		u, err := url.Parse(m)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "file") || (u.Scheme != "file" && u.Host == "") {
			return fmt.Errorf("catalog: %s: source %q: mirror %q is not an http(s) or file URL", at("mirror"), e.Name, m)
		}
		if u.User != nil {
			return fmt.Errorf("catalog: %s: source %q: mirror URLs must not carry credentials", at("mirror"), e.Name)
		}
	}
	for arch := range e.Mirrors {
		if !slices.Contains(e.Architectures, arch) {
			return fmt.Errorf("catalog: %s: source %q: mirrors names architecture %q, which is not in architectures", at("mirrors"), e.Name, arch)
		}
	}
	if e.Mirror == "" {
		for _, arch := range e.Architectures {
			if e.Mirrors[arch] == "" {
				return fmt.Errorf("catalog: %s: source %q: no mirror for architecture %q (set mirror or mirrors.%s)", at("mirrors"), e.Name, arch, arch)
			}
		}
	}
	if e.URLTemplate != "" && !strings.Contains(e.URLTemplate, "{mirror}") {
		return fmt.Errorf("catalog: %s: source %q: url_template must start from {mirror}", at("url_template"), e.Name)
	}
	if err := validateArchive(e); err != nil {
		return fmt.Errorf("catalog: %s: source %q: %w", at("archive"), e.Name, err)
	}
	for _, k := range e.Keyring {
		if _, err := os.Stat(k); err != nil {
			return fmt.Errorf("catalog: %s: source %q: keyring %s: %w", at("keyring"), e.Name, k, err)
		}
	}
	for _, s := range e.Suites {
		if s == "" || strings.Contains(s, "..") {
			return fmt.Errorf("catalog: %s: source %q: bad suite %q", at("suites"), e.Name, s)
		}
	}
	return nil
}

func mapValues(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

// Load reads the catalogue file at path (none when path is "") and adds the
// machine's apt sources under aptRoot as default entries, which a catalogue
// entry of the same name replaces.
func Load(path, aptRoot string) (*Catalog, error) {
	c := &Catalog{}
	if path != "" {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("catalog: %w", err)
		}
		defer f.Close()
		if c, err = Parse(f, path); err != nil {
			return nil, err
		}
	}
	entries, err := aptsources.Load(aptRoot)
	if err != nil && len(entries) == 0 {
		return c, nil // no apt sources: the catalogue alone
	}
	for _, d := range FromAptSources(entries, aptRoot) {
		if _, ok := c.Find(d.Name); !ok {
			c.Entries = append(c.Entries, d)
		}
	}
	return c, nil
}

// FromAptSources turns the machine's deb entries into catalogue entries,
// one per URI, named after the URI's last path segment ("debian",
// "debian-security"), suites merged.
func FromAptSources(entries []aptsources.Entry, aptRoot string) []Entry {
	var out []Entry
	byURI := map[string]int{}
	for _, e := range entries {
		if !slices.Contains(e.Types, "deb") {
			continue
		}
		for _, uri := range e.URIs {
			u, err := url.Parse(uri)
			if err != nil {
				continue
			}
			name := datasets.Normalize(path.Base(strings.TrimRight(u.Path, "/")))
			if name == "" || name == "." {
				name = datasets.Normalize(u.Hostname())
			}
			if i, ok := byURI[uri]; ok {
				for _, s := range e.Suites {
					if !slices.Contains(out[i].Suites, s) {
						out[i].Suites = append(out[i].Suites, s)
					}
				}
				continue
			}
			var keyring []string
			for _, k := range e.SignedBy {
				keyring = append(keyring, path.Join(aptRoot, k))
			}
			arch := e.Architectures
			byURI[uri] = len(out)
			out = append(out, Entry{
				Name: name, Format: string(repo.FormatApt), Mirror: uri, Suites: slices.Clone(e.Suites),
				Components: slices.Clone(e.Components), Architectures: slices.Clone(arch), Keyring: keyring,
				File: e.File, Line: e.Line, Origin: "apt sources",
				signedByInline: string(e.SignedByInline), signedByFingerprints: e.SignedByFingerprints, trusted: e.Trusted,
			})
		}
	}
	return out
}

// Find returns the entry called name.
func (c *Catalog) Find(name string) (Entry, bool) {
	for _, e := range c.Entries {
		if e.Name == name {
			return e, true
		}
	}
	return Entry{}, false
}

// Specs expands "name" or "name/suite" into what to snapshot: one Spec per
// suite and per distinct mirror (Ubuntu's ports are a different archive, so
// arm64 from ports is a snapshot of its own). defaultArch fills in an entry
// without architectures (apt sources usually name none).
func (c *Catalog) Specs(ref, defaultArch string) ([]repo.Spec, error) {
	name, suite, _ := strings.Cut(ref, "/")
	e, ok := c.Find(name)
	if !ok {
		return nil, fmt.Errorf("catalog: no source called %q (see 'distroscope sources ls')", name)
	}
	suites := e.Suites
	if suite != "" {
		suites = []string{suite}
	}
	archs := e.Architectures
	if len(archs) == 0 && defaultArch != "" {
		archs = []string{defaultArch}
	}
	comps := e.Components
	if len(comps) == 0 {
		comps = []string{"main"}
	}
	// Group architectures by mirror, keeping the entry's order.
	var mirrors []string
	archsOf := map[string][]string{}
	for _, a := range archs {
		m := e.Mirror
		if pm := e.Mirrors[a]; pm != "" {
			m = pm
		}
		if _, ok := archsOf[m]; !ok {
			mirrors = append(mirrors, m)
		}
		archsOf[m] = append(archsOf[m], a)
	}
	var out []repo.Spec
	for _, s := range suites {
		for _, m := range mirrors {
			spec := repo.Spec{
				Format: repo.Format(e.Format), Distro: e.Name, Release: datasets.Normalize(s), Mirror: m, Suite: s,
				Components: comps, Architectures: archsOf[m], URLTemplate: e.URLTemplate, SignedBy: e.Keyring,
				SignedByInline: e.signedByInline, SignedByFingerprints: e.signedByFingerprints,
				AllowUnsigned: e.AllowUnsigned || e.trusted, AllowExpired: e.AllowExpired,
				MinPackages: e.MinPackages, WithFiles: e.WithFiles,
			}
			if m == e.Mirror {
				spec.Archive = e.Archive // the archive is of the main mirror (see validateArchive)
			}
			if spec.Format == repo.FormatApt {
				spec.Distro, spec.Release = "", "" // apt names its partition from the signed Release
			}
			out = append(out, spec)
		}
	}
	return out, nil
}

// validateArchive checks a dated archive URL: one {date}, and an http(s)
// or file URL once it is filled. An archive mirrors the main mirror only:
// per-architecture mirrors (Ubuntu's ports) would need one archive each,
// which nothing asks for yet, so the two are not allowed together.
func validateArchive(e Entry) error {
	if e.Archive == "" {
		return nil
	}
	if n := strings.Count(e.Archive, repo.ArchiveDatePlaceholder); n != 1 {
		return fmt.Errorf("archive %q must hold %s once, where the archive's timestamp (YYYYMMDDThhmmssZ) goes", e.Archive, repo.ArchiveDatePlaceholder)
	}
	u, err := url.Parse(repo.ExpandArchive(e.Archive, time.Unix(0, 0)))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "file") || (u.Scheme != "file" && u.Host == "") {
		return fmt.Errorf("archive %q is not an http(s) or file URL", e.Archive)
	}
	if u.User != nil {
		return fmt.Errorf("archive URLs must not carry credentials")
	}
	if len(e.Mirrors) > 0 {
		return fmt.Errorf("archive cannot be used with mirrors (per-architecture mirrors would need an archive each)")
	}
	return nil
}
