package settings

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
)

// Timezone returns the system time zone, Program "timezone", Key
// "timezone": the zone /etc/localtime links to, as localtime(5) and
// timedatectl name it ("/usr/share/zoneinfo/Europe/Berlin" is
// "Europe/Berlin"; File /etc/localtime, Line 0 — a link has no lines).
// glibc reads /etc/localtime, so it wins over Debian's /etc/timezone
// (which tzdata keeps in step up to bookworm and trixie dropped); that
// file's first line names the zone only when /etc/localtime is not a
// link. A link that leaves the zoneinfo directories is kept as its
// absolute target.
func Timezone(fsys fs.FS) ([]Setting, error) {
	root := imageRoot{fsys}
	const localtime = "etc/localtime"
	target, isLink, err := root.readLink(localtime)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("settings: timezone: /%s: %w", localtime, err)
	}
	if isLink {
		zone := imageRootLinkTarget(localtime, target)
		for _, dir := range []string{"usr/share/zoneinfo/", "usr/lib/zoneinfo/", "usr/share/lib/zoneinfo/"} {
			if z, ok := strings.CutPrefix(zone, dir); ok {
				zone = strings.TrimPrefix(strings.TrimPrefix(z, "posix/"), "right/")
				break
			}
		}
		if zone == imageRootLinkTarget(localtime, target) {
			zone = "/" + zone
		}
		return []Setting{{Program: "timezone", Key: "timezone", Value: zone, File: "/" + localtime}}, nil
	}
	data, file, err := root.readFile("etc/timezone")
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("settings: timezone: %s: %w", file, err)
	}
	var rows []Setting
	imageRootLines(data, func(line string, n int) {
		line = strings.TrimSpace(line)
		if len(rows) > 0 || line == "" || line[0] == '#' {
			return
		}
		rows = append(rows, Setting{Program: "timezone", Key: "timezone", Value: line, File: file, Line: n})
	})
	return rows, nil
}
