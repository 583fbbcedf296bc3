package settings

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
)

// apparmorModes are the profile flags that set a profile's mode
// (apparmor.d(5), "Profile flags"); without one a profile enforces.
var apparmorModes = map[string]bool{"enforce": true, "complain": true, "kill": true, "unconfined": true, "prompt": true}

// AppArmor says whether the image ships AppArmor profiles and in which
// mode each loads, Program "apparmor": Key "profiles" with the count of
// profile files in /etc/apparmor.d (File the directory, Line 0) when the
// directory exists, and per top-level profile Key "profile.<name>" with its
// mode at the line that declares it — the mode flag of "flags=(...)",
// "complain" when the file is linked from force-complain/, "disabled"
// from disable/ (what apparmor.service and aa-disable do), else
// "enforce". Whether the kernel runs AppArmor at all is a boot setting no
// file in the image decides. Includes are not followed: no profile
// header comes from one in the shipped profiles, and this is deliberately
// a presence-and-mode view, not a policy compiler.
func AppArmor(fsys fs.FS) ([]Setting, error) {
	root := imageRoot{fsys}
	const dir = "etc/apparmor.d"
	if _, err := root.resolve(dir); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("settings: apparmor: /%s: %w", dir, err)
	}
	ents, err := root.readDir(dir)
	if err != nil {
		return nil, fmt.Errorf("settings: apparmor: /%s: %w", dir, err)
	}
	forced := map[string]string{}
	for _, sub := range []string{"disable", "force-complain"} {
		list, err := root.readDir(path.Join(dir, sub))
		if err != nil {
			return nil, fmt.Errorf("settings: apparmor: /%s/%s: %w", dir, sub, err)
		}
		for _, e := range list {
			forced[e.Name()] = map[string]string{"disable": "disabled", "force-complain": "complain"}[sub]
		}
	}
	var rows []Setting
	files := 0
	for _, e := range ents {
		if e.IsDir() || shellVarsLeftover(e.Name()) || e.Name() == "README" {
			continue
		}
		files++
		data, file, err := root.readFile(path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("settings: apparmor: %s: %w", file, err)
		}
		for _, p := range apparmorProfiles(data) {
			if len(rows) >= maxRows {
				return nil, fmt.Errorf("settings: apparmor: %s line %d: more than %d profiles", file, p.line, maxRows)
			}
			mode := p.mode
			if f, ok := forced[e.Name()]; ok {
				mode = f
			}
			rows = append(rows, Setting{Program: "apparmor", Key: "profile." + p.name, Value: mode, File: file, Line: p.line})
		}
	}
	rows = append(rows, Setting{Program: "apparmor", Key: "profiles", Value: strconv.Itoa(files), File: "/" + dir})
	return imageRootSort(rows), nil
}

// apparmorProfile is one top-level profile declared in a file.
type apparmorProfile struct {
	name, mode string
	line       int
}

// apparmorProfiles finds the profiles declared at the top level of a
// profile file: lines ending in "{" outside any block, starting with
// "profile NAME", an attachment path or a variable ("/usr/bin/man",
// "@{bin}/ping"). Braces of variables and alternations ("@{PROC}",
// "{,usr/}bin") balance within their line, so counting them keeps the
// depth.
func apparmorProfiles(data []byte) []apparmorProfile {
	var out []apparmorProfile
	depth := 0
	imageRootLines(data, func(line string, n int) {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		line = strings.TrimSpace(line)
		if depth == 0 && strings.HasSuffix(line, "{") {
			if p, ok := apparmorHeader(strings.TrimSpace(strings.TrimSuffix(line, "{"))); ok {
				p.line = n
				out = append(out, p)
			}
		}
		depth += strings.Count(line, "{") - strings.Count(line, "}")
		if depth < 0 {
			depth = 0
		}
	})
	return out
}

// apparmorHeader parses a profile header without its "{".
func apparmorHeader(h string) (apparmorProfile, bool) {
	p := apparmorProfile{mode: "enforce"}
	if i := strings.Index(h, "flags"); i >= 0 {
		flags := strings.TrimLeft(h[i+len("flags"):], " \t")
		if rest, ok := strings.CutPrefix(flags, "="); ok {
			h = strings.TrimSpace(h[:i])
			rest = strings.Trim(strings.TrimSpace(rest), "()")
			for _, f := range strings.FieldsFunc(rest, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
				if apparmorModes[f] {
					p.mode = f
				}
			}
		}
	}
	fields := strings.Fields(h)
	if len(fields) == 0 {
		return p, false
	}
	if fields[0] == "profile" {
		if len(fields) < 2 {
			return p, false
		}
		p.name = strings.Trim(fields[1], `"`)
		return p, p.name != ""
	}
	if !strings.HasPrefix(fields[0], "/") && !strings.HasPrefix(fields[0], "@{") && !strings.HasPrefix(fields[0], `"`) {
		return p, false
	}
	p.name = strings.Trim(fields[0], `"`)
	return p, p.name != ""
}
