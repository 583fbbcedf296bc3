package image

import (
	"bufio"
	"bytes"
	"strconv"
	"strings"
)

// OSRelease is what os-release(5) says of the image's distribution.
type OSRelease struct {
	ID, VersionID, Codename, PrettyName string
}

// parseOSRelease reads os-release(5): KEY=value lines, values optionally
// quoted with shell quoting (double quotes allow backslash escapes).
func parseOSRelease(b []byte) OSRelease {
	kv := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		kv[k] = unquote(v)
	}
	o := OSRelease{ID: kv["ID"], VersionID: kv["VERSION_ID"], Codename: kv["VERSION_CODENAME"], PrettyName: kv["PRETTY_NAME"]}
	if o.Codename == "" {
		// Debian testing and sid say only PRETTY_NAME="… trixie/sid".
		o.Codename = kv["DEBIAN_CODENAME"]
	}
	return o
}

func unquote(v string) string {
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
		if v[0] == '"' {
			if s, err := strconv.Unquote(v); err == nil {
				return s
			}
		}
		return v[1 : len(v)-1]
	}
	return v
}

// Release is the partition's release: the codename, else the version.
func (o OSRelease) Release() string {
	if o.Codename != "" {
		return o.Codename
	}
	return o.VersionID
}

// parseIDs reads /etc/passwd or /etc/group: name:x:id:… lines.
func parseIDs(b []byte) map[string]int {
	ids := map[string]int{}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.SplitN(line, ":", 4)
		if len(f) < 3 {
			continue
		}
		if id, err := strconv.Atoi(f[2]); err == nil {
			if _, dup := ids[f[0]]; !dup {
				ids[f[0]] = id
			}
		}
	}
	return ids
}
