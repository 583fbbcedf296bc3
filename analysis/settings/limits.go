package settings

import (
	"fmt"
	"io/fs"
	"strings"
)

const (
	limitsFile = "etc/security/limits.conf"
	limitsDir  = "etc/security/limits.d"
)

// Limits reads pam_limits' resource limits (limits.conf(5), Linux-PAM
// 1.5): /etc/security/limits.conf, then limits.d/*.conf in C-locale order,
// as pam_limits reads them. Keys are "<domain>.<type>.<item>"
// ("@audio.hard.rtprio", "*.soft.nofile"); a "-" type sets both soft and
// hard, so it makes a ".soft." and a ".hard." row. A later line for the same
// domain, type and item replaces the earlier (pam_limits applies lines in
// order, each overwriting the value of an equal-priority domain); which
// domain applies to a user — a user's own lines beat a group's, which beat
// "*" — depends on the user, so every domain keeps its rows.
//
// Lines are parsed as pam_limits does: "#" starts a comment anywhere, the
// first four blank-separated words are domain, type, item and value (more
// are ignored, as sscanf ignores them), and a line with fewer words or a
// type other than soft, hard or "-" is logged and skipped: pam_limits
// never refuses a session over a bad line, so Limits never fails on one.
func Limits(fsys fs.FS) ([]Setting, error) {
	files, err := authGlob(fsys, limitsDir+"/*.conf")
	if err != nil {
		return nil, fmt.Errorf("settings: limits: %w", err)
	}
	var rows []Setting
	at := map[string]int{}
	for _, name := range append([]string{limitsFile}, files...) {
		data, _, err := authReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		file := authAbs(name)
		for i, line := range authLines(data) {
			line, _, _ = strings.Cut(line, "#")
			f := strings.Fields(line)
			if len(f) < 4 {
				continue
			}
			types := []string{f[1]}
			switch f[1] {
			case "-":
				types = []string{"soft", "hard"}
			case "soft", "hard":
			default:
				continue
			}
			for _, typ := range types {
				row := Setting{Program: "limits", Key: f[0] + "." + typ + "." + f[2], Value: f[3], File: file, Line: i + 1}
				if j, ok := at[row.Key]; ok {
					rows[j] = row
					continue
				}
				at[row.Key] = len(rows)
				rows = append(rows, row)
			}
			if err := authRowGuard(len(rows), file, i+1); err != nil {
				return nil, err
			}
		}
	}
	authSort(rows)
	return rows, nil
}
