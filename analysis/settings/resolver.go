package settings

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
)

// resolverMaxNameservers is glibc's MAXNS: resolv.conf(5) says later
// nameserver lines are ignored.
const resolverMaxNameservers = 3

// resolverDefaults are glibc's built-in option values (resolv.conf(5)).
var resolverDefaults = map[string]string{"options.ndots": "1", "options.timeout": "5", "options.attempts": "2"}

// Resolver returns the stub resolver's settings from /etc/resolv.conf as
// glibc reads it (resolv.conf(5)): "nameserver" one row per server in
// order, the first three only; "search" the space-joined domains of the
// last "search" or "domain" line (they replace each other, and "domain X"
// searches X alone); "options.NAME" per option, later ones winning, with
// the value after ":" ("options.ndots" = "2") or "" for a flag ("rotate");
// "sortlist" as written. A file without a nameserver gets glibc's built-in
// 127.0.0.1.
//
// When /etc/resolv.conf is a symlink (systemd-resolved's
// /run/systemd/resolve/stub-resolv.conf, resolvconf's /run/resolvconf)
// a row "symlink" holds its target, File /etc/resolv.conf and Line 0, with
// Condition "dangling" when the image lacks it — /run is filled at run
// time, so in an image that is the rule; the target's lines are read when
// it is there.
func Resolver(fsys fs.FS) ([]Setting, error) {
	root := imageRoot{fsys}
	const name = "etc/resolv.conf"
	var rows []Setting
	target, isLink, err := root.readLink(name)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("settings: resolver: /%s: %w", name, err)
	}
	data, file, err := root.readFile(name)
	if isLink {
		link := Setting{Program: "resolver", Key: "symlink", Value: target, File: "/" + name}
		if errors.Is(err, fs.ErrNotExist) {
			link.Condition = "dangling"
		}
		rows = append(rows, link)
	}
	if errors.Is(err, fs.ErrNotExist) {
		return rows, nil
	}
	if err != nil {
		return nil, fmt.Errorf("settings: resolver: %s: %w", file, err)
	}
	var servers []Setting
	var search, sortlist *Setting
	options := map[string]Setting{}
	imageRootLines(data, func(line string, n int) {
		if line == "" || line[0] == '#' || line[0] == ';' {
			return
		}
		fields := strings.Fields(line)
		if len(fields) < 2 {
			return
		}
		at := Setting{Program: "resolver", File: file, Line: n}
		switch fields[0] {
		case "nameserver":
			if len(servers) < resolverMaxNameservers {
				at.Key, at.Value = "nameserver", fields[1]
				servers = append(servers, at)
			}
		case "domain":
			at.Key, at.Value = "search", fields[1]
			search = &at
		case "search":
			at.Key, at.Value = "search", strings.Join(fields[1:], " ")
			search = &at
		case "sortlist":
			at.Key, at.Value = "sortlist", strings.Join(fields[1:], " ")
			sortlist = &at
		case "options":
			for _, o := range fields[1:] {
				k, v, _ := strings.Cut(o, ":")
				at.Key, at.Value = "options."+k, v
				at.Default = resolverDefaults[at.Key]
				options[at.Key] = at
			}
		}
	})
	if len(servers) == 0 {
		servers = append(servers, Setting{Program: "resolver", Key: "nameserver", Value: "127.0.0.1", Builtin: true})
	}
	rows = append(rows, servers...)
	for _, s := range []*Setting{search, sortlist} {
		if s != nil {
			rows = append(rows, *s)
		}
	}
	if len(options) > maxRows {
		return nil, fmt.Errorf("settings: resolver: %s: more than %d options", file, maxRows)
	}
	for _, o := range options {
		rows = append(rows, o)
	}
	return imageRootSort(rows), nil
}
