package settings

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
)

// networkManager reads NetworkManager's configuration, NetworkManager.conf(5),
// and its connection profiles, nm-settings-keyfile(5).
//
// The configuration is read in NetworkManager's order — the *.conf files
// of /usr/lib/NetworkManager/conf.d, then of /run/NetworkManager/conf.d,
// then /etc/NetworkManager/NetworkManager.conf, then
// /etc/NetworkManager/conf.d's, each directory in name order, a name in
// /etc/NetworkManager/conf.d shadowing the same name in /run and /usr/lib,
// and one in /run the same name in /usr/lib — and a later file's key
// replaces an earlier one's; "key+=a" and "key-=a" add to and remove from
// a comma-separated list, as NetworkManager.conf(5) allows. Rows:
// networkmanager.GROUP.KEY ("networkmanager.main.plugins"), Condition "".
// NetworkManager refuses to start on a file its key-file parser rejects (a
// line that is neither a comment, a [group] nor key=value, a key before
// the first group), and so does this.
//
// Each connection profile, /etc/NetworkManager/system-connections/*.nmconnection,
// is rows networkmanager.ID.GROUP.KEY ("networkmanager.Wired.ipv4.method"),
// Condition "connection ID", ID being connection.id or, without one, the
// file's name without .nmconnection, as NetworkManager names it. Like
// NetworkManager, this skips a profile that others can read or write (mode
// bits 0077) or that its parser rejects; the owner, which NetworkManager
// also wants to be root, is not checked. Passwords, PSKs, WEP and
// WireGuard keys are "(secret)".
func networkManager(fsys fs.FS, rows *networkRows) error {
	if err := networkManagerConf(fsys, rows); err != nil {
		return err
	}
	return networkManagerConnections(fsys, rows)
}

// networkKeyfileEntry is one key=value line of a GLib key file.
type networkKeyfileEntry struct {
	group, key, value string
	line              int
}

// networkKeyfile parses a GLib key file (GKeyFile): '#' comments, [group]
// headers, key=value with the blanks around '=' dropped and \s \n \t \r
// \\ escapes in values.
func networkKeyfile(data []byte, file string) ([]networkKeyfileEntry, error) {
	var entries []networkKeyfileEntry
	group := ""
	for i, raw := range networkLines(data) {
		line := strings.TrimLeft(raw, " \t")
		line = strings.TrimRight(line, "\r")
		switch {
		case strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#"):
			continue
		case strings.HasPrefix(line, "["):
			end := strings.IndexByte(line, ']')
			if end < 0 || strings.TrimSpace(line[end+1:]) != "" || end == 1 {
				return nil, fmt.Errorf("settings: network: %s line %d: invalid group header %q", file, i+1, line)
			}
			group = line[1:end]
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		key = strings.TrimRight(key, " \t")
		if !ok || key == "" {
			return nil, fmt.Errorf("settings: network: %s line %d: neither a group, a key=value nor a comment", file, i+1)
		}
		if group == "" {
			return nil, fmt.Errorf("settings: network: %s line %d: key %q before the first group", file, i+1, key)
		}
		entries = append(entries, networkKeyfileEntry{group: group, key: key, value: networkKeyfileUnescape(strings.TrimLeft(value, " \t")), line: i + 1})
	}
	return entries, nil
}

func networkKeyfileUnescape(v string) string {
	if !strings.Contains(v, `\`) {
		return v
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] != '\\' || i+1 == len(v) {
			b.WriteByte(v[i])
			continue
		}
		i++
		switch v[i] {
		case 's':
			b.WriteByte(' ')
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		default:
			b.WriteByte(v[i])
		}
	}
	return b.String()
}

func networkManagerConf(fsys fs.FS, rows *networkRows) error {
	etc, err := networkDirFiles(fsys, []string{"etc/NetworkManager/conf.d"}, networkManagerConfName)
	if err != nil {
		return err
	}
	run, err := networkDirFiles(fsys, []string{"etc/NetworkManager/conf.d", "run/NetworkManager/conf.d"}, networkManagerConfName)
	if err != nil {
		return err
	}
	usr, err := networkDirFiles(fsys, []string{"etc/NetworkManager/conf.d", "run/NetworkManager/conf.d", "usr/lib/NetworkManager/conf.d"}, networkManagerConfName)
	if err != nil {
		return err
	}
	var order []string
	for _, f := range usr {
		if strings.HasPrefix(f.path, "usr/") {
			order = append(order, f.path)
		}
	}
	for _, f := range run {
		if strings.HasPrefix(f.path, "run/") {
			order = append(order, f.path)
		}
	}
	order = append(order, "etc/NetworkManager/NetworkManager.conf")
	for _, f := range etc {
		order = append(order, f.path)
	}

	type set struct {
		value string
		file  string
		line  int
	}
	effective := map[string]set{}
	var keys []string
	for _, name := range order {
		data, err := networkRead(fsys, name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		entries, err := networkKeyfile(data, "/"+name)
		if err != nil {
			return err
		}
		for _, e := range entries {
			key, op := e.key, byte(0)
			if n := len(key); n > 1 && (key[n-1] == '+' || key[n-1] == '-') {
				key, op = key[:n-1], key[n-1]
			}
			key = e.group + "." + key
			old, seen := effective[key]
			if !seen {
				keys = append(keys, key)
			}
			value := e.value
			switch op {
			case '+':
				value = networkListEdit(old.value, e.value, true)
			case '-':
				value = networkListEdit(old.value, e.value, false)
			}
			effective[key] = set{value: value, file: "/" + name, line: e.line}
		}
	}
	for _, k := range keys {
		s := effective[k]
		if err := rows.add(Setting{Key: "networkmanager." + k, Value: s.value, File: s.file, Line: s.line}); err != nil {
			return err
		}
	}
	return nil
}

func networkManagerConfName(name string) bool {
	return strings.HasSuffix(name, ".conf") && !strings.HasPrefix(name, ".")
}

// networkListEdit adds the comma-separated items of edit to list (those
// not in it yet), or removes them from it.
func networkListEdit(list, edit string, add bool) string {
	var items []string
	for it := range strings.SplitSeq(list, ",") {
		if it = strings.TrimSpace(it); it != "" {
			items = append(items, it)
		}
	}
	for it := range strings.SplitSeq(edit, ",") {
		it = strings.TrimSpace(it)
		switch {
		case it == "":
		case add && !slices.Contains(items, it):
			items = append(items, it)
		case !add:
			items = slices.DeleteFunc(items, func(s string) bool { return s == it })
		}
	}
	return strings.Join(items, ",")
}

func networkManagerConnections(fsys fs.FS, rows *networkRows) error {
	const dir = "etc/NetworkManager/system-connections"
	files, err := networkDirFiles(fsys, []string{dir}, func(name string) bool {
		return strings.HasSuffix(name, ".nmconnection") && !strings.HasPrefix(name, ".")
	})
	if err != nil {
		return err
	}
	for _, f := range files {
		info, err := networkStat(fsys, f.path)
		if err != nil || !info.Mode().IsRegular() || info.Mode().Perm()&0o077 != 0 {
			continue // NetworkManager: "File permissions ... are insecure"
		}
		data, err := networkRead(fsys, f.path)
		if err != nil {
			return err
		}
		entries, err := networkKeyfile(data, "/"+f.path)
		if err != nil {
			continue // NetworkManager logs the profile and loads the others
		}
		id := strings.TrimSuffix(path.Base(f.path), ".nmconnection")
		for _, e := range entries {
			if e.group == "connection" && e.key == "id" && e.value != "" {
				id = e.value
			}
		}
		// Within one file a repeated key's last value is GKeyFile's.
		last := map[string]int{}
		for i, e := range entries {
			last[e.group+"."+e.key] = i
		}
		for i, e := range entries {
			if last[e.group+"."+e.key] != i {
				continue
			}
			value := e.value
			if networkManagerSecret(e.key) {
				value = networkSecret
			}
			row := Setting{Key: "networkmanager." + id + "." + e.group + "." + e.key, Value: value, Condition: "connection " + id, File: "/" + f.path, Line: e.line}
			if err := rows.add(row); err != nil {
				return err
			}
		}
	}
	return nil
}

// networkManagerSecret says whether a profile key holds a credential,
// nm-settings-keyfile(5)'s secret properties.
func networkManagerSecret(key string) bool {
	if strings.HasSuffix(key, "-flags") {
		return false
	}
	return key == "psk" || key == "pin" || key == "private-key" || key == "preshared-key" ||
		strings.Contains(key, "password") || strings.HasPrefix(key, "wep-key") || strings.HasSuffix(key, "secret")
}
