package settings

import (
	"io/fs"
	"strings"
)

const (
	loginDefsFile   = "etc/login.defs"
	useraddDefaults = "etc/default/useradd"
)

// useraddKeys are the keys useradd(8) reads from /etc/default/useradd and
// what it uses when the file does not set them: `useradd -D` of Debian
// bookworm's passwd 1:4.13+dfsg1-1+deb12u2 with no file. useradd ignores
// every other key.
var useraddKeys = map[string]string{
	"GROUP": "100", "HOME": "/home", "INACTIVE": "-1", "EXPIRE": "", "SHELL": "/bin/bash",
	"SKEL": "/etc/skel", "CREATE_MAIL_SPOOL": "no", "LOG_INIT": "yes",
	"GROUPS": "", "USRSKEL": "",
}

// useraddNewer are the keys only newer shadow reads (4.14's GROUPS and
// USRSKEL; bookworm's useradd ignores them): rows where an image sets
// them, no builtin rows.
var useraddNewer = map[string]bool{"GROUPS": true, "USRSKEL": true}

// LoginDefs reads the shadow suite's account defaults: /etc/login.defs
// (Program "login.defs") and useradd's /etc/default/useradd (Program
// "useradd"), keys as written (both are case-sensitive).
//
// login.defs is parsed as shadow's getdef.c does: a line is "NAME value",
// the value starting after the blanks and double quotes that follow NAME
// and ending at the next double quote, so it keeps inner blanks and a
// trailing "# ..." (getdef.c has no trailing comments); a line with a name
// and no value is skipped; a later line for the same name replaces the
// earlier one (putdef_str frees the old value). getdef.c warns about
// names it does not know and runs on; LoginDefs keeps those rows.
//
// /etc/default/useradd is parsed as useradd.c's get_defaults does: "KEY=value"
// split at the first "=", nothing trimmed, no quotes removed, the last line
// for a key winning, keys useradd does not read ignored. Its keys get
// Default and Builtin rows from useraddKeys.
//
// The two files share no key: shadow reads each setting from exactly one
// of them (useradd takes HOME_MODE, UMASK, CREATE_HOME and USERGROUPS_ENAB
// from login.defs, and GROUP, HOME, SHELL, SKEL, INACTIVE, EXPIRE and
// CREATE_MAIL_SPOOL from /etc/default/useradd), so no row of one stands
// for a row of the other.
func LoginDefs(fsys fs.FS) ([]Setting, error) {
	defs, _, err := authLastWins(fsys, loginDefsFile, "login.defs", loginDefsLine)
	if err != nil {
		return nil, err
	}
	useradd, found, err := authLastWins(fsys, useraddDefaults, "useradd", func(line string) (string, string, bool) {
		key, value, ok := strings.Cut(line, "=")
		_, known := useraddKeys[key]
		return key, value, ok && known
	})
	if err != nil {
		return nil, err
	}
	set := map[string]bool{}
	for i := range useradd {
		useradd[i].Default = useraddKeys[useradd[i].Key]
		set[useradd[i].Key] = true
	}
	for key, def := range useraddKeys {
		if found && !set[key] && !useraddNewer[key] {
			useradd = append(useradd, Setting{Program: "useradd", Key: key, Value: def, Builtin: true, Default: def})
		}
	}
	rows := append(defs, useradd...)
	authSort(rows)
	return rows, nil
}

// loginDefsLine splits one login.defs line as getdef.c's def_load does.
func loginDefsLine(line string) (string, string, bool) {
	line = strings.TrimRight(line, " \t\r\n\v\f")
	line = strings.TrimLeft(line, " \t")
	if line == "" || line[0] == '#' {
		return "", "", false
	}
	end := strings.IndexAny(line, " \t")
	if end < 0 {
		return "", "", false
	}
	name, value := line[:end], strings.TrimLeft(line[end+1:], " \"\t")
	if i := strings.IndexByte(value, '"'); i >= 0 {
		value = value[:i]
	}
	return name, value, true
}

// authLastWins reads one flat file whose later assignment of a key replaces
// the earlier, with split saying a line's key and value (ok false: the
// line sets nothing). One row per key, from the line that set it last.
func authLastWins(fsys fs.FS, name, program string, split func(line string) (string, string, bool)) ([]Setting, bool, error) {
	data, found, err := authReadFile(fsys, name)
	if err != nil || !found {
		return nil, found, err
	}
	file := authAbs(name)
	var rows []Setting
	at := map[string]int{}
	for i, line := range authLines(data) {
		key, value, ok := split(line)
		if !ok {
			continue
		}
		row := Setting{Program: program, Key: key, Value: value, File: file, Line: i + 1}
		if j, ok := at[key]; ok {
			rows[j] = row
			continue
		}
		at[key] = len(rows)
		rows = append(rows, row)
		if err := authRowGuard(len(rows), file, i+1); err != nil {
			return nil, true, err
		}
	}
	return rows, true, nil
}
