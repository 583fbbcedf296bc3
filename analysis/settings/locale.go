package settings

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
)

// Locale returns the system locale, Program "locale", one row per
// variable (LANG, LANGUAGE, LC_*), from /etc/locale.conf (locale.conf(5);
// systemd, Fedora, Arch) or, when that file is missing, Debian's
// /etc/default/locale — the fallback Debian's systemd is patched to read
// and the file update-locale(8) writes and pam_env reads at login. Both are
// shell-style assignments; the last of a variable wins.
func Locale(fsys fs.FS) ([]Setting, error) {
	root := imageRoot{fsys}
	for _, name := range []string{"etc/locale.conf", "etc/default/locale"} {
		_, file, err := root.readFile(name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("settings: locale: %s: %w", file, err)
		}
		all, err := shellVarsFile(root, name, "locale", "")
		if err != nil {
			return nil, err
		}
		var rows []Setting
		for _, s := range all {
			if s.Key == "LANG" || s.Key == "LANGUAGE" || strings.HasPrefix(s.Key, "LC_") {
				rows = append(rows, s)
			}
		}
		return imageRootSort(rows), nil
	}
	return nil, nil
}
