package settings

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
)

// Hostname returns the static host name from /etc/hostname (hostname(5)):
// the first line that is not empty and not a "#" comment, trimmed; a file
// without one sets nothing, and systemd falls back to its built-in name.
func Hostname(fsys fs.FS) ([]Setting, error) {
	data, file, err := imageRoot{fsys}.readFile("etc/hostname")
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("settings: hostname: %s: %w", file, err)
	}
	var rows []Setting
	imageRootLines(data, func(line string, n int) {
		line = strings.TrimSpace(line)
		if len(rows) > 0 || line == "" || line[0] == '#' {
			return
		}
		rows = append(rows, Setting{Program: "hostname", Key: "hostname", Value: line, File: file, Line: n})
	})
	return rows, nil
}
