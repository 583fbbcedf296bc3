package settings

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"
)

// networkIfupdown reads Debian's ifupdown configuration, interfaces(5):
// /etc/network/interfaces and what it sources, in the order ifup reads
// them (a source line's files at that line).
//
// Rows, Condition "iface NAME FAMILY" (one per stanza line):
//
//	ifupdown.NAME.method      the stanza's method (dhcp, static, loopback, manual, ...)
//	ifupdown.NAME.OPTION      each option line (address, gateway, mtu, up, ...), one
//	                          row per line in order, post-up and pre-down spelled
//	                          up and down, as ifup does
//
// ifup keeps every value of an option given more than once (ifquery lists
// "address: 1" and "2"), and a stanza that inherits a template (iface eth0
// inet static inherits base) holds the template's options first, at the
// template's lines, then its own: both are rows in that order.
// Unconditional rows: ifupdown.NAME.auto, .allow-CLASS
// ("allow-auto" is spelled auto, its synonym), .no-auto-down and
// .no-scripts, "yes" at the first line naming NAME. A mapping stanza
// becomes one row, ifupdown.PATTERN.mapping = its script, Condition
// "mapping PATTERN": the logical interface it picks is the script's output
// at ifup time, which a static reading cannot know, so its map lines are
// not rows. rename lines are not read.
//
// ifup refuses to start on what its parser rejects, and so does this: an
// option outside a stanza ("misplaced option"), an option without a value
// ("option with empty value"), an iface line with fewer than three words
// ("unknown or no method"); ifquery 0.8.41 was run on each. A sourced file
// that does not exist is no rows, as for ifup; a file that sources itself,
// which ifup quietly reads once, is refused here with its line, as the
// settings parsers refuse every include loop.
func networkIfupdown(fsys fs.FS, rows *networkRows) error {
	p := &networkIfupdownParser{fsys: fsys, rows: rows, marked: map[string]bool{}, stanzas: map[string][]Setting{}}
	return p.file("etc/network/interfaces", "", 0)
}

// networkIfupdownDirName is what source-directory reads, interfaces(5).
var networkIfupdownDirName = regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)

type networkIfupdownParser struct {
	fsys    fs.FS
	rows    *networkRows
	stack   []string             // the source chain, for loops and depth
	marked  map[string]bool      // "auto eth0" lines already seen
	stanzas map[string][]Setting // option rows of each iface NAME, the last stanza's, for inherits
}

// networkIfupdownStanza is the stanza being read.
type networkIfupdownStanza struct {
	kind    string // "", "iface" or "mapping"
	name    string
	cond    string
	options []Setting // iface: option rows, added when the stanza ends
	mapping int       // mapping: index of its row in rows
}

func (p *networkIfupdownParser) file(name, from string, fromLine int) error {
	if slices.Contains(p.stack, name) {
		return fmt.Errorf("settings: network: %s line %d: source loop: /%s sources itself", from, fromLine, name)
	}
	if len(p.stack) >= maxIncludeDepth {
		return fmt.Errorf("settings: network: %s line %d: sources nested deeper than %d", from, fromLine, maxIncludeDepth)
	}
	data, err := networkRead(p.fsys, name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	p.stack = append(p.stack, name)
	defer func() { p.stack = p.stack[:len(p.stack)-1] }()

	file := "/" + name
	lines := networkLines(data)
	var st networkIfupdownStanza
	for i := 0; i < len(lines); i++ {
		lineNo := i + 1
		line := strings.TrimSpace(lines[i])
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		for strings.HasSuffix(line, `\`) && i+1 < len(lines) {
			i++
			line = strings.TrimSpace(strings.TrimSuffix(line, `\`) + lines[i])
		}
		first, rest, _ := strings.Cut(strings.ReplaceAll(line, "\t", " "), " ")
		rest = strings.TrimSpace(rest)
		words := strings.Fields(rest)
		if networkIfupdownKeyword(first) {
			if err := p.end(&st); err != nil {
				return err
			}
		}
		switch {
		case first == "iface":
			if len(words) < 3 {
				return fmt.Errorf("settings: network: %s line %d: unknown or no method and no inherits keyword specified", file, lineNo)
			}
			st = networkIfupdownStanza{kind: "iface", name: words[0], cond: "iface " + words[0] + " " + words[1]}
			method := Setting{Key: "ifupdown." + words[0] + ".method", Value: words[2], Condition: st.cond, File: file, Line: lineNo}
			if err := p.rows.add(method); err != nil {
				return err
			}
			if len(words) >= 5 && words[3] == "inherits" {
				for _, o := range p.stanzas[words[4]] {
					o.Key = "ifupdown." + words[0] + strings.TrimPrefix(o.Key, "ifupdown."+words[4])
					o.Condition = st.cond
					st.options = append(st.options, o)
				}
			}
			continue
		case first == "mapping":
			if len(words) < 1 {
				return fmt.Errorf("settings: network: %s line %d: too few parameters for mapping line", file, lineNo)
			}
			st = networkIfupdownStanza{kind: "mapping", name: rest, cond: "mapping " + rest, mapping: len(p.rows.rows)}
			if err := p.rows.add(Setting{Key: "ifupdown." + rest + ".mapping", Condition: st.cond, File: file, Line: lineNo}); err != nil {
				return err
			}
			continue
		case first == "auto" || strings.HasPrefix(first, "allow-") || first == "no-auto-down" || first == "no-scripts":
			class := first
			if class == "allow-auto" {
				class = "auto"
			}
			for _, iface := range words {
				if p.marked[class+" "+iface] {
					continue
				}
				p.marked[class+" "+iface] = true
				if err := p.rows.add(Setting{Key: "ifupdown." + iface + "." + class, Value: "yes", File: file, Line: lineNo}); err != nil {
					return err
				}
			}
		case first == "source" || first == "source-directory":
			if err := p.source(file, lineNo, first == "source-directory", rest); err != nil {
				return err
			}
		case first == "rename":
		default:
			if err := p.option(&st, file, lineNo, first, rest); err != nil {
				return err
			}
			continue
		}
		st = networkIfupdownStanza{}
	}
	return p.end(&st)
}

// end adds an iface stanza's option rows once its last option is read,
// and keeps them for the stanzas that inherit it.
func (p *networkIfupdownParser) end(st *networkIfupdownStanza) error {
	if st.kind != "iface" {
		return nil
	}
	for _, o := range st.options {
		if err := p.rows.add(o); err != nil {
			return err
		}
	}
	p.stanzas[st.name] = st.options
	st.options = nil
	return nil
}

// networkIfupdownKeyword says whether a line's first word starts a
// stanza or a line of its own; any other word is an option of the stanza
// being read.
func networkIfupdownKeyword(first string) bool {
	switch first {
	case "iface", "mapping", "auto", "no-auto-down", "no-scripts", "source", "source-directory", "rename":
		return true
	}
	return strings.HasPrefix(first, "allow-")
}

func (p *networkIfupdownParser) option(st *networkIfupdownStanza, file string, lineNo int, name, value string) error {
	switch st.kind {
	case "iface":
		switch name {
		case "post-up":
			name = "up"
		case "pre-down":
			name = "down"
		}
		if value == "" {
			return fmt.Errorf("settings: network: %s line %d: option with empty value: %s", file, lineNo, name)
		}
		st.options = append(st.options, Setting{Key: "ifupdown." + st.name + "." + name, Value: value, Condition: st.cond, File: file, Line: lineNo})
		return nil
	case "mapping":
		switch name {
		case "script":
			p.rows.rows[st.mapping].Value = value
			p.rows.rows[st.mapping].File, p.rows.rows[st.mapping].Line = file, lineNo
		case "map":
		default:
			return fmt.Errorf("settings: network: %s line %d: misplaced option: %s", file, lineNo, name)
		}
		return nil
	}
	return fmt.Errorf("settings: network: %s line %d: misplaced option: %s outside an iface or mapping stanza", file, lineNo, name)
}

// source reads the files a source or source-directory line names: a shell
// pattern, relative to the directory of the file that holds the line.
func (p *networkIfupdownParser) source(file string, lineNo int, directory bool, pattern string) error {
	if pattern == "" {
		return fmt.Errorf("settings: network: %s line %d: source without a path", file, lineNo)
	}
	if !strings.HasPrefix(pattern, "/") {
		pattern = path.Dir(file) + "/" + pattern
	}
	// Cleaning an absolute path drops ".." above the root, as the image's
	// root is the root for ifup too.
	pattern = strings.TrimPrefix(path.Clean(pattern), "/")
	matches, err := networkGlob(p.fsys, pattern)
	if err != nil {
		return fmt.Errorf("settings: network: %s line %d: %q: %w", file, lineNo, pattern, err)
	}
	for _, m := range matches {
		if !directory {
			if err := p.file(m, file, lineNo); err != nil {
				return err
			}
			continue
		}
		entries, err := imageRoot{p.fsys}.readDir(m)
		if err != nil {
			continue // not a directory
		}
		for _, e := range entries {
			if e.IsDir() || !networkIfupdownDirName.MatchString(e.Name()) {
				continue
			}
			if err := p.file(path.Join(m, e.Name()), file, lineNo); err != nil {
				return err
			}
		}
	}
	return nil
}

// networkGlob expands a shell pattern in the image as wordexp(3) would,
// directories listed with their symlinks followed inside the root (fs.Glob
// would follow an absolute link on the host). A wildcard does not match a
// leading dot; a component without one is taken as it is, and a path that
// does not exist is left for the reader to find missing.
func networkGlob(fsys fs.FS, pattern string) ([]string, error) {
	if _, err := path.Match(pattern, ""); err != nil {
		return nil, err
	}
	paths := []string{"."}
	for part := range strings.SplitSeq(pattern, "/") {
		var next []string
		for _, prefix := range paths {
			if !strings.ContainsAny(part, `*?[\`) {
				next = append(next, path.Join(prefix, part))
				continue
			}
			entries, err := imageRoot{fsys}.readDir(prefix)
			if err != nil {
				continue
			}
			for _, e := range entries {
				if ok, _ := path.Match(part, e.Name()); ok && (!strings.HasPrefix(e.Name(), ".") || strings.HasPrefix(part, ".")) {
					next = append(next, path.Join(prefix, e.Name()))
				}
			}
		}
		if len(next) > maxRows {
			return nil, fmt.Errorf("matches more than %d paths", maxRows)
		}
		paths = next
	}
	return paths, nil
}
