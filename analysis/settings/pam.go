package settings

import (
	"fmt"
	"io/fs"
	"path"
	"strings"
)

const pamDir = "etc/pam.d"

// pamTypes are the four management groups of a PAM stack.
var pamTypes = map[string]bool{"account": true, "auth": true, "password": true, "session": true}

// PAM reads the PAM stacks of every service in /etc/pam.d (pam.d(5),
// Linux-PAM 1.5 as Debian builds it: /etc/pam.conf is ignored when
// /etc/pam.d exists, and there is no vendor directory). Each stack line
// is one row, in order: Key "<service>.<type>", Value "<control> <module>
// <arguments>" ("required pam_unix.so nullok", "[success=1 default=ignore]
// pam_unix.so"), File and Line where the line is, even when it comes
// through an include. A "-type" line (skipped silently when its module
// is missing) has a "-" before its control: "-optional pam_systemd.so".
//
// Includes are followed in place, as libpam reads them: Debian's
// "@include common-auth" inlines every line of that file; "include" and
// "substack" controls inline the lines of the named service's stack of the
// same type (a substack's done and die end only the substack, which the
// flat rows do not show). A missing included file adds nothing (libpam
// fails that service's stack at run time; it is no reason to read the other
// services less). Includes deeper than 16 or in a loop fail.
//
// Lines are read as libpam's _pam_assemble_line reads them: "#" starts a
// comment anywhere, a backslash at the end of a line continues it (the
// row's Line is where it starts), and a "[...]" control may hold blanks,
// which collapse to one, as do the blanks between arguments (libpam
// splits them into argv) except where an argument's "[...]" keeps them. A
// line with an unknown type or without a module
// is skipped (libpam logs it and makes the stack fail).
func PAM(fsys fs.FS) ([]Setting, error) {
	entries, err := authReadDir(fsys, pamDir)
	if err != nil {
		return nil, fmt.Errorf("settings: pam: %w", err)
	}
	var rows []Setting
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		service := e.Name()
		err := pamStack(fsys, path.Join(pamDir, service), "", nil, func(typ, value, file string, line int) error {
			rows = append(rows, Setting{Program: "pam", Key: service + "." + typ, Value: value, File: file, Line: line})
			return authRowGuard(len(rows), file, line)
		})
		if err != nil {
			return nil, err
		}
	}
	authSort(rows)
	return rows, nil
}

// pamStack emits the lines of one stack file, of only type when type is
// not "" (an include or substack control), with includes inlined.
func pamStack(fsys fs.FS, name, only string, stack []string, emit func(typ, value, file string, line int) error) error {
	if err := enterInclude("pam", name, stack); err != nil {
		return err
	}
	data, ok, err := authReadFile(fsys, name)
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
			line = line[:len(line)-1] + " " + lines[i]
		}
		line, _, _ = strings.Cut(line, "#")
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if f[0] == "@include" {
			if len(f) > 1 {
				if err := pamStack(fsys, authRel(pamDir, f[1]), only, stack, emit); err != nil {
					return err
				}
			}
			continue
		}
		typ, dash := strings.CutPrefix(strings.ToLower(f[0]), "-")
		if !pamTypes[typ] || (only != "" && typ != only) {
			continue
		}
		control, rest, ok := pamControl(strings.TrimSpace(line)[len(f[0]):])
		if !ok {
			continue
		}
		module, args, _ := strings.Cut(rest, " ")
		if control == "include" || control == "substack" {
			if err := pamStack(fsys, authRel(pamDir, module), typ, stack, emit); err != nil {
				return err
			}
			continue
		}
		value := control + " " + module
		if args = pamArgs(args); args != "" {
			value += " " + args
		}
		if dash {
			value = "-" + value
		}
		if err := emit(typ, value, file, n); err != nil {
			return err
		}
	}
	return nil
}

// pamControl splits "control module args" off the rest of a line after its
// type; a "[...]" control keeps its blanks collapsed. ok is false when
// there is no module.
func pamControl(s string) (control, rest string, ok bool) {
	s = strings.TrimLeft(s, " \t")
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return "", "", false
		}
		control, rest = "["+strings.Join(strings.Fields(s[1:end]), " ")+"]", s[end+1:]
	} else {
		control, rest, _ = strings.Cut(strings.ReplaceAll(s, "\t", " "), " ")
		control = strings.ToLower(control)
	}
	rest = strings.TrimLeft(strings.ReplaceAll(rest, "\t", " "), " ")
	return control, rest, rest != ""
}

// pamArgs joins a module's arguments with one blank, as libpam splits them:
// at blanks, except inside an argument's "[...]".
func pamArgs(s string) string {
	var args []string
	for s = strings.TrimLeft(s, " \t"); s != ""; s = strings.TrimLeft(s, " \t") {
		end := strings.IndexAny(s, " \t")
		if s[0] == '[' {
			end = strings.IndexByte(s, ']') + 1
		}
		if end <= 0 {
			end = len(s)
		}
		args, s = append(args, s[:end]), s[end:]
	}
	return strings.Join(args, " ")
}
