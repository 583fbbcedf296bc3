package settings

import (
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
)

const sudoersFile = "etc/sudoers"

// Sudoers reads the Defaults of sudo's policy: /etc/sudoers and the files
// it includes, as sudoers(5) of sudo 1.9 describes. User specifications,
// aliases and the rest are not settings and are left out.
//
// "@include file" and "#include file" read one file in place (a relative
// path is relative to the including file's directory); "@includedir dir"
// and "#includedir dir" read every file of dir in lexical order, skipping
// names that end in "~" or contain a "." (editor backups, package
// manager leftovers). A line ending in a backslash continues on the next;
// a row's Line is the line it starts on. "%h" (the host name) in an include
// path is not expanded: a static reader has no host name.
//
// Keys are "defaults.<parameter>". A Defaults line's binding is the row's
// Condition: "Defaults:alice", "Defaults@host", "Defaults!/usr/bin/less",
// "Defaults>root" ("" for a plain Defaults). The last line that sets a
// parameter under one condition wins. Values: a flag is "true", "!flag"
// "false"; "name=value" is value, quotes removed; the list operators
// accumulate: after "name=a b" a line "name+=c" makes "a b c" and
// "name-=a" "b c"; a "+=" or "-=" with no "=" before it changes sudo's
// compiled-in list, which the files do not say, so the value keeps the
// operators: "+= LANG LC_* -= TZ".
//
// A Defaults line sudo cannot parse — an unterminated quote, no parameter,
// a blank in an unquoted value — makes visudo and sudo refuse the whole policy ("parse error in
// /etc/sudoers near line N"), and Sudoers fails naming file and line.
func Sudoers(fsys fs.FS) ([]Setting, error) {
	p := sudoersParser{fsys: fsys, at: map[string]int{}, lists: map[string]*sudoList{}}
	if err := p.file(sudoersFile, nil); err != nil {
		return nil, err
	}
	authSort(p.rows)
	return p.rows, nil
}

type sudoersParser struct {
	fsys  fs.FS
	rows  []Setting
	at    map[string]int       // key + "\x00" + condition → index in rows
	lists map[string]*sudoList // the list parameters' state, by the same key
}

// sudoList is a list parameter as the files have changed it: set says
// whether an "=" replaced sudo's compiled-in list.
type sudoList struct {
	set            bool
	words, removed []string
}

func (p *sudoersParser) file(name string, stack []string) error {
	if err := enterInclude("sudoers", name, stack); err != nil {
		return err
	}
	data, ok, err := authReadFile(p.fsys, name)
	if err != nil || !ok {
		return err
	}
	stack = append(stack, name)
	file := authAbs(name)
	lines := authLines(data)
	for i := 0; i < len(lines); i++ {
		n := i + 1
		line := lines[i]
		for strings.HasSuffix(line, "\\") && i+1 < len(lines) {
			i++
			line = line[:len(line)-1] + lines[i]
		}
		line = strings.TrimSpace(line)
		word, rest, _ := strings.Cut(line, " ")
		if t := strings.IndexByte(word, '\t'); t >= 0 {
			word, rest = word[:t], word[t+1:]+" "+rest
		}
		switch word {
		case "@include", "#include", "@includedir", "#includedir":
			target := strings.Trim(strings.TrimSpace(rest), `"`)
			if target == "" {
				return fmt.Errorf("settings: sudoers: %s line %d: %s without a path", file, n, word)
			}
			target = authRel(path.Dir(name), target)
			names := []string{target}
			if strings.HasSuffix(word, "dir") {
				if names, err = sudoersDir(p.fsys, target); err != nil {
					return fmt.Errorf("settings: sudoers: %s line %d: %w", file, n, err)
				}
			}
			for _, inc := range names {
				if err := p.file(inc, stack); err != nil {
					return err
				}
			}
			continue
		}
		if !strings.HasPrefix(line, "Defaults") {
			continue
		}
		binding, params, _ := strings.Cut(strings.TrimPrefix(line, "Defaults"), " ")
		if t := strings.IndexByte(binding, '\t'); t >= 0 {
			binding, params = binding[:t], binding[t+1:]+" "+params
		}
		if binding != "" && !strings.ContainsAny(binding[:1], ":@!>") {
			continue // "Defaultsfoo": a user specification, not a Defaults line
		}
		entries, err := sudoersParams(params)
		if err != nil {
			return fmt.Errorf("settings: sudoers: %s line %d: %w", file, n, err)
		}
		condition := ""
		if binding != "" {
			condition = "Defaults" + binding
		}
		for _, e := range entries {
			p.set(condition, e, file, n)
		}
		if err := authRowGuard(len(p.rows), file, n); err != nil {
			return err
		}
	}
	return nil
}

// sudoersDir lists what @includedir reads of dir: regular files whose
// names neither end in "~" nor contain ".", in lexical order.
func sudoersDir(fsys fs.FS, dir string) ([]string, error) {
	entries, err := authReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() || strings.HasSuffix(e.Name(), "~") || strings.Contains(e.Name(), ".") {
			continue
		}
		names = append(names, path.Join(dir, e.Name()))
	}
	slices.Sort(names)
	return names, nil
}

// sudoersEntry is one parameter of a Defaults line.
type sudoersEntry struct {
	name, op, value string // op: "" (a flag), "!" (negated flag), "=", "+=", "-="
}

// sudoersParams splits a Defaults line's parameter list: entries separated
// by commas, each "name", "!name" (any number of "!"), "name=value",
// "name+=value" or "name-=value"; a value may be double-quoted (commas and
// blanks inside) and a backslash escapes the next character.
func sudoersParams(s string) ([]sudoersEntry, error) {
	var entries []sudoersEntry
	for _, raw := range sudoersSplitCommas(s) {
		raw = strings.TrimSpace(raw)
		neg := 0
		for strings.HasPrefix(raw, "!") {
			raw, neg = strings.TrimSpace(raw[1:]), neg+1
		}
		var e sudoersEntry
		if i := strings.IndexByte(raw, '='); i >= 0 {
			e.name, e.op, e.value = strings.TrimSpace(raw[:i]), "=", strings.TrimSpace(raw[i+1:])
			if strings.HasSuffix(e.name, "+") || strings.HasSuffix(e.name, "-") {
				e.op = e.name[len(e.name)-1:] + "="
				e.name = strings.TrimSpace(e.name[:len(e.name)-1])
			}
			v, err := sudoersUnquote(e.value)
			if err != nil {
				return nil, err
			}
			e.value = v
		} else {
			e.name, e.op = raw, ""
			if neg%2 == 1 {
				e.op = "!"
			}
		}
		if e.name == "" || strings.ContainsAny(e.name, " \t\"") {
			return nil, fmt.Errorf("bad Defaults parameter %q", raw)
		}
		entries = append(entries, e)
	}
	if len(entries) == 0 {
		return nil, fmt.Errorf("Defaults without a parameter")
	}
	return entries, nil
}

// sudoersSplitCommas splits at the commas outside double quotes and not
// escaped.
func sudoersSplitCommas(s string) []string {
	var parts []string
	start, quoted := 0, false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			quoted = !quoted
		case ',':
			if !quoted {
				parts = append(parts, s[start:i])
				start = i + 1
			}
		}
	}
	if strings.TrimSpace(s[start:]) != "" || len(parts) > 0 {
		parts = append(parts, s[start:])
	}
	return parts
}

// sudoersUnquote removes a value's double quotes and backslash escapes;
// sudo's grammar has no unquoted blank in a value.
func sudoersUnquote(v string) (string, error) {
	var b strings.Builder
	quoted := false
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == '\\' && i+1 < len(v):
			i++
			b.WriteByte(v[i])
		case c == '"':
			quoted = !quoted
		case !quoted && (c == ' ' || c == '\t'):
			return "", fmt.Errorf("blank in the unquoted value %q", v)
		default:
			b.WriteByte(c)
		}
	}
	if quoted {
		return "", fmt.Errorf("unterminated quote in %q", v)
	}
	return b.String(), nil
}

// set records one entry under condition, the last line winning and the
// list operators accumulating.
func (p *sudoersParser) set(condition string, e sudoersEntry, file string, line int) {
	key := "defaults." + e.name
	bucket := key + "\x00" + condition
	var value string
	switch e.op {
	case "":
		value = "true"
	case "!":
		value = "false"
	case "=":
		value = e.value
		p.lists[bucket] = &sudoList{set: true, words: strings.Fields(e.value)}
	case "+=", "-=":
		l := p.lists[bucket]
		if l == nil {
			l = &sudoList{}
			p.lists[bucket] = l
		}
		for _, w := range strings.Fields(e.value) {
			l.words = slices.DeleteFunc(l.words, func(x string) bool { return x == w })
			l.removed = slices.DeleteFunc(l.removed, func(x string) bool { return x == w })
			if e.op == "+=" {
				l.words = append(l.words, w)
			} else if !l.set {
				l.removed = append(l.removed, w)
			}
		}
		value = l.String()
	}
	if e.op == "" || e.op == "!" {
		delete(p.lists, bucket)
	}
	row := Setting{Program: "sudoers", Key: key, Value: value, Condition: condition, File: file, Line: line}
	if i, ok := p.at[bucket]; ok {
		p.rows[i] = row
		return
	}
	p.at[bucket] = len(p.rows)
	p.rows = append(p.rows, row)
}

func (l *sudoList) String() string {
	if l.set {
		return strings.Join(l.words, " ")
	}
	var parts []string
	if len(l.words) > 0 {
		parts = append(parts, "+= "+strings.Join(l.words, " "))
	}
	if len(l.removed) > 0 {
		parts = append(parts, "-= "+strings.Join(l.removed, " "))
	}
	return strings.Join(parts, " ")
}
