package settings

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
)

// SELinux returns the mode and policy /etc/selinux/config sets, read as
// libselinux reads it (selinux_config.c, selinux_getenforcemode and
// init_selinux_config; selinux_config(5)): Key "SELINUX" from the first
// line "SELINUX=" whose value starts with enforcing, permissive or
// disabled (case-insensitive; others are skipped), and "SELINUXTYPE" from
// the last line starting "SELINUXTYPE=" in any case, trimmed — or libselinux's
// built-in "targeted" when no line names one. Values are lowercased as the
// library compares them. Nothing makes the library refuse the file.
func SELinux(fsys fs.FS) ([]Setting, error) {
	data, file, err := imageRoot{fsys}.readFile("etc/selinux/config")
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("settings: selinux: %s: %w", file, err)
	}
	var mode *Setting
	policy := Setting{Program: "selinux", Key: "SELINUXTYPE", Value: "targeted", Builtin: true, Default: "targeted"}
	imageRootLines(data, func(line string, n int) {
		line = strings.TrimLeft(line, " \t")
		if v, ok := strings.CutPrefix(line, "SELINUX="); ok && mode == nil {
			v = strings.ToLower(strings.TrimSpace(v))
			for _, m := range []string{"enforcing", "permissive", "disabled"} {
				if strings.HasPrefix(v, m) {
					mode = &Setting{Program: "selinux", Key: "SELINUX", Value: m, File: file, Line: n}
					return
				}
			}
		}
		const tag = "SELINUXTYPE="
		if len(line) >= len(tag) && strings.EqualFold(line[:len(tag)], tag) {
			policy = Setting{Program: "selinux", Key: "SELINUXTYPE", Value: strings.TrimSpace(line[len(tag):]), File: file, Line: n, Default: "targeted"}
		}
	})
	rows := []Setting{policy}
	if mode != nil {
		rows = append([]Setting{*mode}, rows...)
	}
	return rows, nil
}
