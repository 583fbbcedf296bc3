package settings

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
)

// EtcDefault returns the variables of every file in /etc/default, Debian's
// settings for init scripts and tools (useradd, grub, locale, ...): Program
// "default", Key "<file>.<VAR>".
func EtcDefault(fsys fs.FS) ([]Setting, error) { return ShellVars(fsys, "etc/default") }

// Sysconfig returns the variables of every file in /etc/sysconfig, the
// Fedora and RHEL counterpart of /etc/default: Program "sysconfig".
func Sysconfig(fsys fs.FS) ([]Setting, error) { return ShellVars(fsys, "etc/sysconfig") }

// ShellVars reads the top-level files of dir ("etc/default" or
// "etc/sysconfig") as the shell scripts their readers source: KEY=VALUE
// assignments with POSIX quoting, "export" prefixes and comments. Program
// is the directory's last element ("default", "sysconfig"), Key
// "<file>.<VAR>", and the last assignment of a variable in a file wins.
//
// Nothing is executed: "$VAR" and "$(...)" stay as written, and a line that
// is not an assignment (a test, a function, an assignment prefixed to a
// command) sets nothing. Subdirectories (grub.d, network-scripts) are
// other formats, and package managers' leftovers (*.dpkg-old, *.rpmnew,
// ...) are read by no one, so both are skipped.
func ShellVars(fsys fs.FS, dir string) ([]Setting, error) {
	root := imageRoot{fsys}
	program := path.Base(dir)
	ents, err := root.readDir(dir)
	if err != nil {
		return nil, fmt.Errorf("settings: %s: /%s: %w", program, dir, err)
	}
	var rows []Setting
	for _, e := range ents {
		if e.IsDir() || shellVarsLeftover(e.Name()) {
			continue
		}
		vars, err := shellVarsFile(root, path.Join(dir, e.Name()), program, e.Name()+".")
		if err != nil {
			return nil, err
		}
		if len(rows)+len(vars) > maxRows {
			return nil, fmt.Errorf("settings: %s: /%s/%s: more than %d variables", program, dir, e.Name(), maxRows)
		}
		rows = append(rows, vars...)
	}
	return imageRootSort(rows), nil
}

// shellVarsLeftover reports names that package managers and editors leave
// beside a configuration file.
func shellVarsLeftover(name string) bool {
	for _, s := range []string{".dpkg-old", ".dpkg-dist", ".dpkg-new", ".dpkg-bak", ".dpkg-tmp", ".ucf-old", ".ucf-dist", ".ucf-new", ".rpmnew", ".rpmsave", ".rpmorig", "~", ".swp"} {
		if strings.HasSuffix(name, s) {
			return true
		}
	}
	return strings.HasPrefix(name, ".")
}

// shellVarsFile reads one file's assignments as rows keyed prefix+VAR, the
// last assignment of each variable winning. A missing file has none.
func shellVarsFile(root imageRoot, name, program, prefix string) ([]Setting, error) {
	data, file, err := root.readFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("settings: %s: %s: %w", program, file, err)
	}
	var rows []Setting
	at := map[string]int{}
	for _, a := range shellAssignments(string(data)) {
		s := Setting{Program: program, Key: prefix + a.name, Value: a.value, File: file, Line: a.line}
		if i, ok := at[a.name]; ok {
			rows[i] = s
			continue
		}
		if len(rows) >= maxRows {
			return nil, fmt.Errorf("settings: %s: %s line %d: more than %d variables", program, file, a.line, maxRows)
		}
		at[a.name] = len(rows)
		rows = append(rows, s)
	}
	return rows, nil
}

// shellAssignment is one NAME=VALUE of a shell script, its value unquoted.
type shellAssignment struct {
	name, value string
	line        int
}

// shellAssignments returns the assignments a shell running src would make
// with no command run: those of simple commands made only of assignments
// (optionally after "export"), in order. Words follow POSIX quoting (XCU
// 2.2): a backslash quotes the next character and joins lines, single
// quotes quote everything up to the next one, double quotes everything but
// "\\", "\"", "$" and "`" after a backslash; "$(...)", "${...}" and
// backquotes are kept as written, never run.
func shellAssignments(src string) []shellAssignment {
	var out, pending []shellAssignment
	line, i := 1, 0
	command := false     // the simple command has a word that is not an assignment
	conditional := false // after "&&", "||", "|" or "&": in a subshell or maybe not run
	for i < len(src) {
		switch c := src[i]; c {
		case '\n', ';':
			if !command && !conditional {
				out = append(out, pending...)
			}
			pending, command, conditional = pending[:0], false, false
			if c == '\n' {
				line++
			}
			i++
			continue
		case '&', '|':
			// "A=1 && B=2" sets A; in "A=1 | cat" or "A=1 &" the
			// assignment happens in a subshell and sets nothing.
			double := i+1 < len(src) && src[i+1] == c
			if double && !command && !conditional {
				out = append(out, pending...)
			}
			pending, command, conditional = pending[:0], false, true
			i++
			if double {
				i++
			}
			continue
		case ' ', '\t', '\r':
			i++
			continue
		case '#':
			for i < len(src) && src[i] != '\n' {
				i++
			}
			continue
		}
		w, ok := shellWord(src, i)
		start := line
		i, line = w.next, line+w.lines
		if !ok {
			return out // an unterminated quote: the shell refuses the rest
		}
		switch {
		case command, conditional:
		case w.eq > 0 && shellName(w.text[:w.eq]):
			pending = append(pending, shellAssignment{name: w.text[:w.eq], value: w.text[w.eq+1:], line: start})
		case w.eq < 0 && !w.quoted && w.text == "export" && len(pending) == 0:
		default:
			command = true // includes "export NAME": it marks, it does not assign
		}
	}
	if !command && !conditional {
		out = append(out, pending...)
	}
	return out
}

// shellWordResult is one word of a shell script, its quotes removed.
type shellWordResult struct {
	text   string
	eq     int  // index in text of an "=" preceded by unquoted text only, or -1
	quoted bool // some of the word was quoted
	next   int  // where the word ends in the source
	lines  int  // newlines inside the word
}

// shellWord reads the word starting at src[i]; ok is false when a quote
// or substitution is not closed.
func shellWord(src string, i int) (w shellWordResult, ok bool) {
	var b strings.Builder
	w.eq = -1
	for i < len(src) {
		c := src[i]
		switch c {
		case ' ', '\t', '\r', '\n', ';', '&', '|':
			w.text, w.next = b.String(), i
			return w, true
		case '\\':
			if i+1 >= len(src) {
				i++
				continue
			}
			if src[i+1] == '\n' {
				w.lines++
			} else {
				b.WriteByte(src[i+1])
				w.quoted = true
			}
			i += 2
		case '\'':
			end := strings.IndexByte(src[i+1:], '\'')
			if end < 0 {
				w.next = len(src)
				return w, false
			}
			b.WriteString(src[i+1 : i+1+end])
			w.lines += strings.Count(src[i+1:i+1+end], "\n")
			w.quoted = true
			i += end + 2
		case '"':
			w.quoted = true
			i++
			for i < len(src) && src[i] != '"' {
				if src[i] == '\\' && i+1 < len(src) && strings.IndexByte("$`\"\\\n", src[i+1]) >= 0 {
					if src[i+1] != '\n' {
						b.WriteByte(src[i+1])
					}
					i++
				} else {
					b.WriteByte(src[i])
				}
				if src[i] == '\n' {
					w.lines++
				}
				i++
			}
			if i >= len(src) {
				w.next = len(src)
				return w, false
			}
			i++
		case '$', '`':
			end := shellSubstitution(src, i)
			if end < 0 {
				w.next = len(src)
				return w, false
			}
			b.WriteString(src[i:end])
			w.lines += strings.Count(src[i:end], "\n")
			i = end
		case '=':
			if w.eq < 0 && !w.quoted {
				w.eq = b.Len()
			}
			b.WriteByte(c)
			i++
		default:
			b.WriteByte(c)
			i++
		}
	}
	w.text, w.next = b.String(), i
	return w, true
}

// shellSubstitution returns where the "$(...)", "${...}", "$((...))" or
// backquoted text at src[i] ends, i+1 for a plain "$", or -1 when it is
// not closed. Nesting is counted by brackets only, which is enough to keep
// such a value whole.
func shellSubstitution(src string, i int) int {
	if src[i] == '`' {
		end := strings.IndexByte(src[i+1:], '`')
		if end < 0 {
			return -1
		}
		return i + end + 2
	}
	if i+1 >= len(src) || (src[i+1] != '(' && src[i+1] != '{') {
		return i + 1
	}
	open, close := src[i+1], byte(')')
	if open == '{' {
		close = '}'
	}
	depth := 0
	for j := i + 1; j < len(src); j++ {
		switch src[j] {
		case open:
			depth++
		case close:
			if depth--; depth == 0 {
				return j + 1
			}
		}
	}
	return -1
}

// shellName reports whether name is a valid shell variable name.
func shellName(name string) bool {
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || i > 0 && '0' <= c && c <= '9' {
			continue
		}
		return false
	}
	return name != ""
}
