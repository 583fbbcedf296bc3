package settings

import (
	"fmt"
	"io/fs"
	"strings"
)

const nsswitchFile = "etc/nsswitch.conf"

// NSSwitch reads /etc/nsswitch.conf as glibc's nss_database.c (2.33 and
// later) does: one row per database (Key "passwd", "hosts", ...), Value
// its service specification with blanks collapsed ("files [NOTFOUND=return]
// dns"), from the last line naming the database — process_line overwrites
// an earlier one.
//
// A line is "database: services"; blanks before the name are skipped, the
// name ends at a blank or ":" (so "hosts files", without the colon, is
// read too), a name with nothing after it sets no services at all (glibc
// reads the line with its newline and parses an empty list), and lines starting with "#" are comments. glibc ignores
// databases it does not know, but other programs read their own from
// this file (sudo's "sudoers", autofs's "automount"), so every name is
// kept. A "[" without its "]" makes glibc's __nss_action_parse fail and
// the whole file unusable — every lookup then fails — so NSSwitch fails,
// naming the line.
func NSSwitch(fsys fs.FS) ([]Setting, error) {
	rows, _, err := authLastWins(fsys, nsswitchFile, "nsswitch", nsswitchLine)
	if err != nil {
		return nil, err
	}
	data, _, _ := authReadFile(fsys, nsswitchFile)
	for i, line := range authLines(data) {
		if _, value, ok := nsswitchLine(line); ok && strings.Count(value, "[") != strings.Count(value, "]") {
			return nil, fmt.Errorf("settings: nsswitch: %s line %d: unbalanced [ ] in %q", authAbs(nsswitchFile), i+1, value)
		}
	}
	authSort(rows)
	return rows, nil
}

// nsswitchLine splits one line as process_line does.
func nsswitchLine(line string) (string, string, bool) {
	line = strings.TrimLeft(line, " \t\r\n\v\f")
	if line == "" || line[0] == '#' {
		return "", "", false
	}
	end := strings.IndexAny(line, " \t\r\n\v\f:")
	if end == 0 {
		return "", "", false
	}
	if end < 0 {
		end = len(line)
	}
	name, rest := line[:end], strings.TrimLeft(line[end:], " \t\r\n\v\f:")
	value := strings.Join(strings.Fields(rest), " ")
	value = strings.NewReplacer("[ ", "[", " ]", "]", " = ", "=").Replace(value)
	return name, value, true
}
