package settings

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
)

// sysctlDirs are the drop-in directories in the order sysctl.d(5) gives
// them: a file name found in an earlier one masks the same name in later
// ones. systemd-sysctl and procps' `sysctl --system` (sysctl(8), which
// Debian's procps service runs) search the same list.
var sysctlDirs = []string{
	"etc/sysctl.d",
	"run/sysctl.d",
	"usr/local/lib/sysctl.d",
	"usr/lib/sysctl.d",
	"lib/sysctl.d",
}

// Sysctl returns the kernel parameters the image sets at boot, one row per
// key with the value of the assignment that is applied last.
//
// The order is sysctl(8)'s --system: the *.conf files of sysctlDirs, the
// first of each name winning (a symlink to /dev/null or an empty file
// masks it), applied sorted by file name across directories (sysctl.d(5),
// "CONFIGURATION DIRECTORIES AND PRECEDENCE"), then /etc/sysctl.conf. So a
// key set in /etc/sysctl.conf wins over every drop-in; systemd-sysctl
// reads /etc/sysctl.conf only through Debian's and upstream's
// /etc/sysctl.d/99-sysctl.conf symlink, and would let a later-sorted
// drop-in (say 99-z.conf) win instead.
//
// Keys are in the dotted form: "net/ipv4/ip_forward" is
// "net.ipv4.ip_forward", and since a slash-first key swaps "." and "/"
// ("net/ipv4/conf/eth0.10/forwarding" is "net.ipv4.conf.eth0/10.forwarding").
// A "-" prefix (ignore a failing write) is dropped; glob keys
// ("net.ipv4.conf.*.rp_filter") are kept as written, since what they match
// is only known on a running kernel. A line without "=" is ignored, as
// both programs do with a warning; they never refuse to run over a file.
func Sysctl(fsys fs.FS) ([]Setting, error) {
	root := imageRoot{fsys}
	seen := map[string]bool{}
	var files []string
	for _, dir := range sysctlDirs {
		ents, err := root.readDir(dir)
		if err != nil {
			return nil, fmt.Errorf("settings: sysctl: /%s: %w", dir, err)
		}
		for _, e := range ents {
			name := e.Name()
			if !strings.HasSuffix(name, ".conf") || e.IsDir() || seen[name] {
				continue
			}
			seen[name] = true
			files = append(files, path.Join(dir, name))
		}
	}
	slices.SortStableFunc(files, func(a, b string) int { return strings.Compare(path.Base(a), path.Base(b)) })
	files = append(files, "etc/sysctl.conf")

	byKey := map[string]Setting{}
	for _, name := range files {
		data, file, err := root.readFile(name)
		if errors.Is(err, fs.ErrNotExist) {
			continue // a dangling drop-in still masked its name; sysctl.conf is optional
		}
		if err != nil {
			return nil, fmt.Errorf("settings: sysctl: %s: %w", file, err)
		}
		var tooMany error
		imageRootLines(data, func(line string, n int) {
			key, value, ok := sysctlLine(line)
			if !ok || tooMany != nil {
				return
			}
			if _, known := byKey[key]; !known && len(byKey) >= maxRows {
				tooMany = fmt.Errorf("settings: sysctl: %s line %d: more than %d keys", file, n, maxRows)
				return
			}
			byKey[key] = Setting{Program: "sysctl", Key: key, Value: value, File: file, Line: n}
		})
		if tooMany != nil {
			return nil, tooMany
		}
	}
	rows := make([]Setting, 0, len(byKey))
	for _, s := range byKey {
		rows = append(rows, s)
	}
	return imageRootSort(rows), nil
}

// sysctlLine parses one line of a sysctl.d file: comments start with "#"
// or ";", whitespace around key and value is not part of them.
func sysctlLine(line string) (key, value string, ok bool) {
	line = strings.TrimSpace(line)
	if line == "" || line[0] == '#' || line[0] == ';' {
		return "", "", false
	}
	key, value, ok = strings.Cut(line, "=")
	if !ok {
		return "", "", false
	}
	key = strings.TrimSpace(strings.TrimPrefix(key, "-"))
	if key == "" {
		return "", "", false
	}
	return sysctlNormalize(key), strings.TrimSpace(value), true
}

// sysctlNormalize returns key in the dotted form: when its first separator
// is a slash, slashes and dots swap (sysctl.d(5)).
func sysctlNormalize(key string) string {
	if i := strings.IndexAny(key, "./"); i < 0 || key[i] == '.' {
		return key
	}
	return strings.Map(func(r rune) rune {
		switch r {
		case '/':
			return '.'
		case '.':
			return '/'
		}
		return r
	}, strings.Trim(key, "/"))
}
